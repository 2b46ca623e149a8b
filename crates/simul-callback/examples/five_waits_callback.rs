//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`, callback
//! style: a main task starts five tasks in a loop, printing `time passed
//! after iter i is t`; each task waits 3 s.
//!
//! Cooperatively the waits are `call_later`s, so the five starts are
//! microseconds apart and everything is done after 3 s. Blocking, each
//! task sleeps inside its start: starts 3 s apart, 15 s in all.
//!
//! ```text
//! cargo run -p simul-callback --example five_waits_callback            # virtual clock
//! cargo run -p simul-callback --example five_waits_callback -- --board # the lanes
//! cargo run -p simul-callback --example five_waits_callback -- --real
//! ```

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::{Clock, trace};
use simul_scenario::Starts;
use simul_scenario::params::five_waits::{TASKS, WAIT};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// One run: when each iteration of main's loop ended, and the total.
pub(crate) fn run(
    blocking: bool,
    clock: Clock,
    wait: Duration,
) -> Result<(Vec<Duration>, Duration), Error> {
    let mut lp = EventLoop::with_clock(clock)?;
    let start = lp.time();
    let done = Rc::new(Cell::new(0));
    let starts = Rc::new(RefCell::new(Vec::new()));
    let (d, s) = (done.clone(), starts.clone());
    lp.call_soon(move |lp| {
        // In the callback style the five waits are continuations of main's
        // chain: one lane, waiting on five timers at once.
        trace::name_current("main");
        for i in 0..TASKS {
            // The seed prints before it starts task i.
            let t = lp.time() - start;
            s.borrow_mut().push(t);
            say!("  time passed after iter {i} is {:.6} s", t.as_secs_f64());
            let d = d.clone();
            if blocking {
                lp.clock().block_for(wait); // time.sleep(3)
                d.set(d.get() + 1);
            } else {
                lp.call_later(wait, move |_| d.set(d.get() + 1)); // asyncio.sleep(3)
            }
        }
    });
    lp.run_until(|_| done.get() == TASKS)?;
    let starts = starts.borrow().clone();
    Ok((starts, lp.time() - start))
}

/// Both runs, in seed seconds.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let wait = opts.scaled(WAIT);
    let starts = |(starts, took): (Vec<Duration>, Duration)| Starts {
        starts: starts.into_iter().map(|t| opts.unscaled(t)).collect(),
        took: opts.unscaled(took),
    };
    say!("cooperative:");
    let cooperative =
        starts(opts.record(&mut traces, "cooperative", || run(false, opts.clock(), wait))?);
    say!("blocking:");
    let blocking = starts(opts.record(&mut traces, "blocking", || run(true, opts.clock(), wait))?);
    Ok(Outcome {
        style: Style::Callback,
        exact: opts.is_virtual(),
        figures: Figures::FiveWaits { cooperative, blocking },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::FiveWaits, Style::Callback, scenario)
}
