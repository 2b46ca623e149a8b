//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`, callback
//! style: a main task starts five tasks in a loop, printing `time passed
//! after iter i is t`; each task waits 3 s.
//!
//! Cooperatively the waits are `call_later`s, so the five starts are
//! microseconds apart and everything is done after 3 s. Blocking, each
//! task sleeps inside its start: starts 3 s apart, 15 s in all.
//!
//! Runs on the virtual clock; `--real` uses the real one.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::Clock;

const TASKS: u32 = 5;
const WAIT: Duration = Duration::from_secs(3);

pub(crate) fn run(blocking: bool, real: bool) -> Result<Duration, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut lp = EventLoop::with_clock(clock)?;
    let start = lp.time();
    let done = Rc::new(Cell::new(0));
    let d = done.clone();
    lp.call_soon(move |lp| {
        for i in 0..TASKS {
            let d = d.clone();
            if blocking {
                lp.clock().block_for(WAIT); // time.sleep(3)
                d.set(d.get() + 1);
            } else {
                lp.call_later(WAIT, move |_| d.set(d.get() + 1)); // asyncio.sleep(3)
            }
            println!("  time passed after iter {i} is {:.6} s", (lp.time() - start).as_secs_f64());
        }
    });
    lp.run_until(|_| done.get() == TASKS)?;
    Ok(lp.time() - start)
}

fn main() -> Result<(), Error> {
    let real = std::env::args().any(|a| a == "--real");
    println!("cooperative:");
    let coop = run(false, real)?;
    println!("blocking:");
    let blocking = run(true, real)?;
    println!(
        "cooperative {:.2} s (seed: 3.00 s); blocking {:.1} s (seed: 15.0 s)",
        coop.as_secs_f64(),
        blocking.as_secs_f64()
    );
    Ok(())
}
