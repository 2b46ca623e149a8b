//! Loom's view of the notifier (built only under `--cfg loom`).
//!
//! The notifier's protocol is a flag (`pending`) over an OS object. Loom
//! sees atomics, not system calls, so here the OS object is replaced by
//! a fake that loom can see: an atomic counter standing for the eventfd's
//! count (or kqueue's user event). Everything else is the crate's own
//! code: [`Notifier::wake`] and the reactor's `Notifier::reset` run
//! unchanged over the fake, with `pending` a loom atomic (see
//! `crate::sync`).
//!
//! The kernel serialises its operations on one eventfd or one knote (a
//! lock), so the fake's operations are read-modify-writes with `AcqRel`,
//! and the selector's "is it readable" is an `Acquire` load: a wait that
//! returns the notifier's event has seen the write that made it ready.
//!
//! Nothing here is part of the crate's API: the module is hidden, and
//! exists only in loom builds.
#![allow(missing_docs, unreachable_pub)]

use std::io;

use loom::sync::atomic::AtomicUsize;

use crate::sync::{Arc, Ordering};
use crate::{Notifier, sys};

/// Which OS object the fake stands for; they drain at different times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Linux: an eventfd. A wait reports it while its count is non-zero
    /// and leaves the count alone; the reactor's `reset` reads it to zero.
    Eventfd,
    /// kqueue: `EVFILT_USER` with `EV_CLEAR`. The wait that returns the
    /// event also clears it; `reset` has nothing to drain.
    Kqueue,
}

/// The fake OS object: `count` is the eventfd's counter (or the number of
/// `NOTE_TRIGGER`s since the knote was last returned).
#[derive(Debug)]
pub struct FakeFd {
    count: AtomicUsize,
    backend: Backend,
}

impl FakeFd {
    /// The selector's wait: does it report the notifier's event? On
    /// kqueue, reporting it also clears it (`EV_CLEAR`).
    pub fn select(&self) -> bool {
        match self.backend {
            Backend::Eventfd => self.count.load(Ordering::Acquire) > 0,
            Backend::Kqueue => self.count.swap(0, Ordering::AcqRel) > 0,
        }
    }

    /// Would a wait started now return? (The OS object is signalled.)
    pub fn is_signalled(&self) -> bool {
        self.count.load(Ordering::Acquire) > 0
    }

    fn wake(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    fn reset(&self) {
        match self.backend {
            // One 8-byte read returns the whole counter and zeroes it.
            Backend::Eventfd => drop(self.count.swap(0, Ordering::AcqRel)),
            // `sys::kqueue::Waker::reset` does nothing.
            Backend::Kqueue => {}
        }
    }
}

/// The notifier's OS waker in a loom build: the real one (a reactor made
/// by `Reactor::new`) or the fake.
#[derive(Debug)]
pub(crate) enum Waker {
    Os(sys::Waker),
    Fake(Arc<FakeFd>),
}

impl Waker {
    pub(crate) fn wake(&self) -> io::Result<()> {
        match self {
            Waker::Os(w) => w.wake(),
            Waker::Fake(f) => {
                f.wake();
                Ok(())
            }
        }
    }

    pub(crate) fn reset(&self) -> io::Result<()> {
        match self {
            Waker::Os(w) => w.reset(),
            Waker::Fake(f) => {
                f.reset();
                Ok(())
            }
        }
    }
}

/// A notifier over a fake OS object, and the fake, for a loom model.
pub fn notifier(backend: Backend) -> (Notifier, Arc<FakeFd>) {
    let fd = Arc::new(FakeFd { count: AtomicUsize::new(0), backend });
    (Notifier::from_waker(Waker::Fake(fd.clone())), fd)
}

/// What `Reactor::poll` does when the wait reported the notifier's event:
/// the crate's own `Notifier::reset` (drain, then clear `pending`).
pub fn reset(notifier: &Notifier) -> io::Result<()> {
    notifier.reset()
}

/// The order `Notifier::reset`'s docs warn against: clear `pending`, then
/// drain. Not used by the crate; the loom test shows it loses wakes.
pub fn reset_clear_then_drain(notifier: &Notifier) -> io::Result<()> {
    notifier.reset_clear_then_drain()
}
