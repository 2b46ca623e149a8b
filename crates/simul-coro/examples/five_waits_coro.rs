//! `five_waits`, generator style (seed 002, `test_async.py` and
//! `test_noasync.py`): a main task starts five tasks in a loop, printing
//! `time passed after iter i is t`; each task waits 3 s.
//!
//! Cooperatively the five starts are microseconds apart (exactly 0 on the
//! virtual clock) and the whole run takes 3 s; blocking, each start waits
//! for the previous task and the run takes 15 s.
//!
//! Runs on the virtual clock (exact); `--real` runs it on the real clock;
//! `--board` draws the lanes `main` and `example 0` .. `example 4` (the seed's `example_coroutine(i)`).
//!
//! ```text
//! cargo run --release -p simul-coro --example five_waits_coro [-- --real --board]
//! ```

use std::cell::RefCell;
use std::error::Error;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, TaskId, Trap,
};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::five_waits::{TASKS, WAIT};
use simul_scenario::{Figures, Options, Outcome, Scenario, Starts, Style, Traces, say};

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
        /// Which iteration of main's loop started it.
        i: usize,
        /// Block instead of yielding.
        blocking: bool,
        /// How long to wait.
        wait: Duration,
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
            Example::Start { i, blocking, wait, clock } => {
                if trace::enabled() {
                    trace::name_current(format!("example {i}"));
                }
                if blocking {
                    clock.block_for(wait);
                    return Ok(CoroutineState::Complete(()));
                }
                *self = Example::Waiting;
                Ok(CoroutineState::Yielded(Trap::Sleep(wait)))
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
        i: usize,
        /// Tasks started so far.
        tasks: Vec<TaskId>,
        /// Block instead of yielding.
        blocking: bool,
        /// How long each task waits.
        wait: Duration,
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
            Main::Starting { i, tasks, blocking, wait, clock, times } => {
                if matches!(reply, Reply::Start) {
                    trace::name_current("main");
                }
                if let Reply::Spawned(id) = reply {
                    if *blocking {
                        // time.sleep inside the call: main waits for it.
                        return Ok(CoroutineState::Yielded(Trap::Join(id)));
                    }
                    tasks.push(id);
                }
                if *i < TASKS {
                    let t = clock.now() - Instant::ZERO;
                    say!("time passed after iter {i} is {}", t.as_secs_f64());
                    times.borrow_mut().push(t);
                    let ex = Example::Start {
                        i: *i,
                        blocking: *blocking,
                        wait: *wait,
                        clock: clock.clone(),
                    };
                    *i += 1;
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

/// Runs the seed's main (cooperative or blocking, each task waiting
/// `wait`) on `clock`; returns the times main printed and the whole run's
/// length.
pub fn run(
    clock: Clock,
    blocking: bool,
    wait: Duration,
) -> Result<(Vec<Duration>, Duration), RunError> {
    let mut s = Scheduler::with_clock(clock.clone())?;
    let start = s.now();
    let times = Rc::new(RefCell::new(Vec::new()));
    let tasks = Vec::new();
    s.run(Main::Starting { i: 0, tasks, blocking, wait, clock, times: times.clone() })?;
    let times = times.borrow().clone();
    Ok((times, s.now() - start))
}

/// One variant, traced as `variant`, in seed units.
fn starts(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    blocking: bool,
) -> Result<Starts, RunError> {
    say!("{variant}:");
    let (times, took) =
        opts.record(traces, variant, || run(opts.clock(), blocking, opts.scaled(WAIT)))?;
    say!("Total time needed was {}", took.as_secs_f64());
    let starts = times.into_iter().map(|t| opts.unscaled(t)).collect();
    Ok(Starts { starts, took: opts.unscaled(took) })
}

/// The scenario: `test_async.py`, then `test_noasync.py`.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let mut traces = Traces::default();
    let cooperative = starts(opts, &mut traces, "cooperative", false)?;
    let blocking = starts(opts, &mut traces, "blocking", true)?;
    Ok(Outcome {
        style: Style::Coro,
        exact: opts.is_virtual(),
        figures: Figures::FiveWaits { cooperative, blocking },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::FiveWaits, Style::Coro, scenario)
}
