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
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_future::{Runtime, RuntimeError, join_all, sleep, spawn, spawn_blocking, yield_now};
use simul_reactor::trace;
use simul_scenario::params::cpu_bound::{BEAT, JOBS, QUICK_UNITS, SLICES, UNITS, work};
use simul_scenario::{
    CpuRun, Extra, Figures as Shared, Options, Outcome, Scenario, Style, Traces, say,
};

/// The example's own option.
const EXTRAS: &[Extra] =
    &[Extra { name: "--units", value: Some("N"), help: "work units per job (default 10000000)" }];

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

/// What the heartbeat measures.
#[derive(Default)]
struct Pulse {
    beats: Cell<u32>,
    worst: Cell<Duration>,
    stop: Cell<bool>,
}

async fn heartbeat(pulse: Rc<Pulse>) {
    trace::name_current("heartbeat");
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
    let jobs = (1..=JOBS)
        .map(|i| {
            spawn(async move {
                if trace::enabled() {
                    trace::name_current(format!("job {i}"));
                }
                match mode {
                    Mode::OnTheLoop => job_on_the_loop(units).await,
                    Mode::WithYields => job_with_yields(units).await,
                    Mode::Offloaded => job_offloaded(units).await,
                }
            })
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

/// The scenario: the same jobs three ways, a heartbeat beside them.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let units = opts.extra_or("--units", if opts.quick { QUICK_UNITS } else { UNITS })?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("{JOBS} jobs of {units} steps, {cores} cores, heartbeat every {BEAT:?}");
    let mut traces = Traces::default();
    let mut one = |variant: &'static str, mode: Mode| {
        let f = opts.record(&mut traces, variant, || run(mode, units))?;
        say!(
            "{:>12}: elapsed {:.3} s, heartbeat late by up to {:.3} s",
            mode.name(),
            f.elapsed.as_secs_f64(),
            f.starved.as_secs_f64()
        );
        // The shared figure is the whole gap between two beats.
        Ok::<_, RuntimeError>(CpuRun {
            elapsed: f.elapsed,
            worst_gap: f.starved + BEAT,
            results: f.results,
        })
    };
    let on_loop = one("on_loop", Mode::OnTheLoop)?;
    let with_yields = one("with_yields", Mode::WithYields)?;
    let offloaded = one("offloaded", Mode::Offloaded)?;
    let figures = Shared::CpuBound { on_loop, with_yields, offloaded, cores };
    Ok(Outcome { style: Style::Async, exact: false, figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::CpuBound, Style::Async, EXTRAS, scenario)
}
