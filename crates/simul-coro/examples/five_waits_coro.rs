//! `five_waits`, generator style (seed 002, `test_async.py` and
//! `test_noasync.py`): a main task starts five tasks in a loop, printing
//! `time passed after iter i is t`; each task waits 3 s.
//!
//! Cooperatively the five starts are microseconds apart (exactly 0 on the
//! virtual clock) and the whole run takes 3 s; blocking, each start waits
//! for the previous task and the run takes 15 s.
//!
//! ```text
//! cargo run -p simul-coro --example five_waits_coro [-- --real]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, TaskId, Trap,
};
use simul_reactor::{Clock, Instant};

/// The seed's `example_coroutine(i)`: waits 3 s, cooperatively
/// (`await asyncio.sleep(3)`) or by blocking (`time.sleep(3)`).
///
/// ```text
///   +-------+  cooperative: yield Sleep(3 s)  +---------+  resume(Woke): return
///   | Start | ------------------------------> | Waiting | ---------------------> Done
///   +-------+                                 +---------+
///       | blocking: block 3 s, return
///       v
///     Done
/// ```
pub enum Example {
    /// Not started.
    Start {
        /// Block instead of yielding.
        blocking: bool,
        /// The loop's clock, for blocking.
        clock: Clock,
    },
    /// Suspended at `yield Sleep(3 s)`.
    Waiting,
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Example {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, Example::Done) {
            Example::Start { blocking: true, clock } => {
                clock.block_for(Duration::from_secs(3));
                Ok(CoroutineState::Complete(()))
            }
            Example::Start { blocking: false, .. } => {
                *self = Example::Waiting;
                Ok(CoroutineState::Yielded(Trap::Sleep(Duration::from_secs(3))))
            }
            Example::Waiting => Ok(CoroutineState::Complete(())),
            Example::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// The seed's `main`: five iterations, each printing the time and
/// starting an `Example`; then it waits for them all (`gather`).
///
/// ```python
/// def main():
///     tasks = []
///     for i in range(5):
///         print(f"time passed after iter {i} is {now() - t0}")
///         tasks.append((yield Spawn(example_coroutine(i))))
///         # blocking version: the call itself takes 3 s, modelled as Join
///     for t in tasks:
///         yield Join(t)
/// ```
///
/// ```text
///   +-------------+ Start/Spawned/Joined: note time, yield Spawn  +--------------+
///   | Starting{i} | ------------------------------------------->  | Starting{i+1}|  ... i == 5:
///   +-------------+   (blocking: yield Join of each at once)      +--------------+  yield Join(first)
///                                                                                    |
///   Done <-- all joined -- Gathering{left} <------------------------------------------+
/// ```
pub enum Main {
    /// Running the loop; `i` iterations done.
    Starting {
        /// Iterations done.
        i: u32,
        /// Tasks started so far.
        tasks: Vec<TaskId>,
        /// Block instead of yielding.
        blocking: bool,
        /// The loop's clock.
        clock: Clock,
        /// The times printed (every task of one scheduler returns the
        /// same type, here `()`, so main reports through a shared list).
        times: Rc<RefCell<Vec<Duration>>>,
    },
    /// Waiting for the tasks, one after another.
    Gathering {
        /// Tasks not yet joined.
        tasks: Vec<TaskId>,
    },
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Main {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, reply: Reply<()>) -> Resume<Trap<()>, ()> {
        match self {
            Main::Starting { i, tasks, blocking, clock, times } => {
                if let Reply::Spawned(id) = reply {
                    if *blocking {
                        // time.sleep inside the call: main waits for it.
                        return Ok(CoroutineState::Yielded(Trap::Join(id)));
                    }
                    tasks.push(id);
                }
                if *i < 5 {
                    let t = clock.now() - Instant::ZERO;
                    println!("time passed after iter {i} is {}", t.as_secs_f64());
                    times.borrow_mut().push(t);
                    *i += 1;
                    let ex = Example::Start { blocking: *blocking, clock: clock.clone() };
                    return Ok(CoroutineState::Yielded(Trap::Spawn(Box::new(ex))));
                }
                let tasks = std::mem::take(tasks);
                *self = Main::Gathering { tasks };
                self.resume(Reply::Start)
            }
            Main::Gathering { tasks } => match tasks.pop() {
                Some(id) => Ok(CoroutineState::Yielded(Trap::Join(id))),
                None => {
                    *self = Main::Done;
                    Ok(CoroutineState::Complete(()))
                }
            },
            Main::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs the seed's program; returns the printed times and the total.
pub fn run(clock: Clock, blocking: bool) -> Result<(Vec<Duration>, Duration), RunError> {
    let mut s = Scheduler::with_clock(clock.clone())?;
    let start = s.now();
    let times = Rc::new(RefCell::new(Vec::new()));
    s.run(Main::Starting { i: 0, tasks: Vec::new(), blocking, clock, times: times.clone() })?;
    let times = times.borrow().clone();
    Ok((times, s.now() - start))
}

#[allow(dead_code)]
fn main() -> Result<(), RunError> {
    let real = std::env::args().any(|a| a == "--real");
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };
    let (_, total) = run(clock(), false)?;
    println!("\nTotal time needed was {} (the seed: 3.0033 s)\n", total.as_secs_f64());
    let (_, total) = run(clock(), true)?;
    println!("\nTotal time needed was {} (the seed, blocking: 15.011 s)\n", total.as_secs_f64());
    Ok(())
}
