//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`, `async fn`
//! style: a main task starts five tasks in a loop, printing `time passed
//! after iter i is t`; each task waits 3 s.
//!
//! ```python
//! async def example_coroutine(i):
//!     await asyncio.sleep(3)
//!
//! async def main():
//!     tasks = []
//!     for i in range(5):
//!         print(f'time passed after iter {i} is {time.time()-t0}')
//!         tasks.append(asyncio.ensure_future(example_coroutine(i)))
//!     await asyncio.gather(*tasks)
//! ```
//!
//! `spawn` only queues a task, so the five starts are microseconds apart
//! (exactly 0 on the virtual clock) and all five sleeps overlap: 3 s. The
//! blocking version (`test_noasync.py`) calls a plain function that
//! blocks for 3 s: starts 3 s apart, 15 s in all.
//!
//! Runs on the virtual clock; `--real` uses the real one.
//!
//! ```text
//! cargo run --release -p simul-future --example five_waits_async [-- --real --board]
//! ```

use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join_all, now, sleep, spawn};
use simul_reactor::{Clock, Instant, trace};
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

/// `test_async.py`'s coroutine: a cooperative wait.
async fn example_coroutine(i: usize, wait: Duration) {
    if trace::enabled() {
        trace::name_current(format!("example_coroutine {i}"));
    }
    sleep(wait).await;
}

/// `test_async.py`'s `main`: start five tasks, then gather them.
async fn main_cooperative(wait: Duration) -> Vec<Duration> {
    let t0 = now();
    let mut starts = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        iteration(i, t0, &mut starts);
        tasks.push(spawn(example_coroutine(i, wait)));
    }
    for done in join_all(tasks).await {
        // A task only fails by panicking, which `example_coroutine` cannot.
        done.expect("example_coroutine does not panic");
    }
    starts
}

/// `test_noasync.py`'s function: `time.sleep(3)`.
fn example_blocking(clock: &Clock, wait: Duration) {
    clock.block_for(wait);
}

/// `test_noasync.py`'s `main`, run on the loop: each call blocks.
async fn main_blocking(clock: Clock, wait: Duration) -> Vec<Duration> {
    let t0 = now();
    let mut starts = Vec::new();
    for i in 0..TASKS {
        iteration(i, t0, &mut starts);
        example_blocking(&clock, wait);
    }
    starts
}

/// Runs one version on `clock`; returns the starts and the total.
fn run_on(blocking: bool, clock: Clock, wait: Duration) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let t0 = clock.now();
    let starts = if blocking {
        rt.block_on(main_blocking(clock.clone(), wait))?
    } else {
        rt.block_on(main_cooperative(wait))?
    };
    Ok(Figures { starts, total: clock.now() - t0 })
}

/// Runs one version; returns the starts and the total.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    run_on(blocking, if real { Clock::real() } else { Clock::new_virtual() }, WAIT)
}

/// The scenario: `test_async.py`, then `test_noasync.py`.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let mut one = |variant: &'static str, title: &str, blocking: bool| {
        say!("{title}:");
        let f = opts
            .record(&mut traces, variant, || run_on(blocking, opts.clock(), opts.scaled(WAIT)))?;
        say!("\nTotal time needed was {:.6} s\n", f.total.as_secs_f64());
        Ok::<_, RuntimeError>(Starts {
            starts: f.starts.into_iter().map(|t| opts.unscaled(t)).collect(),
            took: opts.unscaled(f.total),
        })
    };
    let cooperative = one("cooperative", "test_async", false)?;
    let blocking = one("blocking", "test_noasync", true)?;
    let figures = simul_scenario::Figures::FiveWaits { cooperative, blocking };
    Ok(Outcome { style: Style::Async, exact: opts.is_virtual(), figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::FiveWaits, Style::Async, scenario)
}
