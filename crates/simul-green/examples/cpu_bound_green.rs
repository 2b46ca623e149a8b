//! Seeds 003/004, `cpu_bound`, green style: green threads are not
//! parallelism.
//!
//! Four CPU-heavy jobs run four ways while a heartbeat green thread,
//! sleeping 10 ms at a time, measures how late it wakes:
//!
//! 1. **on the hub**: each job is a green thread that just computes. A
//!    green thread only gives the CPU away when it waits, so the heartbeat
//!    starves for whole jobs; the elapsed time is the sum of the jobs.
//! 2. **with `yield_now`**: the job calls `simul_green::yield_now()`
//!    between slices. The other *ready* jobs run in between, but this hub
//!    looks at its timers only when nobody is ready, or every 61st pass
//!    (its fairness tick): with four jobs always ready, the heartbeat
//!    waits up to ~61 slices. Same elapsed time.
//! 3. **with `sleep(0)`** (the seeds' `await asyncio.sleep(0)`): the job
//!    parks on a timer that is already due, so once every job has parked
//!    the hub fires timers, and the heartbeat gets in after each round of
//!    slices. Same elapsed time, a regular heartbeat.
//! 4. **offloaded**: each job is handed to `simul_green::offload`, which
//!    runs it on one of the hub's worker threads (a bounded pool, cores +
//!    4 by default) while its green thread parks. The worker stores the
//!    result and wakes the green thread through an `Unparker`: a queue
//!    behind a mutex plus the reactor's notifier (one `eventfd` write),
//!    so nothing polls and the heartbeat runs meanwhile. With several
//!    cores the elapsed time drops towards sum / cores.
//!
//! Real clock only: the work is real CPU work, the shared
//! `params::cpu_bound::work` (`--quick`: fewer units). The summary checks
//! ways 1, 3 and 4 (the seeds' three); `--board` draws them (lanes
//! `heartbeat`, `job 1` .. `job 4`).
//!
//! ```text
//! cargo run --release -p simul-green --example cpu_bound_green [-- --quick --board]
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::trace;
use simul_scenario::params::cpu_bound::{BEAT, JOBS, QUICK_UNITS, SLICES, UNITS, work};
use simul_scenario::{CpuRun, Figures as Row, Options, Outcome, Scenario, Style, Traces, say};

/// How the jobs run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Plain computation in green threads.
    OnTheHub,
    /// Slices with `yield_now` between.
    YieldNow,
    /// Slices with `sleep(0)` between.
    SleepZero,
    /// On the hub's worker threads, with `offload`.
    Offloaded,
}

/// One slice of a job: the shared work, folded into the job's result so
/// every job (however it was cut or wherever it ran) gives the same one.
pub fn slice(x: u64, units: u64) -> u64 {
    x.wrapping_add(work(units))
}

/// One job on the hub, cut into `slices` with `pause` between them.
fn sliced(units: u64, slices: u64, pause: fn() -> std::io::Result<()>) -> std::io::Result<u64> {
    let mut x = 0;
    for _ in 0..slices {
        x = slice(x, units / slices);
        pause()?;
    }
    Ok(x)
}

/// One job on a worker thread; the green caller parks until it is done
/// (a panic in the job would come back as `Error::Panicked`).
fn offloaded(units: u64, slices: u64) -> Result<u64, Error> {
    simul_green::offload(move || {
        let mut x = 0;
        for _ in 0..slices {
            x = slice(x, units / slices);
        }
        x
    })
}

/// What one run measured.
#[derive(Debug)]
pub struct Figures {
    /// From the first job's start to the last job's end.
    pub elapsed: Duration,
    /// The latest the heartbeat woke after its due time.
    pub starved: Duration,
    /// Heartbeats seen.
    pub beats: u32,
    /// Each job's result: the same for every job and every mode.
    pub results: Vec<u64>,
}

/// Runs `JOBS` jobs of `units` in `slices` the given way, with the
/// heartbeat.
pub fn run(mode: Mode, units: u64, slices: u64) -> Result<Figures, Error> {
    let hub = Hub::new()?;
    hub.run(|| -> Result<Figures, Error> {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let heartbeat =
            simul_green::spawn_named("heartbeat", move || -> std::io::Result<(Duration, u32)> {
                let (mut worst, mut beats) = (Duration::ZERO, 0);
                while !s.get() {
                    let due = simul_green::now()? + BEAT;
                    simul_green::sleep(BEAT)?;
                    worst = worst.max(simul_green::now()?.saturating_duration_since(due));
                    beats += 1;
                }
                Ok((worst, beats))
            })?;
        let start = simul_green::now()?;
        let jobs = (0..JOBS)
            .map(|j| {
                simul_green::spawn(move || {
                    if trace::enabled() {
                        trace::name_current(format!("job {}", j + 1));
                    }
                    match mode {
                        Mode::OnTheHub => Ok(sliced(units, slices, || Ok(()))?),
                        Mode::YieldNow => Ok(sliced(units, slices, simul_green::yield_now)?),
                        Mode::SleepZero => {
                            Ok(sliced(units, slices, || simul_green::sleep(Duration::ZERO))?)
                        }
                        Mode::Offloaded => offloaded(units, slices),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.join()??);
        }
        let elapsed = simul_green::now()? - start;
        stop.set(true);
        let (starved, beats) = heartbeat.join()??;
        Ok(Figures { elapsed, starved, beats, results })
    })?
}

/// The scenario: the seeds' three ways (on the hub, `sleep(0)` between
/// slices, offloaded), then `yield_now` for comparison (commentary only).
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let units = if opts.quick { QUICK_UNITS } else { UNITS };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("{JOBS} jobs, {cores} cores, heartbeat every {BEAT:?}");
    let mut traces = Traces::default();
    let mut runs = Vec::new();
    let mut sum = None;
    for (variant, mode) in [
        ("on_loop", Mode::OnTheHub),
        ("with_yields", Mode::SleepZero),
        ("offloaded", Mode::Offloaded),
        ("yield_now", Mode::YieldNow),
    ] {
        let f = if mode == Mode::YieldNow {
            run(mode, units, SLICES)?
        } else {
            opts.record(&mut traces, variant, || run(mode, units, SLICES))?
        };
        let sum = *sum.get_or_insert(f.elapsed);
        say!(
            "{variant:>11}: elapsed {:.3} s ({:.2} x on the hub), heartbeat late by up to {:.3} s",
            f.elapsed.as_secs_f64(),
            f.elapsed.as_secs_f64() / sum.as_secs_f64(),
            f.starved.as_secs_f64()
        );
        if mode != Mode::YieldNow {
            // The gap between two beats: the period plus how late it woke.
            runs.push(CpuRun {
                elapsed: f.elapsed,
                worst_gap: f.starved + BEAT,
                results: f.results,
            });
        }
    }
    let mut runs = runs.into_iter();
    let (Some(on_loop), Some(with_yields), Some(offloaded)) =
        (runs.next(), runs.next(), runs.next())
    else {
        return Err("a cpu_bound run is missing".into());
    };
    Ok(Outcome {
        style: Style::Green,
        exact: false,
        figures: Row::CpuBound { on_loop, with_yields, offloaded, cores },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::CpuBound, Style::Green, scenario)
}
