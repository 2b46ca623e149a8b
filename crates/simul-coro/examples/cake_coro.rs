//! `cake`, generator style (seed 002): bake a cake (15 min preparing the
//! dough, then 45 min in the oven) and buy groceries (20 min).
//!
//! Preparing dough and shopping are the cook's own work (blocking: the
//! cook is the loop); the oven bakes by itself (a cooperative wait).
//! Sequentially: 80 min. Cooperatively: the cook shops while the cake
//! bakes: groceries done at 35 min, everything at 60 min.
//!
//! Runs on the virtual clock (exact); `--real` runs it on the real clock
//! (one simulated second in 1/1200 s by default, `--scale N`); `--board`
//! draws the lanes `cake` and `groceries`.
//!
//! ```text
//! cargo run --release -p simul-coro --example cake_coro [-- --real --scale 600 --board]
//! ```

use std::cell::RefCell;
use std::error::Error;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Call, Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Task, Trap,
};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::cake::{DOUGH, GROCERIES, OVEN};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// What happened, and when.
pub type Entries = Vec<(Instant, &'static str)>;

/// The shared diary the errands write to.
pub type Diary = Rc<RefCell<Entries>>;

/// What the errands share: the cook's clock, the diary, and how much
/// faster than the seed this run goes.
#[derive(Clone)]
pub struct Kitchen {
    /// The loop's clock: the cook's own work blocks on it.
    clock: Clock,
    /// What happened, and when.
    diary: Diary,
    /// Seed seconds per clock second (1 on the virtual clock).
    scale: u32,
}

impl Kitchen {
    /// A seed duration on this run's clock.
    fn d(&self, seed: Duration) -> Duration {
        seed / self.scale
    }

    /// Writes `what` in the diary, and says it, in seed minutes.
    fn note(&self, what: &'static str) {
        let now = self.clock.now();
        let min = now.since_origin().as_secs_f64() * f64::from(self.scale) / 60.0;
        say!("  {min:>3.0} min  {what}");
        self.diary.borrow_mut().push((now, what));
    }
}

/// The cake, as a hand-written coroutine.
///
/// ```python
/// def cake():
///     prepare_dough()          # 15 min of the cook's own work: blocking
///     yield Sleep(45 min)      # in the oven: the cook is free
///     note("cake baked")
/// ```
///
/// ```text
///   +-------+  resume: dough (blocking 15 min), yield Sleep(45 min)  +--------+
///   | Start | -----------------------------------------------------> | InOven |
///   +-------+                                                        +--------+
///                                         resume(Woke): "cake baked", return |
///   +------+ <---------------------------------------------------------------+
///   | Done |
///   +------+
/// ```
pub enum Cake {
    /// Not started.
    Start(Kitchen),
    /// Suspended while the oven bakes.
    InOven(Kitchen),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Cake {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, Cake::Done) {
            Cake::Start(k) => {
                trace::name_current("cake");
                k.clock.block_for(k.d(DOUGH));
                k.note("dough ready, cake in the oven");
                let oven = k.d(OVEN);
                *self = Cake::InOven(k);
                Ok(CoroutineState::Yielded(Trap::Sleep(oven)))
            }
            Cake::InOven(k) => {
                k.note("cake baked");
                Ok(CoroutineState::Complete(()))
            }
            Cake::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Shopping: 20 minutes of the cook's own time, no suspension point.
///
/// ```python
/// def groceries():
///     shop()                   # 20 min: blocking
///     note("groceries bought")
/// ```
///
/// ```text
///   +-------+  resume: shop (blocking 20 min), return   +------+
///   | Start | ----------------------------------------> | Done |
///   +-------+                                           +------+
/// ```
pub enum Groceries {
    /// Not started.
    Start(Kitchen),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Groceries {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, Groceries::Done) {
            Groceries::Start(k) => {
                trace::name_current("groceries");
                k.clock.block_for(k.d(GROCERIES));
                k.note("groceries bought");
                Ok(CoroutineState::Complete(()))
            }
            Groceries::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs the errands, one after the other or together, every seed duration
/// divided by `scale`; returns the diary and the total time.
pub fn run(clock: Clock, sequential: bool, scale: u32) -> Result<(Entries, Duration), RunError> {
    let kitchen = Kitchen { clock: clock.clone(), diary: Diary::default(), scale: scale.max(1) };
    let mut s = Scheduler::<()>::with_clock(clock)?;
    let start = s.now();
    let cake: Task<()> = Box::new(Cake::Start(kitchen.clone()));
    let groceries: Task<()> = Box::new(Groceries::Start(kitchen.clone()));
    if sequential {
        // yield from join(spawn(cake)); yield from join(spawn(groceries))
        let main = Call::spawn(cake)
            .and_then(Call::join)
            .and_then(move |_| Call::spawn(groceries))
            .and_then(Call::join)
            .map_return(|_| ());
        let cook = s.spawn(main);
        trace::name(s.unit(cook), "cook");
        s.run_all()?;
    } else {
        s.spawn(cake);
        s.spawn(groceries);
        s.run_all()?;
    }
    let lines = kitchen.diary.borrow().clone();
    Ok((lines, s.now() - start))
}

/// The scenario: the errands one after the other, then together.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let mut traces = Traces::default();
    say!("sequential:");
    let (_, sequential) =
        opts.record(&mut traces, "sequential", || run(opts.clock(), true, opts.scale()))?;
    say!("cooperative:");
    let (diary, cooperative) =
        opts.record(&mut traces, "cooperative", || run(opts.clock(), false, opts.scale()))?;
    let groceries_done = diary
        .iter()
        .find(|(_, what)| *what == "groceries bought")
        .map(|(t, _)| opts.unscaled(t.since_origin()))
        .ok_or("the groceries were never bought")?;
    Ok(Outcome {
        style: Style::Coro,
        exact: opts.is_virtual(),
        figures: Figures::Cake {
            sequential: opts.unscaled(sequential),
            cooperative: opts.unscaled(cooperative),
            groceries_done,
        },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Cake, Style::Coro, scenario)
}
