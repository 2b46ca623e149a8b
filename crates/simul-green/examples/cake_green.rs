//! Seed 002, `cake`, green style: bake a cake (15 min of dough, then
//! 45 min in the oven) and buy groceries (20 min).
//!
//! The two jobs are written as ordinary sequential functions. Preparing
//! the dough is work (`Clock::block_for`: your hands are busy, nothing
//! else happens); the oven and the trip to the shop are waits
//! (`simul_green::sleep`, which parks). Called one after the other they
//! take 80 minutes. Spawned as two green threads, *the same functions*
//! overlap: while the cake is in the oven the other green thread goes
//! shopping, groceries at 35 min, cake at 60. Nothing in the functions
//! changed, only how they were started: that is gevent's promise.
//!
//! Runs on the virtual clock (exact, instant); `--real --scale N` runs
//! one simulated minute in 60/N real seconds (default N = 1200).
//!
//! `--board` draws each variant's timeline (lanes `cake`, `groceries`).
//!
//! ```text
//! cargo run --release -p simul-green --example cake_green [-- --real --scale 1200 --board]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::{Clock, trace};
use simul_scenario::params::cake::{DOUGH, GROCERIES, OVEN};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// What happened, at which simulated minute.
pub type Log = Rc<RefCell<Vec<(&'static str, f64)>>>;

/// The kitchen: the clock (for blocking work), the length of a simulated
/// minute and the log.
#[derive(Clone)]
struct Kitchen {
    clock: Clock,
    minute: Duration,
    log: Log,
}

impl Kitchen {
    /// A seed duration in this kitchen's minutes.
    fn scaled(&self, d: Duration) -> Duration {
        self.minute.mul_f64(d.as_secs_f64() / 60.0)
    }

    fn note(&self, what: &'static str) {
        let at = self.clock.now().since_origin().as_secs_f64() / self.minute.as_secs_f64();
        say!("  {at:5.1} min  {what}");
        self.log.borrow_mut().push((what, at));
    }
}

fn bake_cake(k: &Kitchen) -> std::io::Result<()> {
    k.note("preparing the dough");
    k.clock.block_for(k.scaled(DOUGH)); // hands busy: nobody else runs
    k.note("dough ready, cake in the oven");
    simul_green::sleep(k.scaled(OVEN))?; // the oven works, we don't
    k.note("cake baked");
    Ok(())
}

fn buy_groceries(k: &Kitchen) -> std::io::Result<()> {
    k.note("off to the shop");
    simul_green::sleep(k.scaled(GROCERIES))?;
    k.note("groceries bought");
    Ok(())
}

/// Runs the morning; `cooperative` spawns the two jobs, otherwise they
/// are called one after the other. Returns the log; the last entry is
/// when everything was done.
pub fn run(cooperative: bool, real: bool, scale: f64) -> Result<Vec<(&'static str, f64)>, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(cooperative, clock, Duration::from_secs_f64(60.0 / scale))
}

/// [`run`] on `clock`, a simulated minute lasting `minute`.
pub fn run_on(
    cooperative: bool,
    clock: Clock,
    minute: Duration,
) -> Result<Vec<(&'static str, f64)>, Error> {
    let hub = Hub::with_clock(clock.clone())?;
    let k = Kitchen { clock, minute, log: Log::default() };
    hub.run(|| -> Result<(), Error> {
        if cooperative {
            let k1 = k.clone();
            let cake = simul_green::spawn_named("cake", move || bake_cake(&k1))?;
            let k2 = k.clone();
            let groceries = simul_green::spawn_named("groceries", move || buy_groceries(&k2))?;
            cake.join()??;
            groceries.join()??;
        } else {
            trace::name_current("cook"); // main does both jobs in turn
            bake_cake(&k)?;
            buy_groceries(&k)?;
        }
        Ok(())
    })??;
    Ok(k.log.take())
}

/// When `what` happened in a log.
pub fn at(log: &[(&'static str, f64)], what: &str) -> Option<f64> {
    log.iter().find(|(w, _)| *w == what).map(|(_, at)| *at)
}

/// The scenario: cake then groceries, then groceries while the cake bakes.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let minute = opts.scaled(Duration::from_secs(60));
    // Log times are in simulated minutes already: back to seed durations.
    let seed = |m: f64| Duration::from_secs_f64(m * 60.0);
    let done = |log: &[(&str, f64)]| seed(log.iter().map(|(_, at)| *at).fold(0.0, f64::max));
    say!("sequential:");
    let seq = opts.record(&mut traces, "sequential", || run_on(false, opts.clock(), minute))?;
    say!("cooperative:");
    let coop = opts.record(&mut traces, "cooperative", || run_on(true, opts.clock(), minute))?;
    let groceries_done = seed(at(&coop, "groceries bought").ok_or("no groceries")?);
    Ok(Outcome {
        style: Style::Green,
        exact: opts.is_virtual(),
        figures: Figures::Cake { sequential: done(&seq), cooperative: done(&coop), groceries_done },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Cake, Style::Green, scenario)
}
