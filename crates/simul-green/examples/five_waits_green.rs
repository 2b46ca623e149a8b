//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`, green
//! style: a main task starts five tasks in a loop, printing `time passed
//! after iter i is t`; each task waits 3 s.
//!
//! ```python
//! def example_coroutine(i):
//!     time.sleep(3)                      # gevent: parks this greenlet
//!
//! def main():
//!     for i in range(5):
//!         print(f"time passed after iter {i} is {time.time() - t0}")
//!         tasks.append(gevent.spawn(example_coroutine, i))
//!     gevent.joinall(tasks)
//! ```
//!
//! Cooperatively each task is a green thread whose `sleep(3 s)` parks it,
//! so the five starts are microseconds apart (exactly 0 on the virtual
//! clock) and everything is done after 3 s. Blocking is `test_noasync.py`:
//! main calls the task directly and it really blocks
//! (`Clock::block_for`), so the starts are 3 s apart, 15 s in all.
//!
//! Runs on the virtual clock; `--real` uses the real one; `--board` draws
//! each variant's timeline (lanes `main`, `example_coroutine 0` .. `4`).
//!
//! ```text
//! cargo run --release -p simul-green --example five_waits_green [-- --real --board]
//! ```

use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::{Clock, trace};
use simul_scenario::params::five_waits::{TASKS, WAIT};
use simul_scenario::{Options, Outcome, Scenario, Starts, Style, Traces, say};

/// What one run measured.
pub struct Figures {
    /// When each iteration of main's loop started, from the start.
    pub iters: Vec<Duration>,
    /// When the last task was done, from the start.
    pub total: Duration,
}

/// Runs main's loop; `blocking` picks `test_noasync.py`.
pub fn run(blocking: bool, real: bool) -> Result<Figures, Error> {
    run_on(blocking, if real { Clock::real() } else { Clock::new_virtual() }, WAIT)
}

/// [`run`] on `clock`, each task waiting `wait`.
pub fn run_on(blocking: bool, clock: Clock, wait: Duration) -> Result<Figures, Error> {
    let hub = Hub::with_clock(clock.clone())?;
    let t0 = hub.now();
    let iters = hub.run(|| -> Result<Vec<Duration>, Error> {
        let mut iters = Vec::new();
        let mut tasks = Vec::new();
        for i in 0..TASKS {
            let t = simul_green::now()? - t0;
            say!("time passed after iter {i} is {:.6}", t.as_secs_f64());
            iters.push(t);
            if blocking {
                clock.block_for(wait); // example_coroutine(i): time.sleep(3)
            } else {
                tasks.push(simul_green::spawn(move || {
                    if trace::enabled() {
                        trace::name_current(format!("example_coroutine {i}"));
                    }
                    simul_green::sleep(wait)
                })?);
            }
        }
        for task in tasks {
            task.join()??;
        }
        Ok(iters)
    })??;
    let total = hub.now() - t0;
    say!("\nTotal time needed was {:.6}\n", total.as_secs_f64());
    Ok(Figures { iters, total })
}

/// One variant, traced as `variant`, in seed units.
fn starts(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    blocking: bool,
) -> Result<Starts, Error> {
    say!("{variant}:");
    let f = opts.record(traces, variant, || run_on(blocking, opts.clock(), opts.scaled(WAIT)))?;
    Ok(Starts {
        starts: f.iters.into_iter().map(|d| opts.unscaled(d)).collect(),
        took: opts.unscaled(f.total),
    })
}

/// The scenario: `test_async.py`, then `test_noasync.py`.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let cooperative = starts(opts, &mut traces, "cooperative", false)?;
    let blocking = starts(opts, &mut traces, "blocking", true)?;
    Ok(Outcome {
        style: Style::Green,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::FiveWaits { cooperative, blocking },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::FiveWaits, Style::Green, scenario)
}
