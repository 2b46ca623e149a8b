//! [`Runnable`]: one entry of the ready queue, as a single boxed object.
//!
//! Every entry is one `Box<dyn Runnable>`: the user's closure and where it
//! was scheduled from live in the same allocation, so the ready queue is a
//! `VecDeque` of 16-byte fat pointers, as small as the bare
//! `VecDeque<Box<dyn FnOnce()>>` it is measured against.

use std::panic::Location;

use crate::{CallbackKind, EventLoop};

/// Something the loop runs once.
pub(crate) trait Runnable {
    /// Runs it. Implementations first record their location and kind in
    /// `EventLoop::current`, so that a panic can be reported with them.
    fn run(self: Box<Self>, lp: &mut EventLoop);
    /// Where it was scheduled from.
    fn location(&self) -> &'static Location<'static>;
    /// Which API scheduled it.
    fn kind(&self) -> CallbackKind;
    /// The trace unit it continues (0: none yet).
    fn unit(&self) -> u64;
    /// Gives it a unit: a call from another thread starts a new one.
    fn set_unit(&mut self, unit: u64);
}

/// A one-shot callback: `call_soon`, `call_later`, `call_soon_threadsafe`,
/// an executor result.
pub(crate) struct Call<F> {
    /// The user's closure.
    pub(crate) f: F,
    /// Where it was scheduled from.
    pub(crate) location: &'static Location<'static>,
    /// Which API scheduled it.
    pub(crate) kind: CallbackKind,
    /// The trace unit it continues (0 for a call from another thread,
    /// which gets a fresh one when it reaches the loop).
    pub(crate) unit: u64,
}

impl<F: FnOnce(&mut EventLoop)> Runnable for Call<F> {
    #[inline]
    fn run(self: Box<Self>, lp: &mut EventLoop) {
        let Call { f, location, kind, unit } = *self;
        lp.enter(location, kind, unit, true, None);
        f(lp);
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn kind(&self) -> CallbackKind {
        self.kind
    }

    fn unit(&self) -> u64 {
        self.unit
    }

    fn set_unit(&mut self, unit: u64) {
        self.unit = unit;
    }
}
