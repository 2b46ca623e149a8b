//! The hub's per-descriptor wait registry: which green threads wait on
//! which descriptor, and what readiness the reactor reported for it.
//!
//! Every descriptor a green thread waits on has one entry, registered
//! with the reactor (edge-triggered) under a token that names the entry,
//! for the directions waited for so far: the first wait registers its
//! own direction only, and a later wait for the other direction widens
//! the registration to both (one `reregister`, once). So a reader and a
//! writer may wait on one descriptor at the same time, each woken only by
//! its own direction, and a descriptor that offers only one direction
//! (a kqueue, which kqueue watches for reading only; the read end of a
//! pipe on some systems) can be waited on for that one: asking kqueue
//! for a direction the file cannot offer is an error (`EINVAL`).
//!
//! ```text
//!                     first wait (register its direction)
//!   (no entry) ----------------------------------------------> Registered(d)
//!       ^                                                     |   ^   |
//!       |  owner dropped (deregister; waiters woken,          |   |   | event: set the
//!       |  their wait fails) or, for a one-shot entry,        |   |   | reported bits,
//!       |  its last waiter leaves                             |   |   | wake the waiters
//!       +-----------------------------------------------------+   +---+ of that direction
//!
//!   Registered(d) --wait for a direction not in d: reregister d | e--> Registered(d | e)
//! ```
//!
//! **Kept and one-shot entries.** The green net types own their
//! descriptors: their entry is *kept* across waits (no `epoll_ctl` per
//! wait once each direction has been waited for: at most a register, a
//! widening and a deregister per descriptor, which
//! [`Hub::poller_updates`](crate::Hub::poller_updates) counts) and removed
//! when the object is dropped. Their protocol is the edge-triggered one:
//! try the call; on `WouldBlock` clear that direction's bit and park until
//! an event sets it again. A read that comes back short clears the
//! readable bit too (the socket was empty when it ended, and later data
//! raises a new edge), so the next read parks without the system call
//! that would only say `WouldBlock`; not once an event has announced
//! end-of-file or an error, which raise no later edge. A raw [`wait_fd`](crate::wait_fd) on a
//! descriptor nobody owns makes a *one-shot* entry, removed when its last
//! waiter leaves; a raw wait on a descriptor that has an entry re-arms it
//! (`reregister`), so it returns as soon as the descriptor is ready now,
//! like a fresh registration.

use std::sync::atomic::{AtomicU64, Ordering};

use simul_reactor::{Event, Interest, Token};

use crate::hub::WaitToken;

/// One registered descriptor.
pub(crate) struct FdEntry {
    /// Hub-unique number of this registration, carried in its reactor
    /// token: events of an older registration of the same descriptor
    /// number are recognised and ignored.
    pub(crate) generation: u32,
    /// Readable reported and not yet answered by `WouldBlock`.
    pub(crate) readable: bool,
    /// Writable reported and not yet answered by `WouldBlock`.
    pub(crate) writable: bool,
    /// Some event said end-of-file, an error or urgent data (or the
    /// backend cannot tell): from then on only `WouldBlock` clears
    /// `readable`, never a short read. Sticky: end-of-file and errors are
    /// final and raise no later edge. See [`Inner::read_drained`](crate::hub::Inner::read_drained).
    pub(crate) reads_to_would_block: bool,
    /// Owned by a green net object: kept across waits.
    pub(crate) kept: bool,
    /// The directions registered with the reactor: those waited for so
    /// far (see the module docs for why not always both).
    pub(crate) registered: Interest,
    /// Parked threads, with the direction each waits for.
    pub(crate) waiters: Vec<(Interest, WaitToken)>,
}

impl FdEntry {
    /// Records what `event` reported; the errors and hang-ups count for
    /// both directions, since the next call will report them.
    fn mark(&mut self, event: &Event) {
        let failed = event.is_error();
        let readable = event.is_readable() || event.is_read_closed() || failed;
        self.readable |= readable;
        self.reads_to_would_block |= readable && !event.short_read_drains();
        self.writable |= event.is_writable() || event.is_write_closed() || failed;
    }

    /// Whether `interest` is satisfied by the bits.
    fn ready_for(&self, interest: Interest) -> bool {
        (interest.is_readable() && self.readable) || (interest.is_writable() && self.writable)
    }

    /// Clears the bits of `interest` (it got `WouldBlock`).
    pub(crate) fn clear(&mut self, interest: Interest) {
        if interest.is_readable() {
            self.readable = false;
        }
        if interest.is_writable() {
            self.writable = false;
        }
    }
}

/// The entries, indexed by descriptor number (small, dense integers).
#[derive(Default)]
pub(crate) struct FdTable {
    /// `entries[fd]`.
    entries: Vec<Option<FdEntry>>,
    /// Source of [`FdEntry::generation`].
    next_generation: u32,
}

impl FdTable {
    /// The entry of `fd`.
    pub(crate) fn get(&mut self, fd: i32) -> Option<&mut FdEntry> {
        self.entries.get_mut(usize::try_from(fd).ok()?)?.as_mut()
    }

    /// A fresh generation for a new registration.
    pub(crate) fn next_generation(&mut self) -> u32 {
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        self.next_generation
    }

    /// Adds the entry of `fd` (a valid, non-negative descriptor).
    pub(crate) fn insert(&mut self, fd: i32, entry: FdEntry) {
        let Ok(i) = usize::try_from(fd) else { return };
        if self.entries.len() <= i {
            self.entries.resize_with(i + 1, || None);
        }
        self.entries[i] = Some(entry);
    }

    /// Removes the entry of `fd`.
    pub(crate) fn remove(&mut self, fd: i32) -> Option<FdEntry> {
        self.entries.get_mut(usize::try_from(fd).ok()?)?.take()
    }

    /// Applies a reactor event and collects the waiters it wakes into
    /// `wake`; stale events (an older registration) are ignored.
    pub(crate) fn on_event(&mut self, event: &Event, wake: &mut Vec<WaitToken>) {
        let (fd, generation) = split(event.token());
        let Some(entry) = self.get(fd) else { return };
        if entry.generation != generation {
            return;
        }
        entry.mark(event);
        wake.extend(entry.waiters.iter().filter(|(i, _)| entry.ready_for(*i)).map(|(_, t)| *t));
    }
}

/// The reactor token of registration `generation` of `fd`.
pub(crate) fn token(fd: i32, generation: u32) -> Token {
    Token(((fd as u32 as usize) << 32) | generation as usize)
}

/// The inverse of [`token`].
fn split(token: Token) -> (i32, u32) {
    ((token.0 >> 32) as u32 as i32, token.0 as u32)
}

/// Which hub, and which of its registrations, a green net object's
/// descriptor has: so dropping the object deregisters it, and an entry
/// left behind by an object dropped outside its hub is recognised as
/// stale when the descriptor number comes back.
///
/// Atomic (relaxed) only so the net types stay `Send + Sync`; it is
/// read and written on the thread of the hub that uses the object.
#[derive(Default)]
pub(crate) struct Registration {
    /// `hub serial << 32 | generation`; 0: not registered anywhere.
    packed: AtomicU64,
}

impl Registration {
    /// The registration's generation if it is one of hub `serial`'s.
    pub(crate) fn generation_in(&self, serial: u32) -> Option<u32> {
        let packed = self.packed.load(Ordering::Relaxed);
        (packed != 0 && (packed >> 32) as u32 == serial).then_some(packed as u32)
    }

    /// Records registration `generation` of hub `serial`.
    pub(crate) fn set(&self, serial: u32, generation: u32) {
        self.packed.store((u64::from(serial) << 32) | u64::from(generation), Ordering::Relaxed);
    }
}
