//! What a pending task waits on, kept in its header for deadlock reports
//! and traces, packed into one word.
//!
//! Every task header carries one, and the header's size decides which
//! malloc size class a spawned task lands in (see the layout test in
//! [`super`]). A plain `Cell<WaitReason>` takes 16 bytes: a tag and a
//! 64-bit payload. [`WaitCell`] keeps the same information in 8:
//!
//! ```text
//!   63                                             4 3      0
//!  +------------------------------------------------+--------+
//!  |                  payload (60 bits)             |  tag   |
//!  +------------------------------------------------+--------+
//!   Join: task id · Sleep: deadline, ns from the clock's origin ·
//!   Io: fd << 1 | readable · JoinSet: tasks in the set · others: 0
//! ```
//!
//! Sixty bits hold any task id (a runtime spawning a task every
//! nanosecond would take 36 years to reach 2^60), any descriptor, and any
//! deadline up to 36 years after the clock's origin; a later deadline (a
//! sleep of `Duration::MAX` on the virtual clock, say) reads back as that
//! far-off moment, which is all a report needs: a timer that may still
//! fire.

use std::cell::Cell;
use std::fmt;

use simul_reactor::Instant;
use simul_reactor::trace::Wait;

/// What a pending task is waiting for, as far as simul knows. Recorded by
/// simul's own futures when they return `Pending`, read only to explain a
/// deadlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitReason {
    /// Not polled yet, or pending on a future simul does not know.
    Unknown,
    /// The `JoinHandle` of the task with this id.
    Join(u64),
    /// A timer firing at this instant.
    Sleep(Instant),
    /// A descriptor becoming readable (`true`) or writable.
    Io(std::os::fd::RawFd, bool),
    /// A `oneshot` receiver.
    Channel,
    /// `Event::wait`.
    Event,
    /// `JoinSet::join_next`, with this many tasks in the set.
    JoinSet(usize),
    /// `yield_now`: scheduled again already, so never stuck.
    Yield,
    /// `Lock::acquire`.
    Lock,
    /// `Semaphore::acquire`.
    Semaphore,
    /// `Queue::get` on an empty queue.
    QueueGet,
    /// `Queue::put` on a full queue.
    QueuePut,
    /// `Queue::join` with items unfinished.
    QueueJoin,
    /// A `spawn_blocking` job on a worker thread.
    Thread,
}

impl WaitReason {
    /// The same wait in the trace's words ([`simul_reactor::trace::Wait`]).
    pub(crate) fn to_trace(self) -> Wait {
        match self {
            WaitReason::Unknown => Wait::Unknown,
            WaitReason::Join(_) | WaitReason::JoinSet(_) => Wait::Join,
            WaitReason::Sleep(t) => Wait::Timer(t),
            WaitReason::Io(fd, true) => Wait::Readable(fd),
            WaitReason::Io(fd, false) => Wait::Writable(fd),
            WaitReason::Channel
            | WaitReason::Event
            | WaitReason::Lock
            | WaitReason::Semaphore
            | WaitReason::QueueGet
            | WaitReason::QueuePut
            | WaitReason::QueueJoin => Wait::Sync,
            WaitReason::Yield => Wait::Yield,
            WaitReason::Thread => Wait::Thread,
        }
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::Unknown => {
                f.write_str("a future that kept no waker (nothing can ever wake it: a lost wakeup)")
            }
            WaitReason::Join(id) => write!(f, "the JoinHandle of task #{id}"),
            WaitReason::Sleep(t) => write!(f, "a timer at {t}"),
            WaitReason::Io(fd, true) => write!(f, "fd {fd} to become readable"),
            WaitReason::Io(fd, false) => write!(f, "fd {fd} to become writable"),
            WaitReason::Channel => f.write_str("a oneshot channel's sender"),
            WaitReason::Event => f.write_str("an Event to be set"),
            WaitReason::JoinSet(n) => write!(f, "JoinSet::join_next ({n} tasks in the set)"),
            WaitReason::Yield => f.write_str("yield_now"),
            WaitReason::Lock => f.write_str("a Lock held by another task"),
            WaitReason::Semaphore => f.write_str("a Semaphore permit"),
            WaitReason::QueueGet => f.write_str("an item from an empty Queue"),
            WaitReason::QueuePut => f.write_str("room in a full Queue"),
            WaitReason::QueueJoin => f.write_str("Queue::join (items not yet task_done)"),
            WaitReason::Thread => f.write_str("a spawn_blocking job"),
        }
    }
}

/// Bits of the tag in a [`WaitCell`].
const TAG_BITS: u32 = 4;
/// The largest payload a [`WaitCell`] stores; larger ones saturate.
const PAYLOAD_MAX: u64 = u64::MAX >> TAG_BITS;

/// A [`WaitReason`] in one word; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct WaitCell(Cell<u64>);

impl WaitCell {
    /// A cell holding [`WaitReason::Unknown`].
    pub(crate) const fn new() -> WaitCell {
        WaitCell(Cell::new(0))
    }

    /// Stores `reason`.
    #[inline]
    pub(crate) fn set(&self, reason: WaitReason) {
        let (tag, payload) = match reason {
            WaitReason::Unknown => (0, 0),
            WaitReason::Join(id) => (1, id),
            WaitReason::Sleep(t) => (2, t.as_nanos()),
            // The descriptor's bits as unsigned, so that a negative one
            // (never registered, but representable) reads back the same.
            WaitReason::Io(fd, readable) => (3, u64::from(fd as u32) << 1 | u64::from(readable)),
            WaitReason::Channel => (4, 0),
            WaitReason::Event => (5, 0),
            WaitReason::JoinSet(n) => (6, n as u64),
            WaitReason::Yield => (7, 0),
            WaitReason::Lock => (8, 0),
            WaitReason::Semaphore => (9, 0),
            WaitReason::QueueGet => (10, 0),
            WaitReason::QueuePut => (11, 0),
            WaitReason::QueueJoin => (12, 0),
            WaitReason::Thread => (13, 0),
        };
        self.0.set(payload.min(PAYLOAD_MAX) << TAG_BITS | tag);
    }

    /// What was stored last.
    #[inline]
    pub(crate) fn get(&self) -> WaitReason {
        let word = self.0.get();
        let payload = word >> TAG_BITS;
        match word & ((1 << TAG_BITS) - 1) {
            1 => WaitReason::Join(payload),
            2 => WaitReason::Sleep(Instant::from_nanos(payload)),
            3 => WaitReason::Io((payload >> 1) as u32 as i32, payload & 1 == 1),
            4 => WaitReason::Channel,
            5 => WaitReason::Event,
            6 => WaitReason::JoinSet(usize::try_from(payload).unwrap_or(usize::MAX)),
            7 => WaitReason::Yield,
            8 => WaitReason::Lock,
            9 => WaitReason::Semaphore,
            10 => WaitReason::QueueGet,
            11 => WaitReason::QueuePut,
            12 => WaitReason::QueueJoin,
            13 => WaitReason::Thread,
            _ => WaitReason::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_as_stored() {
        let reasons = [
            WaitReason::Unknown,
            WaitReason::Join(0),
            WaitReason::Join(PAYLOAD_MAX),
            WaitReason::Sleep(Instant::ZERO),
            WaitReason::Sleep(Instant::from_nanos(1_234_567_890_123)),
            WaitReason::Io(0, true),
            WaitReason::Io(i32::MAX, false),
            WaitReason::Io(-1, true),
            WaitReason::Channel,
            WaitReason::Event,
            WaitReason::JoinSet(0),
            WaitReason::JoinSet(1 << 40),
            WaitReason::Yield,
            WaitReason::Lock,
            WaitReason::Semaphore,
            WaitReason::QueueGet,
            WaitReason::QueuePut,
            WaitReason::QueueJoin,
            WaitReason::Thread,
        ];
        let cell = WaitCell::new();
        assert_eq!(cell.get(), WaitReason::Unknown);
        for r in reasons {
            cell.set(r);
            assert_eq!(cell.get(), r);
        }
    }

    #[test]
    fn payloads_beyond_sixty_bits_saturate() {
        let cell = WaitCell::new();
        cell.set(WaitReason::Sleep(Instant::from_nanos(u64::MAX)));
        assert_eq!(cell.get(), WaitReason::Sleep(Instant::from_nanos(PAYLOAD_MAX)));
        cell.set(WaitReason::Join(u64::MAX));
        assert_eq!(cell.get(), WaitReason::Join(PAYLOAD_MAX));
    }

    #[test]
    fn the_cell_is_one_word() {
        assert_eq!(std::mem::size_of::<WaitCell>(), 8);
    }
}
