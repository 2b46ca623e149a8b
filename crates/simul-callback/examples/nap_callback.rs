//! Seed 000, `nap`, callback style: `notify_every(0.2 s)` prints
//! `Notify!` while a flag holds, `exit_after(5 s)` clears it, and a nap of
//! 4 s either blocks the loop (`blocking_wait_for`) or is split into ten
//! parts with a cooperative yield between them
//! (`friendly_blocking_wait_for`).
//!
//! The blocking nap starves the notifier: no `Notify!` during it. The
//! friendly one lets it run between the parts. Debug mode reports the
//! callback that blocked, and the line that scheduled it.
//!
//! Runs on the virtual clock; `--real` uses the real one (5 s each run).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop, SlowCallback};
use simul_reactor::Clock;

const EVERY: Duration = Duration::from_millis(200);
const EXIT_AFTER: Duration = Duration::from_secs(5);
const NAP: Duration = Duration::from_secs(4);
const PARTS: u32 = 10;

/// Prints `Notify!` every 0.2 s while `running` holds; counts the ones
/// printed while `napping` holds.
fn notify_every(
    lp: &mut EventLoop,
    running: Rc<Cell<bool>>,
    napping: Rc<Cell<bool>>,
    during_nap: Rc<Cell<u32>>,
) {
    if !running.get() {
        return;
    }
    println!("  {:5.2} s  Notify!", lp.time().since_origin().as_secs_f64());
    if napping.get() {
        during_nap.set(during_nap.get() + 1);
    }
    lp.call_later(EVERY, move |lp| notify_every(lp, running, napping, during_nap));
}

/// One part of a friendly nap, then a yield (`call_soon` of the rest).
fn friendly_part(lp: &mut EventLoop, left: u32, napping: Rc<Cell<bool>>) {
    lp.clock().block_for(NAP / PARTS);
    if left > 1 {
        lp.call_soon(move |lp| friendly_part(lp, left - 1, napping));
    } else {
        napping.set(false);
    }
}

pub(crate) fn run(friendly: bool, real: bool) -> Result<u32, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut lp = EventLoop::with_clock(clock)?;
    lp.set_debug(true);
    lp.set_slow_callback_hook(|report: &SlowCallback| println!("  debug: {report}"));
    let running = Rc::new(Cell::new(true));
    let napping = Rc::new(Cell::new(false));
    let during_nap = Rc::new(Cell::new(0));
    let (r, n, d) = (running.clone(), napping.clone(), during_nap.clone());
    lp.call_soon(move |lp| notify_every(lp, r, n, d));
    let n = napping.clone();
    lp.call_later(Duration::from_millis(500), move |lp| {
        n.set(true);
        if friendly {
            friendly_part(lp, PARTS, n); // friendly_blocking_wait_for(4 s)
        } else {
            lp.clock().block_for(NAP); // blocking_wait_for(4 s): time.sleep
            n.set(false);
        }
    });
    let r = running.clone();
    lp.call_later(EXIT_AFTER, move |_| r.set(false)); // exit_after(5 s)
    lp.run_until(|_| !running.get())?;
    Ok(during_nap.get())
}

fn main() -> Result<(), Error> {
    let real = std::env::args().any(|a| a == "--real");
    println!("blocking nap:");
    let blocking = run(false, real)?;
    println!("friendly nap:");
    let friendly = run(true, real)?;
    println!("Notify! during the 4 s nap: blocking {blocking}, friendly {friendly}");
    Ok(())
}
