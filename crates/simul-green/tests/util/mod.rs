//! Shared test helpers: hubs for every backend, and a trace log.

#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use simul_green::{Backend, Hub};
use simul_reactor::Clock;

/// One virtual-clock hub per backend available on this target, with the
/// backend's name.
pub fn virtual_hubs() -> Vec<(&'static str, Hub)> {
    backends()
        .into_iter()
        .map(|(name, b)| {
            (name, Hub::builder().backend(b).clock(Clock::new_virtual()).build().unwrap())
        })
        .collect()
}

/// The backends available here.
pub fn backends() -> Vec<(&'static str, Backend)> {
    [("asm", Backend::Asm), ("ucontext", Backend::Ucontext)]
        .into_iter()
        .filter(|(_, b)| b.is_available())
        .collect()
}

/// A shared, append-only record of what happened, in order.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }
    pub fn take(&self) -> Vec<String> {
        self.0.borrow_mut().drain(..).collect()
    }
}
