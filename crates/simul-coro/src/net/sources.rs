//! [`Sources`]: what the scheduler knows about each descriptor a socket
//! object registered: its readiness and the tasks waiting on it.
//!
//! Readiness is two bits per descriptor, set by events and cleared only
//! by an operation that found the socket empty (or full):
//!
//! ```text
//!   an operation (net::TcpStream::try_read ...)     the scheduler, after a poll
//!   -------------------------------------------     ---------------------------
//!   bit set?  no --> WouldBlock, no syscall          event for the token:
//!      | yes                                           set the bits it reports,
//!      v                                               wake the waiters of those
//!   the syscall                                        directions
//!     ok          --> the result
//!     short read  --> clear the bit (when the        Readable(fd) / Writable(fd):
//!                     events allow it), the result     bit set?  yes --> answer at once
//!     WouldBlock  --> clear the bit, WouldBlock                  no  --> file the waiter
//! ```
//!
//! A bit cleared by `WouldBlock` cannot hide a later arrival: events are
//! taken from the reactor only between resumes, on this thread, so any
//! arrival after the failed syscall comes as a new edge in a later poll
//! and sets the bit again. And an arrival while nobody waits is not lost:
//! the bit stays set until an operation finds the socket empty.

use std::io;
use std::os::fd::RawFd;

use simul_reactor::{Event, Token};

use crate::TaskId;

/// Tokens of owned registrations have this bit set; the scheduler's
/// per-wait registrations of plain descriptors use the descriptor number,
/// which never has it.
const OWNED: u64 = 1 << 63;

/// One registered descriptor.
struct Source {
    /// The slot's generation when registered, also in the token, so an
    /// event for a dropped registration is recognised and ignored.
    generation: u32,
    /// The descriptor.
    fd: RawFd,
    /// Readable since the last `WouldBlock` (or not known: at first).
    readable: bool,
    /// Writable since the last `WouldBlock` (or not known: at first).
    writable: bool,
    /// Some event said end-of-file, an error or urgent data (or the
    /// backend cannot tell): from then on only `WouldBlock` clears
    /// `readable`, never a short read. Sticky, because end-of-file and
    /// errors raise no later edge.
    reads_to_would_block: bool,
    /// The task waiting to read.
    reader: Option<TaskId>,
    /// The task waiting to write.
    writer: Option<TaskId>,
}

/// A direction of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading or accepting.
    Read,
    /// Writing or connecting.
    Write,
}

/// The answer to a wait on a descriptor.
pub(crate) enum WaitOutcome {
    /// No socket object owns this descriptor: per-wait registration.
    NotOwned,
    /// The readiness bit is set: answer at once.
    Ready,
    /// Filed as the waiter.
    Waiting,
    /// Another task already waits in that direction.
    Busy(TaskId),
}

/// Where a registration lives in [`Sources`], and its token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    /// Index of the slot.
    slot: u32,
    /// Generation of the slot.
    generation: u32,
}

impl Key {
    /// The token its events carry.
    pub(crate) fn token(self) -> Token {
        Token(
            (OWNED | (u64::from(self.generation & 0x7fff_ffff) << 32) | u64::from(self.slot))
                as usize,
        )
    }
}

/// The table of owned registrations.
#[derive(Default)]
pub(crate) struct Sources {
    /// By slot; `None` is free.
    slots: Vec<Option<Source>>,
    /// Free slots, reused last-in first-out.
    free: Vec<u32>,
    /// Generation for the next registration.
    next_generation: u32,
    /// Slot + 1 of the registration of each descriptor number (0: none).
    /// Descriptor numbers are small and dense, so a vector beats a map.
    by_fd: Vec<u32>,
    /// How many tasks wait on owned descriptors (for deadlock detection).
    waiting: usize,
    /// Waiters of registrations dropped while they waited, with the
    /// descriptor: the scheduler wakes them with an error.
    orphans: Vec<(TaskId, RawFd)>,
}

impl Sources {
    /// Reserves a slot for `fd`, ready both ways; the caller registers
    /// the token and calls [`remove`](Sources::remove) if that fails.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a negative descriptor; `AlreadyExists` when
    /// another object already owns this descriptor number.
    pub(crate) fn insert(&mut self, fd: RawFd) -> io::Result<Key> {
        let Ok(index) = usize::try_from(fd) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("fd {fd} is negative"),
            ));
        };
        if self.by_fd.get(index).is_some_and(|&s| s != 0) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("fd {fd} is registered by another socket object"),
            ));
        }
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1) & 0x7fff_ffff;
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                u32::try_from(self.slots.len() - 1).map_err(|_| {
                    io::Error::new(io::ErrorKind::OutOfMemory, "too many registered descriptors")
                })?
            }
        };
        self.slots[slot as usize] = Some(Source {
            generation,
            fd,
            readable: true,
            writable: true,
            reads_to_would_block: false,
            reader: None,
            writer: None,
        });
        if self.by_fd.len() <= index {
            self.by_fd.resize(index + 1, 0);
        }
        self.by_fd[index] = slot + 1;
        Ok(Key { slot, generation })
    }

    /// Forgets the registration `key`; its waiters become orphans, to be
    /// woken with an error. Returns its descriptor.
    pub(crate) fn remove(&mut self, key: Key) -> Option<RawFd> {
        let source = self.slots.get_mut(key.slot as usize)?;
        if source.as_ref().is_none_or(|s| s.generation != key.generation) {
            return None;
        }
        let source = source.take()?;
        self.free.push(key.slot);
        if let Some(entry) = usize::try_from(source.fd).ok().and_then(|i| self.by_fd.get_mut(i)) {
            *entry = 0;
        }
        for id in [source.reader, source.writer].into_iter().flatten() {
            self.waiting -= 1;
            self.orphans.push((id, source.fd));
        }
        Some(source.fd)
    }

    fn get_mut(&mut self, key: Key) -> Option<&mut Source> {
        self.slots.get_mut(key.slot as usize)?.as_mut().filter(|s| s.generation == key.generation)
    }

    fn by_fd_mut(&mut self, fd: RawFd) -> Option<&mut Source> {
        let slot = *self.by_fd.get(usize::try_from(fd).ok()?)?;
        self.slots.get_mut(slot.checked_sub(1)? as usize)?.as_mut()
    }

    /// Whether `key` may be ready in `direction`.
    pub(crate) fn is_ready(&mut self, key: Key, direction: Direction) -> bool {
        self.get_mut(key).is_some_and(|s| match direction {
            Direction::Read => s.readable,
            Direction::Write => s.writable,
        })
    }

    /// An operation found `key` empty (or full) in `direction`.
    pub(crate) fn clear(&mut self, key: Key, direction: Direction) {
        if let Some(s) = self.get_mut(key) {
            match direction {
                Direction::Read => s.readable = false,
                Direction::Write => s.writable = false,
            }
        }
    }

    /// A stream read of `key` came back short: clear readability unless
    /// an event said a short read does not prove the socket empty.
    pub(crate) fn short_read(&mut self, key: Key) {
        if let Some(s) = self.get_mut(key)
            && !s.reads_to_would_block
        {
            s.readable = false;
        }
    }

    /// Task `id` waits on `fd` in `direction`.
    pub(crate) fn wait(&mut self, fd: RawFd, direction: Direction, id: TaskId) -> WaitOutcome {
        let Some(s) = self.by_fd_mut(fd) else { return WaitOutcome::NotOwned };
        let (ready, place) = match direction {
            Direction::Read => (s.readable, &mut s.reader),
            Direction::Write => (s.writable, &mut s.writer),
        };
        if let Some(other) = *place {
            return WaitOutcome::Busy(other);
        }
        if ready {
            return WaitOutcome::Ready;
        }
        *place = Some(id);
        self.waiting += 1;
        WaitOutcome::Waiting
    }

    /// Task `id` no longer waits on `fd` (it was cancelled). Returns
    /// whether `fd` is owned here.
    pub(crate) fn forget(&mut self, fd: RawFd, id: TaskId) -> bool {
        let Some(s) = self.by_fd_mut(fd) else { return false };
        let mut removed = 0;
        for place in [&mut s.reader, &mut s.writer] {
            if *place == Some(id) {
                *place = None;
                removed += 1;
            }
        }
        self.waiting -= removed;
        true
    }

    /// Applies one event: sets the bits it reports and adds the waiters
    /// of those directions to `woken`. Returns `false` when the token is
    /// not an owned registration's (the scheduler's per-wait ones).
    pub(crate) fn dispatch(&mut self, event: &Event, woken: &mut Vec<TaskId>) -> bool {
        let token = event.token().0 as u64;
        if token & OWNED == 0 {
            return false;
        }
        let slot = (token & 0xffff_ffff) as usize;
        let generation = ((token & !OWNED) >> 32) as u32;
        let Some(Some(s)) = self.slots.get_mut(slot) else { return true };
        if s.generation != generation {
            return true; // a stale event of a dropped registration
        }
        let failed = event.is_error();
        let before = woken.len();
        if event.is_readable() || event.is_read_closed() || failed {
            s.readable = true;
            s.reads_to_would_block |= !event.short_read_drains();
            woken.extend(s.reader.take());
        }
        if event.is_writable() || event.is_write_closed() || failed {
            s.writable = true;
            woken.extend(s.writer.take());
        }
        self.waiting -= woken.len() - before;
        true
    }

    /// Whether any task waits on an owned descriptor.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiting > 0
    }

    /// Whether registrations were dropped under waiting tasks.
    pub(crate) fn has_orphans(&self) -> bool {
        !self.orphans.is_empty()
    }

    /// Moves the orphaned waiters into `into`.
    pub(crate) fn take_orphans(&mut self, into: &mut Vec<(TaskId, RawFd)>) {
        into.append(&mut self.orphans);
    }
}
