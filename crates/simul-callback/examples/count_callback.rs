//! Seeds 001/003, `count`, callback style: three tasks print `One`, wait
//! a second, print `Two`.
//!
//! Cooperatively, a task that wants to wait hands the loop the rest of its
//! work as a callback (`call_later(1 s, print Two)`) and returns, so all
//! three wait at once: `One One One Two Two Two` in 1 s. The blocking
//! version sleeps inside the callback, and the loop can do nothing else:
//! `One Two` three times, 3 s.
//!
//! ```text
//! cargo run -p simul-callback --example count_callback            # virtual clock
//! cargo run -p simul-callback --example count_callback -- --board # the lanes
//! cargo run -p simul-callback --example count_callback -- --real --svg /tmp/count.svg
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::{Clock, trace};
use simul_scenario::params::count::{TASKS, WAIT};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, Transcript, say};

/// Names the running chain of callbacks `count i` in a trace.
fn name_task(i: usize) {
    if trace::enabled() {
        trace::name_current(format!("count {i}"));
    }
}

/// The cooperative count: each `One` schedules its `Two`.
pub(crate) fn cooperative(
    clock: Clock,
    wait: Duration,
) -> Result<(Vec<&'static str>, Duration), Error> {
    let mut lp = EventLoop::with_clock(clock)?;
    let start = lp.time();
    let out = Rc::new(RefCell::new(Vec::new()));
    for i in 1..=TASKS {
        let out = out.clone();
        lp.call_soon(move |lp| {
            name_task(i);
            say!("One");
            out.borrow_mut().push("One");
            lp.call_later(wait, move |_| {
                say!("Two");
                out.borrow_mut().push("Two");
            });
        });
    }
    lp.run_until(|_| out.borrow().len() == 2 * TASKS)?;
    let words = out.borrow().clone();
    Ok((words, lp.time() - start))
}

/// The blocking count: the wait happens inside the callback.
pub(crate) fn blocking(
    clock: Clock,
    wait: Duration,
) -> Result<(Vec<&'static str>, Duration), Error> {
    let mut lp = EventLoop::with_clock(clock)?;
    let start = lp.time();
    let out = Rc::new(RefCell::new(Vec::new()));
    for i in 1..=TASKS {
        let out = out.clone();
        lp.call_soon(move |lp| {
            name_task(i);
            say!("One");
            out.borrow_mut().push("One");
            lp.clock().block_for(wait); // time.sleep(1): nobody else runs
            say!("Two");
            out.borrow_mut().push("Two");
        });
    }
    lp.run_until(|_| out.borrow().len() == 2 * TASKS)?;
    let words = out.borrow().clone();
    Ok((words, lp.time() - start))
}

/// Both counts, measured in seed seconds.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let wait = opts.scaled(WAIT);
    say!("cooperative:");
    let (words, took) =
        opts.record(&mut traces, "cooperative", || cooperative(opts.clock(), wait))?;
    let cooperative = Transcript { words, took: opts.unscaled(took) };
    say!("blocking:");
    let (words, took) = opts.record(&mut traces, "blocking", || blocking(opts.clock(), wait))?;
    let blocking = Transcript { words, took: opts.unscaled(took) };
    Ok(Outcome {
        style: Style::Callback,
        exact: opts.is_virtual(),
        figures: Figures::Count { cooperative, blocking },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Count, Style::Callback, scenario)
}
