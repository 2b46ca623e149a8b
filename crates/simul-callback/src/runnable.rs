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
///
/// Kept small on purpose: with a closure of one word it is 24 bytes, the
/// smallest allocation the system allocator hands out (glibc's 32-byte
/// chunk), the same as the bare boxed closure of the floor it is measured
/// against. That is why the kind and the trace unit share one word.
pub(crate) struct Call<F> {
    /// The user's closure.
    pub(crate) f: F,
    /// Where it was scheduled from.
    pub(crate) location: &'static Location<'static>,
    /// Which API scheduled it, and the trace unit it continues.
    pub(crate) tag: Tag,
}

/// A [`CallbackKind`] and a trace unit in one word: the kind in the top
/// byte, the unit (0 for a call from another thread, which gets a fresh
/// one when it reaches the loop) in the low 56 bits. Units count up from
/// 1, one per callback chain: 2^56 of them is centuries of chains at a
/// billion a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tag(u64);

/// The kinds, indexed by their tag byte.
const KINDS: [CallbackKind; 7] = [
    CallbackKind::CallSoon,
    CallbackKind::Timer,
    CallbackKind::Reader,
    CallbackKind::Writer,
    CallbackKind::Threadsafe,
    CallbackKind::Executor,
    CallbackKind::Transport,
];

/// The unit's bits.
const UNIT_MASK: u64 = (1 << 56) - 1;

impl Tag {
    /// `kind` and `unit` (its low 56 bits) together.
    #[inline]
    pub(crate) fn new(kind: CallbackKind, unit: u64) -> Tag {
        // A fieldless enum casts to its declaration index, which is its
        // index in KINDS (the test below keeps the two in step).
        Tag((kind as u64) << 56 | (unit & UNIT_MASK))
    }

    /// The kind.
    #[inline]
    pub(crate) fn kind(self) -> CallbackKind {
        KINDS.get((self.0 >> 56) as usize).copied().unwrap_or(CallbackKind::CallSoon)
    }

    /// The unit.
    #[inline]
    pub(crate) fn unit(self) -> u64 {
        self.0 & UNIT_MASK
    }
}

impl<F: FnOnce(&mut EventLoop)> Runnable for Call<F> {
    #[inline]
    fn run(self: Box<Self>, lp: &mut EventLoop) {
        let Call { f, location, tag } = *self;
        lp.enter(location, tag.kind(), tag.unit(), true, None);
        f(lp);
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn kind(&self) -> CallbackKind {
        self.tag.kind()
    }

    fn unit(&self) -> u64 {
        self.tag.unit()
    }

    fn set_unit(&mut self, unit: u64) {
        self.tag = Tag::new(self.tag.kind(), unit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_gives_back_its_kind_and_unit() {
        for kind in KINDS {
            for unit in [0, 1, 77, UNIT_MASK] {
                let tag = Tag::new(kind, unit);
                assert_eq!((tag.kind(), tag.unit()), (kind, unit));
            }
            // Bits above the unit's 56 never leak into the kind.
            assert_eq!(Tag::new(kind, u64::MAX).kind(), kind);
        }
    }

    #[test]
    fn a_call_with_a_one_word_closure_is_three_words() {
        let x = 5u64;
        let call = Call {
            f: move |_: &mut EventLoop| {
                std::hint::black_box(x);
            },
            location: Location::caller(),
            tag: Tag::new(CallbackKind::CallSoon, 1),
        };
        assert_eq!(std::mem::size_of_val(&call), 24);
    }
}
