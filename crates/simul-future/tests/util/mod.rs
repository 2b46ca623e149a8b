//! Helpers shared by the tests: a trace recorder and hand-made futures.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// An ordered record of events, shared by the tasks of one test.
#[derive(Clone, Default)]
pub struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    pub fn new() -> Trace {
        Trace::default()
    }
    pub fn push(&self, event: impl Into<String>) {
        self.0.borrow_mut().push(event.into());
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Records `dropped <name>` in the trace when dropped.
pub struct DropGuard(pub Trace, pub &'static str);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.push(format!("dropped {}", self.1));
    }
}

/// A future that counts its polls and parks its waker in a shared slot,
/// finishing when `done` is set.
pub struct Parked {
    pub polls: Rc<RefCell<u32>>,
    pub waker: Rc<RefCell<Option<Waker>>>,
    pub done: Rc<RefCell<bool>>,
}

impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.polls.borrow_mut() += 1;
        if *self.done.borrow() {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Polls `f` once with a waker that does nothing (for stepping a leaf
/// future through its states by hand, outside any runtime).
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}
