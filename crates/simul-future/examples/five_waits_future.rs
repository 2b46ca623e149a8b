//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`,
//! hand-written future style: a main task starts five tasks in a loop,
//! printing `time passed after iter i is t`; each task waits 3 s.
//!
//! The main task is an enum, the future `block_on` runs (the runtime's
//! root task: lane `main`). Its first poll runs the whole loop: each iteration prints and `spawn`s
//! a task (lanes `example_coroutine 0` .. `4`), which only queues it, so
//! the five starts are microseconds apart (exactly 0 on the virtual
//! clock). It then moves to the state `Gathering`, holding a `join_all` of
//! the five handles, and returns `Pending` until all five sleeps are over:
//! 3 s. The blocking main (`test_noasync.py`) blocks 3 s inside each
//! iteration of its one poll: starts 3 s apart, 15 s in all.
//!
//! Runs on the virtual clock; `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-future --example five_waits_future [-- --real --board --svg five_waits.svg]
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{
    JoinAll, JoinHandle, Runtime, RuntimeError, Sleep, join_all, now, sleep, spawn,
};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::five_waits::{TASKS, WAIT};
use simul_scenario::{Options, Outcome, Scenario, Starts, Style, Traces, say};

/// What a run shows.
#[derive(Debug)]
pub struct Figures {
    /// When each iteration of the main loop started, from the start.
    pub starts: Vec<Duration>,
    /// From the start until every task finished.
    pub total: Duration,
}

fn iteration(i: usize, t0: Instant, starts: &mut Vec<Duration>) {
    let passed = now() - t0;
    say!("  time passed after iter {i} is {:.6} s", passed.as_secs_f64());
    starts.push(passed);
}

/// `example_coroutine(i)`: `await asyncio.sleep(3)`, by hand. The sleep
/// is created when the coroutine is, which is what `example_coroutine(i)`
/// does too (it does nothing until polled). `Sleep` is `Unpin`, so no pin
/// projection is needed.
///
/// ```text
///   [Sleeping] --sleep Ready--> Ready(())
///       | sleep Pending: Pending
/// ```
#[must_use = "futures do nothing unless polled"]
struct ExampleCoroutine {
    /// Which iteration started it: its lane is `example_coroutine i`.
    i: usize,
    /// `asyncio.sleep(3)`.
    sleep: Sleep,
    /// Whether the lane has its name yet.
    named: bool,
}

impl Future for ExampleCoroutine {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !this.named {
            this.named = true;
            if trace::enabled() {
                trace::name_current(format!("example_coroutine {}", this.i));
            }
        }
        Pin::new(&mut this.sleep).poll(cx)
    }
}

/// `test_async.py`'s `main`, by hand. `JoinAll` of handles is `Unpin`,
/// so the machine is matched through `get_mut`.
///
/// ```text
///   [Start] --poll: 5 x (print, spawn)--> [Gathering{join_all(handles)}]
///                                          | Pending until all five end
///                                          v
///                                        [Done] -> Ready(starts)
/// ```
#[must_use = "futures do nothing unless polled"]
enum MainCooperative {
    /// Not polled yet; each task will wait `wait`.
    Start { wait: Duration },
    /// All five started; waiting for them.
    Gathering { starts: Vec<Duration>, all: JoinAll<JoinHandle<()>> },
    /// All five finished.
    Done,
}

impl Future for MainCooperative {
    type Output = Vec<Duration>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<Duration>> {
        let this = self.get_mut();
        loop {
            match this {
                MainCooperative::Start { wait } => {
                    trace::name_current("main");
                    let t0 = now();
                    let mut starts = Vec::new();
                    let mut tasks = Vec::new();
                    for i in 0..TASKS {
                        iteration(i, t0, &mut starts);
                        let sleep = sleep(*wait);
                        tasks.push(spawn(ExampleCoroutine { i, sleep, named: false }));
                    }
                    *this = MainCooperative::Gathering { starts, all: join_all(tasks) };
                }
                MainCooperative::Gathering { starts, all } => {
                    for done in ready!(Pin::new(all).poll(cx)) {
                        // A task only fails by panicking, which ours cannot.
                        done.expect("ExampleCoroutine does not panic");
                    }
                    let starts = std::mem::take(starts);
                    *this = MainCooperative::Done;
                    return Poll::Ready(starts);
                }
                MainCooperative::Done => panic!("MainCooperative polled after it finished"),
            }
        }
    }
}

/// `test_noasync.py`'s `main`, run on the loop: one poll, five blocking
/// calls, nothing to wait in.
///
/// ```text
///   [Start] --poll: 5 x (print, block 3 s)--> Ready(starts)
/// ```
#[must_use = "futures do nothing unless polled"]
struct MainBlocking {
    /// The loop's clock, to block on.
    clock: Clock,
    /// `time.sleep(3)`.
    wait: Duration,
}

impl Future for MainBlocking {
    type Output = Vec<Duration>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Vec<Duration>> {
        trace::name_current("main");
        let t0 = now();
        let mut starts = Vec::new();
        for i in 0..TASKS {
            iteration(i, t0, &mut starts);
            self.clock.block_for(self.wait); // time.sleep(3)
        }
        Poll::Ready(starts)
    }
}

/// Runs one version on `clock`, each task waiting `wait`; returns the
/// starts and the total. `main` is the runtime's root task, as
/// `asyncio.run` makes it the loop's first task.
pub fn run_on(blocking: bool, clock: Clock, wait: Duration) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let t0 = clock.now();
    let starts = if blocking {
        rt.block_on(MainBlocking { clock: clock.clone(), wait })?
    } else {
        rt.block_on(MainCooperative::Start { wait })?
    };
    Ok(Figures { starts, total: clock.now() - t0 })
}

/// [`run_on`] with a new virtual (or real) clock and the seed's wait.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(blocking, clock, WAIT)
}

/// The scenario: `test_async.py`, then `test_noasync.py`, each traced as
/// its variant; figures in seed units.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let mut starts = |variant: &'static str, title: &str, blocking: bool| {
        say!("{title}:");
        let f = opts
            .record(&mut traces, variant, || run_on(blocking, opts.clock(), opts.scaled(WAIT)))?;
        say!("\nTotal time needed was {:.6} s\n", f.total.as_secs_f64());
        let unscaled = f.starts.into_iter().map(|s| opts.unscaled(s)).collect();
        Ok::<_, RuntimeError>(Starts { starts: unscaled, took: opts.unscaled(f.total) })
    };
    let cooperative = starts("cooperative", "test_async", false)?;
    let blocking = starts("blocking", "test_noasync", true)?;
    Ok(Outcome {
        style: Style::Future,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::FiveWaits { cooperative, blocking },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::FiveWaits, Style::Future, scenario)
}
