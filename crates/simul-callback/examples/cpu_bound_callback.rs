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

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_callback::{Error, EventLoop};

const JOBS: u32 = 4;
const SLICES: u32 = 20;
/// Work units per job (about 0.1-0.3 s of CPU on a typical core).
const UNITS: u64 = 40_000_000;
const BEAT: Duration = Duration::from_millis(10);

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

fn slice(lp: &mut EventLoop, left: u32, done: Rc<Cell<u32>>) {
    black_box(work(UNITS / u64::from(SLICES)));
    if left > 1 {
        lp.call_soon(move |lp| slice(lp, left - 1, done));
    } else {
        done.set(done.get() + 1);
    }
}

fn run(mode: &str) -> Result<(Duration, Duration), Error> {
    let mut lp = EventLoop::new()?;
    let pulse = Rc::new(Pulse::default());
    let done = Rc::new(Cell::new(0));
    let p = pulse.clone();
    lp.call_soon(move |lp| heartbeat(lp, Instant::now(), p));
    let start = Instant::now();
    for _ in 0..JOBS {
        let d = done.clone();
        match mode {
            "on the loop" => {
                lp.call_soon(move |_| {
                    black_box(work(UNITS));
                    d.set(d.get() + 1);
                });
            }
            "with yields" => {
                lp.call_soon(move |lp| slice(lp, SLICES, d));
            }
            _ => lp.run_in_executor(|| work(UNITS), move |_, _| d.set(d.get() + 1))?,
        }
    }
    lp.run_until(|_| done.get() == JOBS)?;
    let elapsed = start.elapsed();
    // One more beat, so that a beat the jobs held up is measured too.
    let beats = pulse.beats.get();
    lp.run_until(|_| pulse.beats.get() > beats)?;
    pulse.stop.set(true);
    Ok((elapsed, pulse.worst.get()))
}

fn main() -> Result<(), Error> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("{JOBS} jobs, {cores} cores, heartbeat every {BEAT:?}");
    for mode in ["on the loop", "with yields", "offloaded"] {
        let (elapsed, starved) = run(mode)?;
        println!(
            "{mode:>12}: elapsed {:.3} s, heartbeat late by up to {:.3} s",
            elapsed.as_secs_f64(),
            starved.as_secs_f64()
        );
    }
    Ok(())
}
