//! Seeds 003/004, `cpu_bound`, `async fn` style: async is not parallelism.
//!
//! Four CPU-heavy jobs run three ways while a heartbeat task, due every
//! 10 ms, measures how late each beat comes:
//!
//! 1. **on the loop**: each job is a task that computes without awaiting.
//!    The heartbeat's timer falls due but nobody looks at it until all
//!    the jobs are done: it is starved for the whole sum of the jobs.
//! 2. **with yields**: each job awaits `yield_now()` (asyncio's
//!    `sleep(0)`) between slices. Same elapsed time, but the loop gets its
//!    turns: this runtime checks its timers every `BUDGET` = 64 polls (as
//!    tokio's "event interval" does), so the heartbeat is late by at most
//!    64 slices instead of four whole jobs.
//! 3. **offloaded**: `spawn_blocking` runs the jobs on worker threads; the
//!    loop is idle, the heartbeat regular, and with several cores the
//!    elapsed time drops towards sum / cores.
//!
//! ```python
//! async def job_with_yields():
//!     for part in range(SLICES):
//!         work(UNITS // SLICES)
//!         await asyncio.sleep(0)
//!
//! async def job_offloaded():
//!     await asyncio.to_thread(work, UNITS)
//! ```
//!
//! Real clock only: the work is real CPU work. `--units N` sets the work
//! per job (default 10 M steps: tens of ms in release builds,
//! a few hundred in debug ones).
//!
//! ```text
//! cargo run --release -p simul-future --example cpu_bound_async [-- --units 10000000]
//! ```

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_future::{Runtime, RuntimeError, join_all, sleep, spawn, spawn_blocking, yield_now};

const JOBS: u32 = 4;
const SLICES: u64 = 400;
const UNITS: u64 = 10_000_000;
const BEAT: Duration = Duration::from_millis(10);

/// The three ways to run the jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Each job computes without awaiting.
    OnTheLoop,
    /// Each job awaits `yield_now()` between slices.
    WithYields,
    /// Each job runs on a worker thread (`spawn_blocking`).
    Offloaded,
}

impl Mode {
    /// All three, in the order the program shows them.
    pub const ALL: [Mode; 3] = [Mode::OnTheLoop, Mode::WithYields, Mode::Offloaded];

    fn name(self) -> &'static str {
        match self {
            Mode::OnTheLoop => "on the loop",
            Mode::WithYields => "with yields",
            Mode::Offloaded => "offloaded",
        }
    }
}

/// What a run measures.
#[derive(Debug)]
pub struct Figures {
    /// From the jobs' start until the last one finished.
    pub elapsed: Duration,
    /// The longest a heartbeat came after its due time.
    pub starved: Duration,
    /// Every job's result, to check that all did the same work.
    pub results: Vec<u64>,
}

/// The CPU work: `units` steps of a little generator nobody can skip.
fn work(units: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..units {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

/// What the heartbeat measures.
#[derive(Default)]
struct Pulse {
    beats: Cell<u32>,
    worst: Cell<Duration>,
    stop: Cell<bool>,
}

async fn heartbeat(pulse: Rc<Pulse>) {
    let mut last = Instant::now();
    while !pulse.stop.get() {
        sleep(BEAT).await;
        let now = Instant::now();
        let late = now.duration_since(last).saturating_sub(BEAT);
        pulse.worst.set(pulse.worst.get().max(late));
        pulse.beats.set(pulse.beats.get() + 1);
        last = now;
    }
}

async fn job_on_the_loop(units: u64) -> u64 {
    work(units)
}

async fn job_with_yields(units: u64) -> u64 {
    // Each slice's result feeds the next, so the total is one unbroken
    // piece of work, cut where the loop may take its turn.
    let mut x = 0;
    for _ in 0..SLICES {
        x ^= work(units / SLICES);
        yield_now().await;
    }
    x
}

async fn job_offloaded(units: u64) -> u64 {
    // A worker only fails by panicking, which `work` cannot.
    spawn_blocking(move || work(units)).await.expect("work does not panic")
}

async fn exhibit(mode: Mode, units: u64, pulse: Rc<Pulse>) -> (Duration, Vec<u64>) {
    let beating = spawn(heartbeat(pulse.clone()));
    let start = Instant::now();
    let jobs = (0..JOBS)
        .map(|_| match mode {
            Mode::OnTheLoop => spawn(job_on_the_loop(units)),
            Mode::WithYields => spawn(job_with_yields(units)),
            Mode::Offloaded => spawn(job_offloaded(units)),
        })
        .collect();
    let results: Vec<u64> =
        join_all(jobs).await.into_iter().map(|r| r.expect("jobs do not panic")).collect();
    let elapsed = start.elapsed();
    // One more beat, so that a beat the jobs held up is measured too.
    let beats = pulse.beats.get();
    while pulse.beats.get() == beats {
        sleep(BEAT).await;
    }
    pulse.stop.set(true);
    beating.await.expect("the heartbeat does not panic");
    (elapsed, results)
}

/// Runs the jobs one way, `units` steps each, on the real clock.
pub fn run(mode: Mode, units: u64) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::new()?;
    let pulse = Rc::new(Pulse::default());
    let (elapsed, results) = rt.block_on(exhibit(mode, units, pulse.clone()))?;
    Ok(Figures { elapsed, starved: pulse.worst.get(), results })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let units: u64 = match args.iter().position(|a| a == "--units") {
        Some(i) => args.get(i + 1).ok_or("--units needs a number")?.parse()?,
        None => UNITS,
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("{JOBS} jobs of {units} steps, {cores} cores, heartbeat every {BEAT:?}");
    let mut on_the_loop = Duration::ZERO;
    for mode in Mode::ALL {
        let f = run(mode, units)?;
        if mode == Mode::OnTheLoop {
            on_the_loop = f.elapsed;
        }
        println!(
            "{:>12}: elapsed {:.3} s ({:.2} x on the loop), heartbeat late by up to {:.3} s",
            mode.name(),
            f.elapsed.as_secs_f64(),
            f.elapsed.as_secs_f64() / on_the_loop.as_secs_f64(),
            f.starved.as_secs_f64()
        );
    }
    println!(
        "the seeds: on the loop elapsed = sum of jobs and the heartbeat starves; with yields the \
         same elapsed and the heartbeat gets in; offloaded elapsed ~ sum / cores"
    );
    Ok(())
}
