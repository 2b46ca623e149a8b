//! Seed 000, `nap`, callback style: `notify_every(0.2 s)` prints
//! `Notify!` while a flag holds, `exit_after(5 s)` clears it, and a nap of
//! 4 s blocks the loop (`blocking_wait_for`), or a nap of 2 s is split
//! into ten parts with a short cooperative sleep between them
//! (`friendly_blocking_wait_for`).
//!
//! The blocking nap starves the notifier: no `Notify!` during it. The
//! friendly one lets it run between the parts. Debug mode reports the
//! callback that blocked, and the line that scheduled it.
//!
//! ```text
//! cargo run -p simul-callback --example nap_callback            # virtual clock
//! cargo run -p simul-callback --example nap_callback -- --board # the lanes
//! cargo run -p simul-callback --example nap_callback -- --real  # 5 s each run
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop, SlowCallback};
use simul_reactor::Clock;
use simul_reactor::trace::name_current;
use simul_scenario::params::nap::{BLOCKING_NAP, EVERY, EXIT_AFTER, FRIENDLY_NAP, PARTS, PAUSE};
use simul_scenario::{Figures, NapRun, Options, Outcome, Scenario, Style, Traces, say};

/// The scenario's durations, on the run's clock.
#[derive(Copy, Clone)]
pub(crate) struct Times {
    every: Duration,
    exit_after: Duration,
    blocking_nap: Duration,
    friendly_nap: Duration,
    pause: Duration,
}

impl Times {
    pub(crate) fn new(opts: &Options) -> Times {
        Times {
            every: opts.scaled(EVERY),
            exit_after: opts.scaled(EXIT_AFTER),
            blocking_nap: opts.scaled(BLOCKING_NAP),
            friendly_nap: opts.scaled(FRIENDLY_NAP),
            pause: opts.scaled(PAUSE),
        }
    }
}

/// What the notifier saw.
#[derive(Default)]
struct Counts {
    notifies: Cell<u32>,
    during_nap: Cell<u32>,
    running: Cell<bool>,
    napping: Cell<bool>,
}

/// Prints `Notify!` every 0.2 s while `running` holds; counts the ones
/// printed while the nap runs.
fn notify_every(lp: &mut EventLoop, every: Duration, c: Rc<Counts>) {
    if !c.running.get() {
        return;
    }
    say!("  {:5.2} s  Notify!", lp.time().since_origin().as_secs_f64());
    c.notifies.set(c.notifies.get() + 1);
    if c.napping.get() {
        c.during_nap.set(c.during_nap.get() + 1);
    }
    lp.call_later(every, move |lp| notify_every(lp, every, c));
}

/// One part of a friendly nap, then a short sleep (`call_later`) before
/// the rest.
fn friendly_part(
    lp: &mut EventLoop,
    t: Times,
    left: u32,
    c: Rc<Counts>,
    ended: Rc<Cell<Duration>>,
) {
    lp.clock().block_for(t.friendly_nap / PARTS);
    // The seed pauses after every part, the last one too (`time.sleep`
    // then `await asyncio.sleep(1e-3)`, ten times): the nap ends after it.
    lp.call_later(t.pause, move |lp| {
        if left > 1 {
            friendly_part(lp, t, left - 1, c, ended);
        } else {
            c.napping.set(false);
            ended.set(lp.time().since_origin());
        }
    });
}

/// One run; returns the notifier's counts and how long the nap took.
pub(crate) fn run(friendly: bool, clock: Clock, t: Times) -> Result<(u32, u32, Duration), Error> {
    let mut lp = EventLoop::with_clock(clock)?;
    lp.set_debug(true);
    lp.set_slow_callback_hook(|report: &SlowCallback| say!("  debug: {report}"));
    let c = Rc::new(Counts { running: Cell::new(true), ..Counts::default() });
    let ended = Rc::new(Cell::new(Duration::ZERO));
    let c1 = c.clone();
    lp.call_soon(move |lp| {
        name_current("notify_every");
        notify_every(lp, t.every, c1)
    });
    let c2 = c.clone();
    lp.call_soon(move |lp| {
        name_current("exit_after");
        lp.call_later(t.exit_after, move |_| c2.running.set(false));
    });
    let (c3, e) = (c.clone(), ended.clone());
    let started = lp.time().since_origin();
    lp.call_soon(move |lp| {
        c3.napping.set(true);
        if friendly {
            name_current("friendly_blocking_wait_for");
            friendly_part(lp, t, PARTS, c3, e);
        } else {
            name_current("blocking_wait_for");
            lp.clock().block_for(t.blocking_nap); // time.sleep(4)
            c3.napping.set(false);
            e.set(lp.time().since_origin());
        }
    });
    lp.run_until(|_| !c.running.get())?;
    Ok((c.notifies.get(), c.during_nap.get(), ended.get().saturating_sub(started)))
}

/// Both naps, in seed time.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let t = Times::new(opts);
    let nap = |(notifies, during_nap, nap): (u32, u32, Duration)| NapRun {
        notifies,
        during_nap,
        nap: opts.unscaled(nap),
    };
    say!("blocking nap:");
    let blocking = nap(opts.record(&mut traces, "blocking", || run(false, opts.clock(), t))?);
    say!("friendly nap:");
    let friendly = nap(opts.record(&mut traces, "friendly", || run(true, opts.clock(), t))?);
    say!(
        "Notify! during the nap: blocking {}, friendly {}",
        blocking.during_nap,
        friendly.during_nap
    );
    Ok(Outcome {
        style: Style::Callback,
        exact: opts.is_virtual(),
        figures: Figures::Nap { blocking, friendly },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Nap, Style::Callback, scenario)
}
