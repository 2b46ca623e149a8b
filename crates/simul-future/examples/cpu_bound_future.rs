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
//! Real clock only: the work is real CPU work. `--units N` sets the work
//! per job (default 10 M steps: tens of ms in release builds,
//! a few hundred in debug ones).
//!
//! ```text
//! cargo run --release -p simul-future --example cpu_bound_future [-- --units 10000000]
//! ```

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use simul_future::{
    BlockingHandle, JoinAll, JoinHandle, Runtime, RuntimeError, Sleep, YieldNow, join_all, sleep,
    spawn, spawn_blocking, yield_now,
};

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

pin_project_lite::pin_project! {
    /// The heartbeat: sleep a beat, note how late it came, again.
    ///
    /// ```text
    ///   [Beating{last, sleep}] --sleep Ready: note lateness; stop? --no--> new sleep
    ///        | sleep Pending: Pending                          |
    ///                                                          +--yes--> Ready(())
    /// ```
    struct Heartbeat {
        pulse: Rc<Pulse>,
        last: Instant,
        #[pin]
        beat: Sleep,
    }
}

impl Future for Heartbeat {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            if this.pulse.stop.get() {
                return Poll::Ready(());
            }
            ready!(this.beat.as_mut().poll(cx));
            let now = Instant::now();
            let late = now.duration_since(*this.last).saturating_sub(BEAT);
            this.pulse.worst.set(this.pulse.worst.get().max(late));
            this.pulse.beats.set(this.pulse.beats.get() + 1);
            *this.last = now;
            this.beat.set(sleep(BEAT));
        }
    }
}

/// A job on the loop: one poll, all the work, never `Pending`.
///
/// ```text
///   [poll] --work(units)--> Ready(result)
/// ```
struct JobOnTheLoop {
    units: u64,
}

impl Future for JobOnTheLoop {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
        Poll::Ready(work(self.units))
    }
}

pin_project_lite::pin_project! {
    /// A job cut into slices with a yield between them.
    ///
    /// ```text
    ///   [Working] --one slice, yield_now()--> [Yielding{slices_done}]
    ///       ^                                   | yield Pending: Pending (others run)
    ///       +------ yield Ready, slices left ---+
    ///               yield Ready, none left: Ready(x)
    /// ```
    struct JobWithYields {
        units: u64,
        slices_done: u64,
        x: u64,
        #[pin]
        yielding: Option<YieldNow>,
    }
}

impl Future for JobWithYields {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let mut this = self.project();
        loop {
            if let Some(y) = this.yielding.as_mut().as_pin_mut() {
                ready!(y.poll(cx));
                this.yielding.set(None);
            }
            if *this.slices_done == SLICES {
                return Poll::Ready(*this.x);
            }
            *this.x ^= work(*this.units / SLICES);
            *this.slices_done += 1;
            this.yielding.set(Some(yield_now()));
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
enum JobOffloaded {
    Start { units: u64 },
    OnAWorker { handle: BlockingHandle<u64> },
}

impl Future for JobOffloaded {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        // `BlockingHandle` is `Unpin`, so the whole enum is.
        let this = self.get_mut();
        loop {
            match this {
                JobOffloaded::Start { units } => {
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

pin_project_lite::pin_project! {
    /// The whole run: start the heartbeat and the jobs, wait for the jobs,
    /// wait for one more beat, stop the heartbeat.
    ///
    /// ```text
    ///   [Start] --spawn heartbeat and jobs--> [RunningJobs] --all done--> [OneMoreBeat]
    ///                                          | Pending        | a beat came: stop = true
    ///                                                           v
    ///   Ready((elapsed, results)) <--heartbeat ended-- [StoppingHeartbeat]
    /// ```
    #[project = ExhibitProj]
    enum Exhibit {
        Start { mode: Mode, units: u64, pulse: Rc<Pulse> },
        RunningJobs {
            pulse: Rc<Pulse>,
            beating: Option<JoinHandle<()>>,
            start: Instant,
            #[pin]
            jobs: JoinAll<JoinHandle<u64>>,
        },
        OneMoreBeat {
            pulse: Rc<Pulse>,
            beating: Option<JoinHandle<()>>,
            elapsed: Duration,
            results: Vec<u64>,
            beats: u32,
            #[pin]
            nap: Sleep,
        },
        StoppingHeartbeat { beating: JoinHandle<()>, elapsed: Duration, results: Vec<u64> },
        // `beating` is an `Option` in the earlier states only so that it
        // can be moved on (`take`) when the state is left.
    }
}

impl Future for Exhibit {
    type Output = (Duration, Vec<u64>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(Duration, Vec<u64>)> {
        loop {
            match self.as_mut().project() {
                ExhibitProj::Start { mode, units, pulse } => {
                    let (mode, units, pulse) = (*mode, *units, pulse.clone());
                    let beat = sleep(BEAT);
                    let heart = Heartbeat { pulse: pulse.clone(), last: Instant::now(), beat };
                    let beating = Some(spawn(heart));
                    let start = Instant::now();
                    let jobs = (0..JOBS)
                        .map(|_| match mode {
                            Mode::OnTheLoop => spawn(JobOnTheLoop { units }),
                            Mode::WithYields => {
                                spawn(JobWithYields { units, slices_done: 0, x: 0, yielding: None })
                            }
                            Mode::Offloaded => spawn(JobOffloaded::Start { units }),
                        })
                        .collect();
                    let jobs = join_all(jobs);
                    self.set(Exhibit::RunningJobs { pulse, beating, start, jobs });
                }
                ExhibitProj::RunningJobs { pulse, beating, start, jobs } => {
                    let results = ready!(jobs.poll(cx));
                    let results = results.into_iter().map(|r| r.expect("jobs do not panic"));
                    let results = results.collect();
                    let elapsed = start.elapsed();
                    // One more beat, so that a beat the jobs held up is measured too.
                    let beats = pulse.beats.get();
                    let (pulse, beating) = (pulse.clone(), beating.take());
                    let nap = sleep(BEAT);
                    self.set(Exhibit::OneMoreBeat { pulse, beating, elapsed, results, beats, nap });
                }
                ExhibitProj::OneMoreBeat { pulse, beating, elapsed, results, beats, mut nap } => {
                    ready!(nap.as_mut().poll(cx));
                    if pulse.beats.get() == *beats {
                        nap.set(sleep(BEAT));
                        continue;
                    }
                    pulse.stop.set(true);
                    let (elapsed, results) = (*elapsed, std::mem::take(results));
                    let Some(beating) = beating.take() else {
                        unreachable!("the heartbeat's handle is moved on only here")
                    };
                    self.set(Exhibit::StoppingHeartbeat { beating, elapsed, results });
                }
                ExhibitProj::StoppingHeartbeat { beating, elapsed, results } => {
                    ready!(Pin::new(beating).poll(cx)).expect("the heartbeat does not panic");
                    return Poll::Ready((*elapsed, std::mem::take(results)));
                }
            }
        }
    }
}

/// Runs the jobs one way, `units` steps each, on the real clock.
pub fn run(mode: Mode, units: u64) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::new()?;
    let pulse = Rc::new(Pulse::default());
    let (elapsed, results) = rt.block_on(Exhibit::Start { mode, units, pulse: pulse.clone() })?;
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
