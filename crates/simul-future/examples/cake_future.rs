//! Seed 002, `cake`, hand-written future style: bake a cake (15 min of
//! dough, then 45 min in the oven) and buy groceries (20 min), with no
//! `async` anywhere.
//!
//! Each errand is an enum whose states are what it waits for: the cake
//! waits `InTheOven`, the shopper waits `AtTheShop`. The dough is not a
//! state: it is blocking work done inside a poll (`Clock::block_for`), so
//! nothing else runs during it.
//!
//! Each errand is a task of its own (lanes `cake` and `groceries` on the
//! board). The sequential version is a third machine that spawns the cake
//! and waits for it, then spawns the shopping and waits for that: 80 min,
//! since waiting for one errand at a time overlaps nothing. Spawned
//! together and gathered (asyncio's `gather`), the two are polled in
//! turn: the dough blocks 15 min, then while the cake is in the oven the
//! shopping happens: groceries at 35 min, cake at 60.
//!
//! Runs on the virtual clock (exact, instant); `--real --scale N` runs
//! one simulated minute in 60/N real seconds (default N = 1200: 80
//! minutes in 4 s).
//!
//! ```text
//! cargo run -p simul-future --example cake_future [-- --real --scale 1200 --board --svg cake.svg]
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{JoinHandle, Runtime, RuntimeError, Sleep, join_all, sleep, spawn};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::cake::{DOUGH, GROCERIES, OVEN};
use simul_scenario::{Options, Outcome, Scenario, Style, Traces, say};

/// A simulated minute in seed units.
const MINUTE: Duration = Duration::from_secs(60);

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
    /// A seed duration (`DOUGH`, `OVEN`, ...) in this run's minutes.
    fn lasting(&self, d: Duration) -> Duration {
        self.minute.mul_f64(d.as_secs_f64() / MINUTE.as_secs_f64())
    }

    fn log(&self, what: &'static str) {
        let at = (self.clock.now() - self.start).as_secs_f64() / self.minute.as_secs_f64();
        say!("  {at:5.1} min  {what}");
        self.log.borrow_mut().push((what, at));
    }
}

/// `bake_cake`, by hand. Every field is `Unpin` (`Sleep` is), so the
/// machine is matched through `get_mut`, without pin projection.
///
/// ```text
///   [Start] --poll: dough (block 15 min), sleep(45 min)--> [InTheOven]
///                                                  | oven Pending: Pending
///                                                  | oven Ready: "cake baked"
///                                                  v
///                                                [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum BakeCake {
    /// Not polled yet.
    Start { k: Kitchen },
    /// The dough is done; the oven is a cooperative wait.
    InTheOven { k: Kitchen, oven: Sleep },
    /// Baked.
    Done,
}

impl Future for BakeCake {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            match this {
                BakeCake::Start { k } => {
                    trace::name_current("cake");
                    k.clock.block_for(k.lasting(DOUGH)); // hands busy
                    k.log("dough ready, cake in the oven");
                    let oven = sleep(k.lasting(OVEN));
                    *this = BakeCake::InTheOven { k: k.clone(), oven };
                }
                BakeCake::InTheOven { k, oven } => {
                    ready!(Pin::new(oven).poll(cx));
                    k.log("cake baked");
                    *this = BakeCake::Done;
                    return Poll::Ready(());
                }
                BakeCake::Done => panic!("BakeCake polled after it finished"),
            }
        }
    }
}

/// `buy_groceries`, by hand.
///
/// ```text
///   [Start] --poll: "off to the shop", sleep(20 min)--> [AtTheShop]
///                                               | shop Pending: Pending
///                                               | shop Ready: "groceries bought"
///                                               v
///                                             [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum BuyGroceries {
    /// Not polled yet.
    Start { k: Kitchen },
    /// At the shop: a cooperative wait.
    AtTheShop { k: Kitchen, shop: Sleep },
    /// Bought.
    Done,
}

impl Future for BuyGroceries {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            match this {
                BuyGroceries::Start { k } => {
                    trace::name_current("groceries");
                    k.log("off to the shop");
                    let shop = sleep(k.lasting(GROCERIES));
                    *this = BuyGroceries::AtTheShop { k: k.clone(), shop };
                }
                BuyGroceries::AtTheShop { k, shop } => {
                    ready!(Pin::new(shop).poll(cx));
                    k.log("groceries bought");
                    *this = BuyGroceries::Done;
                    return Poll::Ready(());
                }
                BuyGroceries::Done => panic!("BuyGroceries polled after it finished"),
            }
        }
    }
}

/// One errand after the other: `await bake_cake(); await buy_groceries()`,
/// each errand a task of its own so that it keeps its own lane.
///
/// ```text
///   [Start] --spawn cake--> [Baking{cake}] --cake Ready: spawn groceries--> [Shopping{groceries}]
///                             | Pending: Pending                             | Pending: Pending
///                                                        groceries Ready --> [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum Sequential {
    /// Not polled yet (tasks are spawned from inside the runtime).
    Start { k: Kitchen },
    /// Waiting for the cake.
    Baking { k: Kitchen, cake: JoinHandle<()> },
    /// Waiting for the shopping.
    Shopping { groceries: JoinHandle<()> },
    /// Both done.
    Done,
}

impl Future for Sequential {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            match this {
                Sequential::Start { k } => {
                    let cake = spawn(BakeCake::Start { k: k.clone() });
                    *this = Sequential::Baking { k: k.clone(), cake };
                }
                Sequential::Baking { k, cake } => {
                    ready!(Pin::new(cake).poll(cx)).expect("baking does not panic");
                    let groceries = spawn(BuyGroceries::Start { k: k.clone() });
                    *this = Sequential::Shopping { groceries };
                }
                Sequential::Shopping { groceries } => {
                    ready!(Pin::new(groceries).poll(cx)).expect("shopping does not panic");
                    *this = Sequential::Done;
                    return Poll::Ready(());
                }
                Sequential::Done => panic!("Sequential polled after it finished"),
            }
        }
    }
}

/// Runs one version on `clock`, a simulated minute lasting `minute`.
pub fn run_on(gathered: bool, clock: Clock, minute: Duration) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let k = Kitchen { clock: clock.clone(), minute, start: clock.now(), log: Rc::default() };
    if gathered {
        let cake = rt.spawn(BakeCake::Start { k: k.clone() });
        let groceries = rt.spawn(BuyGroceries::Start { k: k.clone() });
        for done in rt.block_on(join_all(vec![cake, groceries]))? {
            done.expect("errands do not panic");
        }
    } else {
        rt.block_on(Sequential::Start { k: k.clone() })?;
    }
    let log = k.log.take();
    let total = log.iter().map(|(_, at)| *at).fold(0.0, f64::max);
    Ok(Figures { log, total })
}

/// Runs one version; `scale` simulated minutes per real minute.
pub fn run(gathered: bool, real: bool, scale: f64) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(gathered, clock, Duration::from_secs_f64(60.0 / scale))
}

/// Simulated minutes as a seed duration (exact for whole minutes).
fn minutes(m: f64) -> Duration {
    MINUTE.mul_f64(m)
}

/// The scenario: sequential, then cooperative, each traced as its
/// variant; figures in seed units.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let minute = opts.scaled(MINUTE);
    say!("sequential:");
    let seq = opts.record(&mut traces, "sequential", || run_on(false, opts.clock(), minute))?;
    say!("cooperative:");
    let coop = opts.record(&mut traces, "cooperative", || run_on(true, opts.clock(), minute))?;
    let bought = coop.log.iter().find(|(w, _)| *w == "groceries bought").map_or(0.0, |e| e.1);
    Ok(Outcome {
        style: Style::Future,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::Cake {
            sequential: minutes(seq.total),
            cooperative: minutes(coop.total),
            groceries_done: minutes(bought),
        },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Cake, Style::Future, scenario)
}
