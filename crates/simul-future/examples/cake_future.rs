//! Seed 002, `cake`, hand-written future style: bake a cake (15 min of
//! dough, then 45 min in the oven) and buy groceries (20 min), with no
//! `async` anywhere.
//!
//! Each errand is an enum whose states are what it waits for: the cake
//! waits `InTheOven`, the shopper waits `AtTheShop`. The dough is not a
//! state: it is blocking work done inside a poll (`Clock::block_for`), so
//! nothing else runs during it.
//!
//! The sequential version is a third machine that holds the cake until it
//! is done, then the shopping: 80 min, since holding one future at a time
//! overlaps nothing. Handed together to `join` (asyncio's `gather`), the
//! two are polled in turn: the dough blocks 15 min, then while the cake
//! is in the oven the shopping happens: groceries at 35 min, cake at 60.
//!
//! Runs on the virtual clock (exact, instant); `--real --scale N` runs
//! one simulated minute in 60/N real seconds (default N = 600).
//!
//! ```text
//! cargo run -p simul-future --example cake_future [-- --real --scale 600]
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, Sleep, join, sleep};
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

pin_project_lite::pin_project! {
    /// `bake_cake`, by hand.
    ///
    /// ```text
    ///   [Start] --poll: dough (block 15 min), sleep(45 min)--> [InTheOven]
    ///                                                  | oven Pending: Pending
    ///                                                  | oven Ready: "cake baked"
    ///                                                  v
    ///                                                [Done] -> Ready(())
    /// ```
    #[project = BakeProj]
    enum BakeCake {
        Start { k: Kitchen },
        InTheOven { k: Kitchen, #[pin] oven: Sleep },
        Done,
    }
}

impl Future for BakeCake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.as_mut().project() {
                BakeProj::Start { k } => {
                    k.clock.block_for(k.minutes(DOUGH_MIN)); // hands busy
                    k.log("dough ready, cake in the oven");
                    let oven = sleep(k.minutes(OVEN_MIN));
                    let k = k.clone();
                    self.set(BakeCake::InTheOven { k, oven });
                }
                BakeProj::InTheOven { k, oven } => {
                    ready!(oven.poll(cx));
                    k.log("cake baked");
                    self.set(BakeCake::Done);
                    return Poll::Ready(());
                }
                BakeProj::Done => panic!("BakeCake polled after it finished"),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// `buy_groceries`, by hand.
    ///
    /// ```text
    ///   [Start] --poll: "off to the shop", sleep(20 min)--> [AtTheShop]
    ///                                               | shop Pending: Pending
    ///                                               | shop Ready: "groceries bought"
    ///                                               v
    ///                                             [Done] -> Ready(())
    /// ```
    #[project = GroceriesProj]
    enum BuyGroceries {
        Start { k: Kitchen },
        AtTheShop { k: Kitchen, #[pin] shop: Sleep },
        Done,
    }
}

impl Future for BuyGroceries {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.as_mut().project() {
                GroceriesProj::Start { k } => {
                    k.log("off to the shop");
                    let shop = sleep(k.minutes(GROCERIES_MIN));
                    let k = k.clone();
                    self.set(BuyGroceries::AtTheShop { k, shop });
                }
                GroceriesProj::AtTheShop { k, shop } => {
                    ready!(shop.poll(cx));
                    k.log("groceries bought");
                    self.set(BuyGroceries::Done);
                    return Poll::Ready(());
                }
                GroceriesProj::Done => panic!("BuyGroceries polled after it finished"),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// One errand after the other: `await bake_cake(); await buy_groceries()`.
    ///
    /// ```text
    ///   [Baking{cake}] --cake Ready--> [Shopping{groceries}] --groceries Ready--> [Done]
    ///        | Pending: Pending              | Pending: Pending
    /// ```
    #[project = SequentialProj]
    enum Sequential {
        Baking { k: Kitchen, #[pin] cake: BakeCake },
        Shopping { #[pin] groceries: BuyGroceries },
        Done,
    }
}

impl Future for Sequential {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.as_mut().project() {
                SequentialProj::Baking { k, cake } => {
                    ready!(cake.poll(cx));
                    let groceries = BuyGroceries::Start { k: k.clone() };
                    self.set(Sequential::Shopping { groceries });
                }
                SequentialProj::Shopping { groceries } => {
                    ready!(groceries.poll(cx));
                    self.set(Sequential::Done);
                    return Poll::Ready(());
                }
                SequentialProj::Done => panic!("Sequential polled after it finished"),
            }
        }
    }
}

/// Runs one version; `scale` simulated minutes per real minute.
pub fn run(gathered: bool, real: bool, scale: f64) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let minute = Duration::from_secs_f64(60.0 / scale);
    let k = Kitchen { clock: clock.clone(), minute, start: clock.now(), log: Rc::default() };
    if gathered {
        let cake = BakeCake::Start { k: k.clone() };
        rt.block_on(join(cake, BuyGroceries::Start { k: k.clone() }))?;
    } else {
        let cake = BakeCake::Start { k: k.clone() };
        rt.block_on(Sequential::Baking { k: k.clone(), cake })?;
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
