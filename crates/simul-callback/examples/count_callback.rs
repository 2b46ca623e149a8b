//! Seeds 001/003, `count`, callback style: three tasks print `One`, wait
//! a second, print `Two`.
//!
//! Cooperatively, a task that wants to wait hands the loop the rest of its
//! work as a callback (`call_later(1 s, print Two)`) and returns, so all
//! three wait at once: `One One One Two Two Two` in 1 s. The blocking
//! version sleeps inside the callback, and the loop can do nothing else:
//! `One Two` three times, 3 s.
//!
//! Runs on the virtual clock (exact, instant); `--real` uses the real one.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::Clock;

const TASKS: usize = 3;
const WAIT: Duration = Duration::from_secs(1);

fn new_loop(real: bool) -> Result<EventLoop, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    Ok(EventLoop::with_clock(clock)?)
}

/// The cooperative count: each `One` schedules its `Two`.
pub(crate) fn cooperative(real: bool) -> Result<(Vec<&'static str>, Duration), Error> {
    let mut lp = new_loop(real)?;
    let start = lp.time();
    let out = Rc::new(RefCell::new(Vec::new()));
    for _ in 0..TASKS {
        let out = out.clone();
        lp.call_soon(move |lp| {
            out.borrow_mut().push("One");
            lp.call_later(WAIT, move |_| out.borrow_mut().push("Two"));
        });
    }
    lp.run_until(|_| out.borrow().len() == 2 * TASKS)?;
    let words = out.borrow().clone();
    Ok((words, lp.time() - start))
}

/// The blocking count: the wait happens inside the callback.
pub(crate) fn blocking(real: bool) -> Result<(Vec<&'static str>, Duration), Error> {
    let mut lp = new_loop(real)?;
    let start = lp.time();
    let out = Rc::new(RefCell::new(Vec::new()));
    for _ in 0..TASKS {
        let out = out.clone();
        lp.call_soon(move |lp| {
            out.borrow_mut().push("One");
            lp.clock().block_for(WAIT); // time.sleep(1): nobody else runs
            out.borrow_mut().push("Two");
        });
    }
    lp.run_until(|_| out.borrow().len() == 2 * TASKS)?;
    let words = out.borrow().clone();
    Ok((words, lp.time() - start))
}

fn main() -> Result<(), Error> {
    let real = std::env::args().any(|a| a == "--real");
    let (words, took) = cooperative(real)?;
    println!("cooperative: {}", words.join(" "));
    println!("cooperative took {:.2} s (the seed measured 1.01 s)", took.as_secs_f64());
    let (words, took) = blocking(real)?;
    println!("blocking:    {}", words.join(" "));
    println!("blocking took {:.2} s (the seed: 3 s)", took.as_secs_f64());
    Ok(())
}
