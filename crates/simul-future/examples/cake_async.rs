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
//! cargo run -p simul-future --example cake_async [-- --real --scale 600]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join, sleep};
use simul_reactor::{Clock, Instant};

const DOUGH_MIN: u32 = 15;
const OVEN_MIN: u32 = 45;
const GROCERIES_MIN: u32 = 20;

/// What a run shows, in simulated minutes.
#[derive(Debug)]
pub struct Figures {
    /// Each step and the minute it happened.
    pub log: Vec<(&'static str, f64)>,
    /// When the last step happened.
    pub total: f64,
}

/// The clock, the length of a simulated minute, and the log.
#[derive(Clone)]
struct Kitchen {
    clock: Clock,
    minute: Duration,
    start: Instant,
    log: Rc<RefCell<Vec<(&'static str, f64)>>>,
}

impl Kitchen {
    fn minutes(&self, n: u32) -> Duration {
        self.minute * n
    }

    fn log(&self, what: &'static str) {
        let at = (self.clock.now() - self.start).as_secs_f64() / self.minute.as_secs_f64();
        println!("  {at:5.1} min  {what}");
        self.log.borrow_mut().push((what, at));
    }
}

async fn bake_cake(k: Kitchen) {
    k.clock.block_for(k.minutes(DOUGH_MIN)); // hands busy
    k.log("dough ready, cake in the oven");
    sleep(k.minutes(OVEN_MIN)).await;
    k.log("cake baked");
}

async fn buy_groceries(k: Kitchen) {
    k.log("off to the shop");
    sleep(k.minutes(GROCERIES_MIN)).await;
    k.log("groceries bought");
}

async fn sequential(k: Kitchen) {
    bake_cake(k.clone()).await;
    buy_groceries(k).await;
}

async fn cooperative(k: Kitchen) {
    join(bake_cake(k.clone()), buy_groceries(k)).await;
}

/// Runs one version; `scale` simulated minutes per real minute.
pub fn run(gathered: bool, real: bool, scale: f64) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let minute = Duration::from_secs_f64(60.0 / scale);
    let k = Kitchen { clock: clock.clone(), minute, start: clock.now(), log: Rc::default() };
    if gathered {
        rt.block_on(cooperative(k.clone()))?;
    } else {
        rt.block_on(sequential(k.clone()))?;
    }
    let log = k.log.take();
    let total = log.iter().map(|(_, at)| *at).fold(0.0, f64::max);
    Ok(Figures { log, total })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let real = args.iter().any(|a| a == "--real");
    let scale = match args.iter().position(|a| a == "--scale") {
        Some(i) => args.get(i + 1).ok_or("--scale needs a number")?.parse::<f64>()?,
        None if real => 600.0,
        None => 1.0,
    };
    if scale.is_nan() || scale <= 0.0 {
        return Err("--scale must be positive".into());
    }
    println!("sequential:");
    let seq = run(false, real, scale)?;
    println!("cooperative:");
    let coop = run(true, real, scale)?;
    let groceries = coop.log.iter().find(|(w, _)| *w == "groceries bought").map_or(0.0, |e| e.1);
    println!(
        "sequential {:.0} min (seed: 80); cooperative {:.0} min (seed: 60), groceries at {groceries:.0} min (seed: 35)",
        seq.total, coop.total
    );
    Ok(())
}
