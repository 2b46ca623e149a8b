//! `cpu_bound`, generator style (seeds 003 and 004): async is not
//! parallelism.
//!
//! Four CPU-heavy jobs run three ways while a heartbeat task, due every
//! 10 ms, measures how late it was resumed:
//!
//! 1. **on the loop**: each job is one `resume` with no suspension point;
//!    the heartbeat starves for a whole job at a time, and the elapsed time
//!    is the sum of the jobs;
//! 2. **with yields**: each job yields `YieldNow` between slices (seed 004:
//!    "just `sleep(0)` once per loop"); the heartbeat gets in between
//!    slices, the elapsed time stays the sum;
//! 3. **offloaded**: each job runs on a worker thread and the coroutine
//!    waits for it with `Readable` on one end of a socket pair that the
//!    worker writes its answer to (what `run_in_executor` does inside);
//!    the heartbeat is regular, and with several cores the elapsed time
//!    drops towards sum / cores.
//!
//! Real clock only: the work is real CPU work (`--quick`: smaller jobs).
//! `--board` draws the lanes `heartbeat` and `job 0` .. `job 3`.
//!
//! ```text
//! cargo run --release -p simul-coro --example cpu_bound_coro [-- --quick --board]
//! ```

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::io::{self, Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Trap,
};
use simul_reactor::trace;
use simul_scenario::params::cpu_bound::{BEAT, JOBS, QUICK_UNITS, SLICES, UNITS};
use simul_scenario::{CpuRun, Figures, Options, Outcome, Scenario, Style, Traces, say};

/// The CPU-bound job: the work every style runs, so all compare alike.
pub use simul_scenario::params::cpu_bound::work;

/// How the jobs run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One resume per job: the loop is the job's until it ends.
    OnTheLoop,
    /// `YieldNow` between slices.
    WithYields,
    /// On worker threads; the loop only waits for the answers.
    Offloaded,
}

impl Mode {
    /// The three, in the order the seeds tell the story.
    pub const ALL: [Mode; 3] = [Mode::OnTheLoop, Mode::WithYields, Mode::Offloaded];

    /// The variant's name in traces.
    pub fn name(self) -> &'static str {
        match self {
            Mode::OnTheLoop => "on_loop",
            Mode::WithYields => "with_yields",
            Mode::Offloaded => "offloaded",
        }
    }
}

/// The size of the experiment.
#[derive(Clone, Copy, Debug)]
pub struct Work {
    /// How many jobs.
    pub jobs: u32,
    /// Work units per job.
    pub units: u64,
    /// Slices per job when yielding.
    pub slices: u32,
}

impl Work {
    /// The scenario's size: the shared parameters, smaller when `quick`.
    pub fn of(quick: bool) -> Work {
        let units = if quick { QUICK_UNITS } else { UNITS };
        Work { jobs: JOBS, units, slices: u32::try_from(SLICES).unwrap_or(u32::MAX) }
    }
}

/// Something that happened on the loop, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The heartbeat ran.
    Beat,
    /// Job `job` ran slice `slice` (a whole job is slice 0 of 1).
    Slice {
        /// Which job.
        job: u32,
        /// Which slice of it.
        slice: u32,
    },
    /// Job `job` finished, with this answer.
    Finished {
        /// Which job.
        job: u32,
        /// `work`'s result.
        answer: u64,
    },
}

/// What the tasks share, and what is measured.
#[derive(Default)]
pub struct Shared {
    /// What ran on the loop, in order.
    pub steps: RefCell<Vec<Step>>,
    /// Jobs finished.
    pub done: Cell<u32>,
    /// The longest the heartbeat came after its due time.
    pub worst_late: Cell<Duration>,
    /// Every job's answer, by job number, once finished.
    pub answers: RefCell<Vec<Option<u64>>>,
}

/// ```python
/// async def heartbeat():
///     last = perf_counter()
///     while jobs_left():                          # one more beat after the last job
///         await asyncio.sleep(0.01)
///         worst = max(worst, perf_counter() - last - 0.01)
///         last = perf_counter()
/// ```
///
/// ```text
///   +----------------+  resume: note lateness; jobs left: yield Sleep(10 ms)
///   | Beating{last}  | --+
///   +----------------+ <-+
///          | resume: all jobs done: return
///          v
///        Done
/// ```
pub enum Heartbeat {
    /// Between beats; `last` is when the previous beat ran (`None`: not started).
    Beating {
        /// The shared state.
        sh: Rc<Shared>,
        /// When the previous beat ran.
        last: Option<Instant>,
        /// How many jobs there are.
        jobs: u32,
    },
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Heartbeat {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        let Heartbeat::Beating { sh, last, jobs } = self else {
            return Err(ResumeError::AfterCompletion);
        };
        let now = Instant::now();
        if last.is_none() {
            trace::name_current("heartbeat");
        }
        if let Some(last) = last {
            let late = now.duration_since(*last).saturating_sub(BEAT);
            sh.worst_late.set(sh.worst_late.get().max(late));
            sh.steps.borrow_mut().push(Step::Beat);
        }
        if sh.done.get() == *jobs && last.is_some() {
            *self = Heartbeat::Done;
            return Ok(CoroutineState::Complete(()));
        }
        *last = Some(now);
        Ok(CoroutineState::Yielded(Trap::Sleep(BEAT)))
    }
}

/// One job, in the three modes.
///
/// ```python
/// async def job(i):                      # on the loop
///     return work(units)
///
/// async def job(i):                      # with yields
///     for s in range(slices):
///         work(units // slices)
///         await asyncio.sleep(0)
///
/// async def job(i):                      # offloaded
///     return await loop.run_in_executor(None, work, units)
/// ```
///
/// ```text
///   +-------+  OnTheLoop: work, return                                 +------+
///   | Start | -------------------------------------------------------> | Done |
///   +-------+                                                          +------+
///     |  |  WithYields: a slice, yield YieldNow                            ^  ^
///     |  +---------------> +-----------------+ --+ resume: a slice, yield |  |
///     |                    | Slicing{done}   | <-+ last slice: return ----+  |
///     |                    +-----------------+                               |
///     | Offloaded: start the worker, yield Readable(answer socket)           |
///     +--------------> +-----------------+ --+ resume: nothing yet, wait    |
///                      | Waiting{socket} | <-+ 8 bytes in: join, return -----+
///                      +-----------------+
/// ```
pub enum Job {
    /// Not started.
    Start {
        /// The shared state.
        sh: Rc<Shared>,
        /// Which job.
        job: u32,
        /// How to run.
        mode: Mode,
        /// How big.
        size: Work,
    },
    /// Suspended at `await asyncio.sleep(0)` after `done` slices.
    Slicing {
        /// The shared state.
        sh: Rc<Shared>,
        /// Which job.
        job: u32,
        /// Slices done.
        done: u32,
        /// How big.
        size: Work,
        /// The answer so far (the last slice's).
        answer: u64,
    },
    /// Waiting for the worker's answer on the socket.
    Waiting {
        /// The shared state.
        sh: Rc<Shared>,
        /// Which job.
        job: u32,
        /// Our end of the socket pair (non-blocking).
        socket: UnixStream,
        /// The bytes of the answer so far.
        got: Vec<u8>,
        /// The worker.
        worker: Option<JoinHandle<()>>,
    },
    /// Returned.
    Done,
}

impl Job {
    fn finish(sh: &Shared, job: u32, answer: u64) -> Resume<Trap<()>, ()> {
        sh.steps.borrow_mut().push(Step::Finished { job, answer });
        if let Some(slot) = sh.answers.borrow_mut().get_mut(job as usize) {
            *slot = Some(answer);
        }
        sh.done.set(sh.done.get() + 1);
        Ok(CoroutineState::Complete(()))
    }

    /// Starts a worker thread that writes `work(units)` to the other end
    /// of a socket pair; returns our end.
    fn offload(units: u64) -> io::Result<(UnixStream, JoinHandle<()>)> {
        let (ours, mut theirs) = UnixStream::pair()?;
        ours.set_nonblocking(true)?;
        let worker = std::thread::spawn(move || {
            // If the loop has gone, nobody wants the answer.
            let _ = theirs.write_all(&work(units).to_le_bytes());
        });
        Ok((ours, worker))
    }
}

impl Coroutine<Reply<()>> for Job {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, Job::Done) {
            Job::Start { sh, job, mode: Mode::OnTheLoop, size } => {
                sh.steps.borrow_mut().push(Step::Slice { job, slice: 0 });
                let answer = work(size.units);
                Self::finish(&sh, job, answer)
            }
            Job::Start { sh, job, mode: Mode::WithYields, size } => {
                *self = Job::Slicing { sh, job, done: 0, size, answer: 0 };
                self.resume(Reply::Woke)
            }
            Job::Slicing { sh, job, done, size, .. } => {
                sh.steps.borrow_mut().push(Step::Slice { job, slice: done });
                let answer = work(size.units / u64::from(size.slices.max(1)));
                if done + 1 >= size.slices {
                    return Self::finish(&sh, job, answer);
                }
                *self = Job::Slicing { sh, job, done: done + 1, size, answer };
                Ok(CoroutineState::Yielded(Trap::YieldNow))
            }
            Job::Start { sh, job, mode: Mode::Offloaded, size } => {
                // A job that cannot start reports the failure as its answer
                // would: by finishing, so the run still ends.
                let Ok((socket, worker)) = Self::offload(size.units) else {
                    return Self::finish(&sh, job, 0);
                };
                let fd = socket.as_raw_fd();
                *self = Job::Waiting { sh, job, socket, got: Vec::new(), worker: Some(worker) };
                Ok(CoroutineState::Yielded(Trap::Readable(fd)))
            }
            Job::Waiting { sh, job, mut socket, mut got, mut worker } => {
                // Readiness is a hint: read what is there, wait again if
                // the answer is not all in.
                while got.len() < 8 {
                    let mut buf = [0u8; 8];
                    match socket.read(&mut buf[..8 - got.len()]) {
                        Ok(0) => break, // the worker died before answering
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            let fd = socket.as_raw_fd();
                            *self = Job::Waiting { sh, job, socket, got, worker };
                            return Ok(CoroutineState::Yielded(Trap::Readable(fd)));
                        }
                        Err(_) => break,
                    }
                }
                if let Some(w) = worker.take() {
                    let _ = w.join();
                }
                // A short answer (the worker died) is reported as 0.
                let answer = <[u8; 8]>::try_from(got.as_slice()).map_or(0, u64::from_le_bytes);
                Self::finish(&sh, job, answer)
            }
            Job::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs the jobs in `mode` beside the heartbeat; returns what happened
/// and the elapsed time (from the first job's start to the last's end).
pub fn run(mode: Mode, size: Work) -> Result<(Rc<Shared>, Duration), RunError> {
    let mut s = Scheduler::<()>::new()?;
    let sh = Rc::new(Shared::default());
    *sh.answers.borrow_mut() = vec![None; size.jobs as usize];
    s.spawn(Heartbeat::Beating { sh: sh.clone(), last: None, jobs: size.jobs });
    let start = Instant::now();
    for job in 0..size.jobs {
        let id = s.spawn(Job::Start { sh: sh.clone(), job, mode, size });
        if trace::enabled() {
            trace::name(s.unit(id), format!("job {job}"));
        }
    }
    s.run_all()?;
    let elapsed = start.elapsed();
    Ok((sh, elapsed))
}

/// One mode, traced under its name, as the shared figures want it.
fn measure(
    opts: &Options,
    traces: &mut Traces,
    mode: Mode,
    size: Work,
) -> Result<CpuRun, RunError> {
    let (sh, elapsed) = opts.record(traces, mode.name(), || run(mode, size))?;
    let beats = sh.steps.borrow().iter().filter(|s| **s == Step::Beat).count();
    let late = sh.worst_late.get();
    say!(
        "{:>12}: elapsed {:.3} s, {beats} heartbeats, late by up to {:.3} s",
        mode.name(),
        elapsed.as_secs_f64(),
        late.as_secs_f64()
    );
    // A job that never finished leaves no answer, and the figures' check
    // (one answer per job, all equal) fails.
    let results = sh.answers.borrow().iter().flatten().copied().collect();
    Ok(CpuRun { elapsed, worst_gap: late + BEAT, results })
}

/// The scenario: the same jobs on the loop, with yields, offloaded.
///
/// The work is CPU work, not time: nothing here is scaled, and the
/// figures are wall-clock measurements.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let size = Work::of(opts.quick);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("{} jobs of {} units, {cores} cores, heartbeat every {BEAT:?}", size.jobs, size.units);
    let mut traces = Traces::default();
    let on_loop = measure(opts, &mut traces, Mode::OnTheLoop, size)?;
    let with_yields = measure(opts, &mut traces, Mode::WithYields, size)?;
    let offloaded = measure(opts, &mut traces, Mode::Offloaded, size)?;
    Ok(Outcome {
        style: Style::Coro,
        exact: false,
        figures: Figures::CpuBound { on_loop, with_yields, offloaded, cores },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::CpuBound, Style::Coro, scenario)
}
