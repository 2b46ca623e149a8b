//! `cake`, generator style (seed 002): bake a cake (15 min preparing the
//! dough, then 45 min in the oven) and buy groceries (20 min).
//!
//! Preparing dough and shopping are the cook's own work (blocking: the
//! cook is the loop); the oven bakes by itself (a cooperative wait).
//! Sequentially: 80 min. Cooperatively: the cook shops while the cake
//! bakes: groceries done at 35 min, everything at 60 min.
//!
//! ```text
//! cargo run -p simul-coro --example cake_coro
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Call, Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Task, Trap,
};
use simul_reactor::{Clock, Instant};

const MIN: u64 = 60;

/// What happened, and when.
pub type Entries = Vec<(Instant, &'static str)>;

/// The shared diary the errands write to.
pub type Diary = Rc<RefCell<Entries>>;

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
    Start(Clock, Diary),
    /// Suspended while the oven bakes.
    InOven(Clock, Diary),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Cake {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, Cake::Done) {
            Cake::Start(clock, diary) => {
                clock.block_for(Duration::from_secs(15 * MIN));
                diary.borrow_mut().push((clock.now(), "dough ready, cake in the oven"));
                *self = Cake::InOven(clock, diary);
                Ok(CoroutineState::Yielded(Trap::Sleep(Duration::from_secs(45 * MIN))))
            }
            Cake::InOven(clock, diary) => {
                diary.borrow_mut().push((clock.now(), "cake baked"));
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
    Start(Clock, Diary),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Groceries {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, Groceries::Done) {
            Groceries::Start(clock, diary) => {
                clock.block_for(Duration::from_secs(20 * MIN));
                diary.borrow_mut().push((clock.now(), "groceries bought"));
                Ok(CoroutineState::Complete(()))
            }
            Groceries::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs the errands, one after the other or together; returns the diary
/// and the total time.
pub fn run(clock: Clock, sequential: bool) -> Result<(Entries, Duration), RunError> {
    let diary = Diary::default();
    let mut s = Scheduler::<()>::with_clock(clock.clone())?;
    let start = s.now();
    let cake: Task<()> = Box::new(Cake::Start(clock.clone(), diary.clone()));
    let groceries: Task<()> = Box::new(Groceries::Start(clock, diary.clone()));
    if sequential {
        // yield from join(spawn(cake)); yield from join(spawn(groceries))
        let main = Call::spawn(cake)
            .and_then(Call::join)
            .and_then(move |_| Call::spawn(groceries))
            .and_then(Call::join)
            .map_return(|_| ());
        s.run(main)?;
    } else {
        s.spawn(cake);
        s.spawn(groceries);
        s.run_all()?;
    }
    let lines = diary.borrow().clone();
    Ok((lines, s.now() - start))
}

#[allow(dead_code)]
fn main() -> Result<(), RunError> {
    for (name, sequential, seed) in [("sequential", true, 80), ("cooperative", false, 60)] {
        let (diary, total) = run(Clock::new_virtual(), sequential)?;
        println!("{name}:");
        for (t, what) in diary {
            println!("  {:>3} min  {what}", t.as_nanos() / 60_000_000_000);
        }
        println!("cake_coro {name}: {} min (the seed: {seed} min)", total.as_secs() / MIN);
    }
    Ok(())
}
