//! Shared test helpers: a recorded trace and loop constructors.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use simul_callback::EventLoop;
use simul_reactor::Clock;

/// An ordered record of what happened, shared by the callbacks of a test.
#[derive(Clone, Default)]
pub struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    pub fn new() -> Trace {
        Trace::default()
    }

    pub fn log(&self, what: impl Into<String>) {
        self.0.borrow_mut().push(what.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

/// A loop on a fresh virtual clock.
pub fn virtual_loop() -> EventLoop {
    EventLoop::with_clock(Clock::new_virtual()).expect("create loop")
}

/// Seconds since the clock's origin, as a float (for readable traces).
pub fn secs(lp: &EventLoop) -> f64 {
    lp.time().since_origin().as_secs_f64()
}
