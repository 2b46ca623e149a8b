//! Seeds 003/004, `cpu_bound`, callback style: async is not parallelism.
//!
//! Four CPU-heavy jobs run three ways while a heartbeat callback, due every
//! 10 ms, measures how long it was kept waiting:
//!
//! 1. on the loop: each job is one callback; the heartbeat starves for a
//!    whole job at a time, and the elapsed time is the sum of the jobs;
//! 2. with yields: each job is cut into slices, each slice scheduling the
//!    next with `call_soon` (the callback form of `await sleep(0)`); the
//!    heartbeat gets in between slices, the elapsed time is the same;
//! 3. offloaded: `run_in_executor` runs the jobs on worker threads; the
//!    heartbeat is regular and, with several cores, the elapsed time
//!    drops towards sum / cores.
//!
//! Real clock only: the work is real CPU work.
//!
//! ```text
//! cargo run --release -p simul-callback --example cpu_bound_callback
//! cargo run --release -p simul-callback --example cpu_bound_callback -- --quick --board
//! ```

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_callback::{Error, EventLoop};
use simul_reactor::trace;
use simul_scenario::params::cpu_bound::{BEAT, JOBS, QUICK_UNITS, SLICES, UNITS, work};
use simul_scenario::{CpuRun, Figures, Options, Outcome, Scenario, Style, Traces, say};

/// How the jobs run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One callback per job.
    OnLoop,
    /// Slices that reschedule themselves with `call_soon`.
    WithYields,
    /// `run_in_executor`.
    Offloaded,
}

/// What the heartbeat measures.
#[derive(Default)]
struct Pulse {
    /// Beats so far.
    beats: Cell<u32>,
    /// The longest a beat came after its due time.
    worst: Cell<Duration>,
    /// Set to end the heartbeat.
    stop: Cell<bool>,
}

/// Beats every `BEAT` until `stop`; records how late each beat was.
fn heartbeat(lp: &mut EventLoop, last: Instant, pulse: Rc<Pulse>) {
    let now = Instant::now();
    let late = now.duration_since(last).saturating_sub(BEAT);
    pulse.worst.set(pulse.worst.get().max(late));
    pulse.beats.set(pulse.beats.get() + 1);
    if !pulse.stop.get() {
        lp.call_later(BEAT, move |lp| heartbeat(lp, now, pulse));
    }
}

/// Names the running chain `job i` in a trace.
fn name_job(i: u32) {
    if trace::enabled() {
        trace::name_current(format!("job {i}"));
    }
}

/// One slice of a job, then a yield (`call_soon` of the rest).
fn slice(lp: &mut EventLoop, units: u64, left: u64, acc: u64, done: Rc<RefCell<Vec<u64>>>) {
    let acc = acc ^ work(units / SLICES);
    if left > 1 {
        lp.call_soon(move |lp| slice(lp, units, left - 1, acc, done));
    } else {
        done.borrow_mut().push(acc);
    }
}

/// One run: elapsed time, the heartbeat's worst lateness, the results.
pub(crate) fn run(mode: Mode, units: u64) -> Result<CpuRun, Error> {
    let mut lp = EventLoop::new()?;
    let pulse = Rc::new(Pulse::default());
    let done = Rc::new(RefCell::new(Vec::new()));
    let p = pulse.clone();
    lp.call_soon(move |lp| {
        trace::name_current("heartbeat");
        heartbeat(lp, Instant::now(), p)
    });
    let start = Instant::now();
    for i in 1..=JOBS {
        let d = done.clone();
        lp.call_soon(move |lp| {
            name_job(i);
            match mode {
                Mode::OnLoop => d.borrow_mut().push(work(units)),
                // The same work in SLICES parts (the result folds the
                // slices' results: every job's agrees).
                Mode::WithYields => slice(lp, units, SLICES, 0, d),
                Mode::Offloaded => {
                    let r = lp.run_in_executor(
                        move || work(units),
                        move |_, r| d.borrow_mut().push(r.unwrap_or_default()),
                    );
                    if let Err(e) = r {
                        say!("job {i} could not start: {e}");
                    }
                }
            }
        });
    }
    lp.run_until(|_| done.borrow().len() == JOBS as usize)?;
    let elapsed = start.elapsed();
    // One more beat, so that a beat the jobs held up is measured too.
    let beats = pulse.beats.get();
    lp.run_until(|_| pulse.beats.get() > beats)?;
    pulse.stop.set(true);
    let results = done.borrow().clone();
    Ok(CpuRun { elapsed, worst_gap: pulse.worst.get(), results })
}

/// The three runs, on the real clock.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let units = if opts.quick { QUICK_UNITS } else { UNITS };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    say!("{JOBS} jobs, {cores} cores, heartbeat every {BEAT:?}");
    let mut runs = Vec::new();
    for (variant, mode) in [
        ("on_loop", Mode::OnLoop),
        ("with_yields", Mode::WithYields),
        ("offloaded", Mode::Offloaded),
    ] {
        let r = opts.record(&mut traces, variant, || run(mode, units))?;
        say!(
            "{variant:>12}: elapsed {:.3} s, heartbeat late by up to {:.3} s",
            r.elapsed.as_secs_f64(),
            r.worst_gap.as_secs_f64()
        );
        runs.push(r);
    }
    let [on_loop, with_yields, offloaded]: [CpuRun; 3] =
        runs.try_into().map_err(|_| "three runs")?;
    Ok(Outcome {
        style: Style::Callback,
        exact: false,
        figures: Figures::CpuBound { on_loop, with_yields, offloaded, cores },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::CpuBound, Style::Callback, scenario)
}
