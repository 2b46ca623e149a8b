//! Seed 002, `cake`, `async fn` style: bake a cake (15 min of dough, then
//! 45 min in the oven) and buy groceries (20 min).
//!
//! ```python
//! async def bake_cake():
//!     time.sleep(15 * 60)            # the dough: hands busy, nothing else runs
//!     await asyncio.sleep(45 * 60)   # the oven: a wait
//!
//! async def buy_groceries():
//!     await asyncio.sleep(20 * 60)   # the shop: a wait
//!
//! async def sequential():
//!     await bake_cake()
//!     await buy_groceries()
//!
//! async def cooperative():
//!     await asyncio.gather(bake_cake(), buy_groceries())
//! ```
//!
//! Awaited one after the other, the two take 80 min: `.await` on its own
//! overlaps nothing. Gathered, the dough still blocks (15 min), but while
//! the cake is in the oven the shopping happens: groceries at 35 min, cake
//! at 60.
//!
//! Runs on the virtual clock (exact, instant); `--real --scale N` runs
//! one simulated minute in 60/N real seconds (default N = 600).
//!
//! ```text
//! cargo run --release -p simul-future --example cake_async [-- --real --scale 600]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join, sleep, spawn};
use simul_reactor::{Clock, Instant, trace};
use simul_scenario::params::cake::{DOUGH, GROCERIES, OVEN};
use simul_scenario::{Options, Outcome, Scenario, Style, Traces, say};

/// What a run shows, in simulated minutes.
#[derive(Debug)]
pub struct Figures {
    /// Each step and the minute it happened.
    pub log: Vec<(&'static str, f64)>,
    /// When the last step happened.
    pub total: f64,
}

/// The clock, how many times faster than the seed it runs, and the log.
#[derive(Clone)]
struct Kitchen {
    clock: Clock,
    scale: f64,
    start: Instant,
    log: Rc<RefCell<Vec<(&'static str, f64)>>>,
}

impl Kitchen {
    /// A seed duration as it lasts here.
    fn lasts(&self, d: Duration) -> Duration {
        d.div_f64(self.scale)
    }

    fn log(&self, what: &'static str) {
        let at = (self.clock.now() - self.start).as_secs_f64() * self.scale / 60.0;
        say!("  {at:5.1} min  {what}");
        self.log.borrow_mut().push((what, at));
    }
}

async fn bake_cake(k: Kitchen) {
    trace::name_current("cake");
    k.clock.block_for(k.lasts(DOUGH)); // hands busy
    k.log("dough ready, cake in the oven");
    sleep(k.lasts(OVEN)).await;
    k.log("cake baked");
}

async fn buy_groceries(k: Kitchen) {
    trace::name_current("groceries");
    k.log("off to the shop");
    sleep(k.lasts(GROCERIES)).await;
    k.log("groceries bought");
}

async fn sequential(k: Kitchen) {
    let _ = spawn(bake_cake(k.clone())).await;
    let _ = spawn(buy_groceries(k)).await;
}

/// Both spawned as tasks (like `asyncio.gather`), then awaited together.
async fn cooperative(k: Kitchen) {
    let _ = join(spawn(bake_cake(k.clone())), spawn(buy_groceries(k))).await;
}

/// Runs one version on `clock`, `scale` times faster than the seed.
fn run_on(gathered: bool, clock: Clock, scale: f64) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let k = Kitchen { clock: clock.clone(), scale, start: clock.now(), log: Rc::default() };
    if gathered {
        rt.block_on(cooperative(k.clone()))?;
    } else {
        rt.block_on(sequential(k.clone()))?;
    }
    let log = k.log.take();
    let total = log.iter().map(|(_, at)| *at).fold(0.0, f64::max);
    Ok(Figures { log, total })
}

/// Runs one version; `scale` simulated minutes per real minute.
pub fn run(gathered: bool, real: bool, scale: f64) -> Result<Figures, RuntimeError> {
    run_on(gathered, if real { Clock::real() } else { Clock::new_virtual() }, scale)
}

/// The scenario: sequential, then cooperative.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let scale = f64::from(opts.scale());
    let minutes = |m: f64| Duration::from_secs_f64(m * 60.0);
    say!("sequential:");
    let seq = opts.record(&mut traces, "sequential", || run_on(false, opts.clock(), scale))?;
    say!("cooperative:");
    let coop = opts.record(&mut traces, "cooperative", || run_on(true, opts.clock(), scale))?;
    let groceries = coop.log.iter().find(|(w, _)| *w == "groceries bought").map_or(0.0, |e| e.1);
    // Minutes come back as floats; on the virtual clock they are whole.
    let exact = |m: f64| if opts.is_virtual() { m.round() } else { m };
    let figures = simul_scenario::Figures::Cake {
        sequential: minutes(exact(seq.total)),
        cooperative: minutes(exact(coop.total)),
        groceries_done: minutes(exact(groceries)),
    };
    Ok(Outcome { style: Style::Async, exact: opts.is_virtual(), figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Cake, Style::Async, scenario)
}
