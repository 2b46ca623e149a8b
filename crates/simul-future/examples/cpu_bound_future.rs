//! Seeds 003/004, `cpu_bound`, hand-written future style: async is not
//! parallelism. No `async` anywhere: every task below is an enum.
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
//! The heartbeat (lane `heartbeat`), each job (`job 1` .. `job 4`) and the
//! run itself (`main`, the future `block_on` runs) are tasks of their own.
//!
//! Real clock only: the work is real CPU work. `--units N` sets the work
//! per job (default `params::cpu_bound::UNITS`, 10 M steps: tens of ms in
//! release builds, a few hundred in debug ones; `--quick`: 6 M).
//!
//! ```text
//! cargo run --release -p simul-future --example cpu_bound_future [-- --units 10000000 --board --svg cpu.svg]
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use simul_future::{
    BlockingHandle, JoinAll, JoinHandle, Runtime, RuntimeError, Sleep, YieldNow, join_all, sleep,
    spawn, spawn_blocking, yield_now,
};
use simul_reactor::trace;
use simul_scenario::params::cpu_bound::{BEAT, JOBS, QUICK_UNITS, SLICES, UNITS, work};
use simul_scenario::{CpuRun, Extra, Options, Outcome, Scenario, Style, Traces, say};

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

    /// The variant's name in traces.
    fn variant(self) -> &'static str {
        match self {
            Mode::OnTheLoop => "on_loop",
            Mode::WithYields => "with_yields",
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

/// Names the task being polled `job n`; the `format!` is only paid for
/// while a trace records.
fn name_job(n: u32) {
    if trace::enabled() {
        trace::name_current(format!("job {n}"));
    }
}

/// What the heartbeat measures.
#[derive(Default)]
struct Pulse {
    beats: Cell<u32>,
    worst: Cell<Duration>,
    stop: Cell<bool>,
}

/// The heartbeat: sleep a beat, note how late it came, again. Every
/// field is `Unpin` (`Sleep` is), so no pin projection is needed.
///
/// ```text
///   [Beating{last, sleep}] --sleep Ready: note lateness; stop? --no--> new sleep
///        | sleep Pending: Pending                          |
///                                                          +--yes--> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
struct Heartbeat {
    pulse: Rc<Pulse>,
    last: Instant,
    beat: Sleep,
    /// Whether the lane has its name yet.
    named: bool,
}

impl Future for Heartbeat {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !std::mem::replace(&mut this.named, true) {
            trace::name_current("heartbeat");
        }
        loop {
            if this.pulse.stop.get() {
                return Poll::Ready(());
            }
            ready!(Pin::new(&mut this.beat).poll(cx));
            let now = Instant::now();
            let late = now.duration_since(this.last).saturating_sub(BEAT);
            this.pulse.worst.set(this.pulse.worst.get().max(late));
            this.pulse.beats.set(this.pulse.beats.get() + 1);
            this.last = now;
            this.beat = sleep(BEAT);
        }
    }
}

/// A job on the loop: one poll, all the work, never `Pending`.
///
/// ```text
///   [poll] --work(units)--> Ready(result)
/// ```
#[must_use = "futures do nothing unless polled"]
struct JobOnTheLoop {
    n: u32,
    units: u64,
}

impl Future for JobOnTheLoop {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
        name_job(self.n);
        Poll::Ready(work(self.units))
    }
}

/// A job cut into slices with a yield between them.
///
/// ```text
///   [Working] --one slice, yield_now()--> [Yielding{slices_done}]
///       ^                                   | yield Pending: Pending (others run)
///       +------ yield Ready, slices left ---+
///               yield Ready, none left: Ready(x)
/// ```
#[must_use = "futures do nothing unless polled"]
struct JobWithYields {
    n: u32,
    units: u64,
    slices_done: u64,
    x: u64,
    /// `None` before the first poll and between a yield's end and the
    /// next slice.
    yielding: Option<YieldNow>,
}

impl Future for JobWithYields {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let this = self.get_mut();
        if this.slices_done == 0 && this.yielding.is_none() {
            name_job(this.n);
        }
        loop {
            if let Some(y) = &mut this.yielding {
                ready!(Pin::new(y).poll(cx));
                this.yielding = None;
            }
            if this.slices_done == SLICES {
                return Poll::Ready(this.x);
            }
            this.x ^= work(this.units / SLICES);
            this.slices_done += 1;
            this.yielding = Some(yield_now());
        }
    }
}

/// A job on a worker thread: hand it over on the first poll, then wait
/// for the worker's wake.
///
/// ```text
///   [Start] --spawn_blocking(work)--> [OnAWorker{handle}] --handle Ready--> Ready(result)
///                                        | Pending: Pending (the loop is free)
/// ```
#[must_use = "futures do nothing unless polled"]
enum JobOffloaded {
    Start { n: u32, units: u64 },
    OnAWorker { handle: BlockingHandle<u64> },
}

impl Future for JobOffloaded {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        // `BlockingHandle` is `Unpin`, so the whole enum is.
        let this = self.get_mut();
        loop {
            match this {
                JobOffloaded::Start { n, units } => {
                    name_job(*n);
                    let units = *units;
                    *this = JobOffloaded::OnAWorker { handle: spawn_blocking(move || work(units)) };
                }
                JobOffloaded::OnAWorker { handle } => {
                    let result = ready!(Pin::new(handle).poll(cx));
                    // A worker only fails by panicking, which `work` cannot.
                    return Poll::Ready(result.expect("work does not panic"));
                }
            }
        }
    }
}

/// The whole run: start the heartbeat and the jobs, wait for the jobs,
/// wait for one more beat, stop the heartbeat. Every field is `Unpin`
/// (`JoinAll` and handles are), so the machine is matched through
/// `get_mut`.
///
/// ```text
///   [Start] --spawn heartbeat and jobs--> [RunningJobs] --all done--> [OneMoreBeat]
///                                          | Pending        | a beat came: stop = true
///                                                           v
///   Ready((elapsed, results)) <--heartbeat ended-- [StoppingHeartbeat]
/// ```
#[must_use = "futures do nothing unless polled"]
enum Exhibit {
    /// Not polled yet.
    Start { mode: Mode, units: u64, pulse: Rc<Pulse> },
    /// The jobs run; the heartbeat beats (or tries to).
    RunningJobs {
        pulse: Rc<Pulse>,
        beating: Option<JoinHandle<()>>,
        start: Instant,
        jobs: JoinAll<JoinHandle<u64>>,
    },
    /// The jobs are done: one more beat, so that a beat the jobs held up
    /// is measured too.
    OneMoreBeat {
        pulse: Rc<Pulse>,
        beating: Option<JoinHandle<()>>,
        elapsed: Duration,
        results: Vec<u64>,
        beats: u32,
        nap: Sleep,
    },
    /// Told to stop; waiting for the heartbeat to end.
    StoppingHeartbeat { beating: JoinHandle<()>, elapsed: Duration, results: Vec<u64> },
    // `beating` is an `Option` in the earlier states only so that it can
    // be moved on (`take`) when the state is left.
}

impl Future for Exhibit {
    type Output = (Duration, Vec<u64>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(Duration, Vec<u64>)> {
        let this = self.get_mut();
        loop {
            match this {
                Exhibit::Start { mode, units, pulse } => {
                    trace::name_current("main");
                    let (mode, units, pulse) = (*mode, *units, pulse.clone());
                    let beat = sleep(BEAT);
                    let last = Instant::now();
                    let heart = Heartbeat { pulse: pulse.clone(), last, beat, named: false };
                    let beating = Some(spawn(heart));
                    let start = Instant::now();
                    let jobs = (1..=JOBS)
                        .map(|n| match mode {
                            Mode::OnTheLoop => spawn(JobOnTheLoop { n, units }),
                            Mode::WithYields => spawn(JobWithYields {
                                n,
                                units,
                                slices_done: 0,
                                x: 0,
                                yielding: None,
                            }),
                            Mode::Offloaded => spawn(JobOffloaded::Start { n, units }),
                        })
                        .collect();
                    let jobs = join_all(jobs);
                    *this = Exhibit::RunningJobs { pulse, beating, start, jobs };
                }
                Exhibit::RunningJobs { pulse, beating, start, jobs } => {
                    let results = ready!(Pin::new(jobs).poll(cx));
                    let results = results.into_iter().map(|r| r.expect("jobs do not panic"));
                    let results = results.collect();
                    let elapsed = start.elapsed();
                    let beats = pulse.beats.get();
                    let (pulse, beating) = (pulse.clone(), beating.take());
                    let nap = sleep(BEAT);
                    *this = Exhibit::OneMoreBeat { pulse, beating, elapsed, results, beats, nap };
                }
                Exhibit::OneMoreBeat { pulse, beating, elapsed, results, beats, nap } => {
                    ready!(Pin::new(&mut *nap).poll(cx));
                    if pulse.beats.get() == *beats {
                        *nap = sleep(BEAT);
                        continue;
                    }
                    pulse.stop.set(true);
                    let (elapsed, results) = (*elapsed, std::mem::take(results));
                    let Some(beating) = beating.take() else {
                        unreachable!("the heartbeat's handle is moved on only here")
                    };
                    *this = Exhibit::StoppingHeartbeat { beating, elapsed, results };
                }
                Exhibit::StoppingHeartbeat { beating, elapsed, results } => {
                    ready!(Pin::new(beating).poll(cx)).expect("the heartbeat does not panic");
                    return Poll::Ready((*elapsed, std::mem::take(results)));
                }
            }
        }
    }
}

/// Runs the jobs one way, `units` steps each, on the real clock. The run
/// is the runtime's root task (`main`), as `asyncio.run` makes it.
pub fn run(mode: Mode, units: u64) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::new()?;
    let pulse = Rc::new(Pulse::default());
    let (elapsed, results) = rt.block_on(Exhibit::Start { mode, units, pulse: pulse.clone() })?;
    Ok(Figures { elapsed, starved: pulse.worst.get(), results })
}

/// This example's own option.
const EXTRAS: &[Extra] =
    &[Extra { name: "--units", value: Some("N"), help: "work steps per job (default 10000000)" }];

/// The scenario: the jobs on the loop, with yields, offloaded, each
/// traced as its variant.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let units = opts.extra_or("--units", if opts.quick { QUICK_UNITS } else { UNITS })?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("{JOBS} jobs of {units} steps, {cores} cores, heartbeat every {BEAT:?}");
    let mut traces = Traces::default();
    let mut runs = Vec::new();
    for mode in Mode::ALL {
        let f = opts.record(&mut traces, mode.variant(), || run(mode, units))?;
        say!(
            "{:>12}: elapsed {:.3} s, heartbeat late by up to {:.3} s",
            mode.variant(),
            f.elapsed.as_secs_f64(),
            f.starved.as_secs_f64()
        );
        // The shared figure is the gap between two beats: lateness + one beat.
        runs.push(CpuRun { elapsed: f.elapsed, worst_gap: f.starved + BEAT, results: f.results });
    }
    let [on_loop, with_yields, offloaded] =
        <[CpuRun; 3]>::try_from(runs).expect("one run per mode");
    Ok(Outcome {
        style: Style::Future,
        exact: false,
        figures: simul_scenario::Figures::CpuBound { on_loop, with_yields, offloaded, cores },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::CpuBound, Style::Future, EXTRAS, scenario)
}
