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
//! one simulated minute in 60/N real seconds (default N = 600).
//!
//! ```text
//! cargo run -p simul-green --example cake_green [-- --real --scale 600]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Clock;

const DOUGH_MIN: u32 = 15;
const OVEN_MIN: u32 = 45;
const GROCERIES_MIN: u32 = 20;

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
    fn note(&self, what: &'static str) {
        let at = self.clock.now().since_origin().as_secs_f64() / self.minute.as_secs_f64();
        println!("  {at:5.1} min  {what}");
        self.log.borrow_mut().push((what, at));
    }
}

fn bake_cake(k: &Kitchen) -> std::io::Result<()> {
    k.note("preparing the dough");
    k.clock.block_for(k.minute * DOUGH_MIN); // hands busy: nobody else runs
    k.note("dough ready, cake in the oven");
    simul_green::sleep(k.minute * OVEN_MIN)?; // the oven works, we don't
    k.note("cake baked");
    Ok(())
}

fn buy_groceries(k: &Kitchen) -> std::io::Result<()> {
    k.note("off to the shop");
    simul_green::sleep(k.minute * GROCERIES_MIN)?;
    k.note("groceries bought");
    Ok(())
}

/// Runs the morning; `cooperative` spawns the two jobs, otherwise they
/// are called one after the other. Returns the log; the last entry is
/// when everything was done.
pub fn run(cooperative: bool, real: bool, scale: f64) -> Result<Vec<(&'static str, f64)>, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let hub = Hub::with_clock(clock.clone())?;
    let k = Kitchen { clock, minute: Duration::from_secs_f64(60.0 / scale), log: Log::default() };
    hub.run(|| -> Result<(), Error> {
        if cooperative {
            let k1 = k.clone();
            let cake = simul_green::spawn(move || bake_cake(&k1))?;
            let k2 = k.clone();
            let groceries = simul_green::spawn(move || buy_groceries(&k2))?;
            cake.join()??;
            groceries.join()??;
        } else {
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let real = args.iter().any(|a| a == "--real");
    let scale: f64 = match args.iter().position(|a| a == "--scale") {
        Some(i) => args.get(i + 1).ok_or("--scale needs a number")?.parse()?,
        None if real => 600.0,
        None => 1.0,
    };
    if scale <= 0.0 {
        return Err("--scale must be positive".into());
    }
    println!("sequential:");
    let seq = run(false, real, scale)?;
    println!("cooperative:");
    let coop = run(true, real, scale)?;
    let done = |log: &[(&str, f64)]| log.iter().map(|(_, at)| *at).fold(0.0, f64::max);
    println!(
        "cake, green: sequential {:.0} min (seed 80), cooperative {:.0} min (seed 60), \
         groceries at {:.0} min (seed 35)",
        done(&seq),
        done(&coop),
        at(&coop, "groceries bought").unwrap_or(f64::NAN)
    );
    Ok(())
}
