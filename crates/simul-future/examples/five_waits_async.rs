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
//! cargo run -p simul-future --example five_waits_async [-- --real]
//! ```

use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join_all, now, sleep, spawn};
use simul_reactor::{Clock, Instant};

const TASKS: u32 = 5;
const WAIT: Duration = Duration::from_secs(3);

/// What a run shows.
#[derive(Debug)]
pub struct Figures {
    /// When each iteration of the main loop started, from the start.
    pub starts: Vec<Duration>,
    /// From the start until every task finished.
    pub total: Duration,
}

fn iteration(i: u32, t0: Instant, starts: &mut Vec<Duration>) {
    let passed = now() - t0;
    println!("  time passed after iter {i} is {:.6} s", passed.as_secs_f64());
    starts.push(passed);
}

/// `test_async.py`'s coroutine: a cooperative wait.
async fn example_coroutine(_i: u32) {
    sleep(WAIT).await;
}

/// `test_async.py`'s `main`: start five tasks, then gather them.
async fn main_cooperative() -> Vec<Duration> {
    let t0 = now();
    let mut starts = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        iteration(i, t0, &mut starts);
        tasks.push(spawn(example_coroutine(i)));
    }
    for done in join_all(tasks).await {
        // A task only fails by panicking, which `example_coroutine` cannot.
        done.expect("example_coroutine does not panic");
    }
    starts
}

/// `test_noasync.py`'s function: `time.sleep(3)`.
fn example_blocking(clock: &Clock) {
    clock.block_for(WAIT);
}

/// `test_noasync.py`'s `main`, run on the loop: each call blocks.
async fn main_blocking(clock: Clock) -> Vec<Duration> {
    let t0 = now();
    let mut starts = Vec::new();
    for i in 0..TASKS {
        iteration(i, t0, &mut starts);
        example_blocking(&clock);
    }
    starts
}

/// Runs one version; returns the starts and the total.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let t0 = clock.now();
    let starts = if blocking {
        rt.block_on(main_blocking(clock.clone()))?
    } else {
        rt.block_on(main_cooperative())?
    };
    Ok(Figures { starts, total: clock.now() - t0 })
}

fn main() -> Result<(), RuntimeError> {
    let real = std::env::args().any(|a| a == "--real");
    println!("test_async:");
    let coop = run(false, real)?;
    println!("\nTotal time needed was {:.6} s\n", coop.total.as_secs_f64());
    println!("test_noasync:");
    let blocking = run(true, real)?;
    println!("\nTotal time needed was {:.6} s\n", blocking.total.as_secs_f64());
    println!(
        "cooperative {:.2} s (seed: 3.00 s); blocking {:.1} s (seed: 15.0 s)",
        coop.total.as_secs_f64(),
        blocking.total.as_secs_f64()
    );
    Ok(())
}
