//! [`Registration`]: a descriptor registered with the runtime's reactor,
//! with the readiness it last reported and the tasks waiting for it.
//!
//! Every descriptor is registered once, edge-triggered, for both
//! directions. The runtime keeps one [`Source`] per descriptor:
//!
//! ```text
//!   leaf future (read, write, accept ...)        the loop (Core::turn)
//!   ---------------------------------------      ---------------------------
//!   ready flag set?  no --> keep waker, Pending  event for the token:
//!        | yes                                     set the ready flags,
//!        v                                         wake every kept waiter
//!   try the syscall
//!     ok          --> Ready
//!     short read  --> clear the flag, Ready    (stream reads only: the
//!                                               socket is empty; see
//!                                               `poll_read_stream`)
//!     WouldBlock  --> clear the flag, keep waker, Pending
//! ```
//!
//! Events are only processed between polls, on the same thread, so there
//! is no window between "WouldBlock" and "clear the flag" in which an edge
//! could be lost.
//!
//! Several tasks may wait in one direction at once: `recv_from`,
//! `send_to` and `accept` take `&self`, so tasks can share a socket (an
//! `Rc<UdpSocket>`, a listener with several acceptors). An edge wakes all
//! of them; the first to run takes the datagram, the others find
//! `WouldBlock`, which clears the flag and parks them again, keeping
//! their place for the next edge.

use std::os::fd::RawFd;
use std::task::{Context, Poll};
use std::{fmt, io};

use simul_reactor::{Event, Interest, Token};

use crate::runtime::{Core, Shared, current};
use crate::sync::{Arc, Ordering};
use crate::task::{WaitReason, Waiter, note_wait};

/// Which way a leaf future waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading or accepting.
    Read,
    /// Writing or connecting.
    Write,
}

/// What the runtime knows about one registered descriptor.
pub(crate) struct Source {
    /// Generation of the slot, part of the token: a stale event for a
    /// reused slot is ignored.
    generation: u32,
    /// Readable since the last `WouldBlock` (or unknown: true at first).
    readable: bool,
    /// Writable since the last `WouldBlock`.
    writable: bool,
    /// Some event said end-of-file, an error or urgent data is pending
    /// (or the backend cannot tell): from then on only `WouldBlock`
    /// clears `readable`, never a short read. Sticky, because end-of-file
    /// and errors are final and raise no later edge.
    reads_to_would_block: bool,
    /// Who waits to read.
    reader: Option<Waiter>,
    /// Who waits to write.
    writer: Option<Waiter>,
    /// Further tasks waiting to read beside `reader` (tasks sharing the
    /// socket; rare, so the usual single waiter needs no allocation).
    more_readers: Vec<Waiter>,
    /// Further tasks waiting to write beside `writer`.
    more_writers: Vec<Waiter>,
}

/// The runtime's table of registered descriptors.
#[derive(Default)]
pub(crate) struct IoSources {
    /// Sources by slot; `None` is free.
    slots: Vec<Option<Source>>,
    /// Free slots.
    free: Vec<usize>,
    /// Generation counter for new registrations.
    next_generation: u32,
}

impl IoSources {
    /// Whether any task waits on I/O (for deadlock detection).
    pub(crate) fn has_waiters(&self) -> bool {
        // `more_*` are only filled beside a `reader` or `writer`.
        self.slots.iter().flatten().any(|s| s.reader.is_some() || s.writer.is_some())
    }

    /// Whether any descriptor is registered (then the loop must look at
    /// the reactor even while tasks are ready, for fairness).
    pub(crate) fn is_empty(&self) -> bool {
        self.free.len() == self.slots.len()
    }

    /// Applies an event: sets ready flags and collects waiters to wake.
    pub(crate) fn dispatch(&mut self, event: &Event, woken: &mut Vec<Waiter>) {
        let token = event.token().0 as u64;
        let (slot, generation) = ((token & 0xffff_ffff) as usize, (token >> 32) as u32);
        let Some(Some(source)) = self.slots.get_mut(slot) else { return };
        if source.generation != generation {
            return;
        }
        let failed = event.is_error();
        if event.is_readable() || event.is_read_closed() || failed {
            source.readable = true;
            source.reads_to_would_block |= !event.short_read_drains();
            woken.extend(source.reader.take());
            woken.append(&mut source.more_readers);
        }
        if event.is_writable() || event.is_write_closed() || failed {
            source.writable = true;
            woken.extend(source.writer.take());
            woken.append(&mut source.more_writers);
        }
    }
}

/// A descriptor registered with the current runtime's reactor; dropping
/// it deregisters it.
pub(crate) struct Registration {
    /// The runtime's thread-local part.
    ///
    /// # Invariant
    /// Valid while `shared` is not closed: a runtime closes its shared
    /// part in its drop, before its core is freed, and a `Registration`
    /// (being `!Send`) is only used on the runtime's thread.
    core: *const Core,
    /// To know whether the runtime still exists.
    shared: Arc<Shared>,
    /// The descriptor.
    fd: RawFd,
    /// Slot in the runtime's table.
    slot: usize,
    /// The slot's generation at registration.
    generation: u32,
}

impl Registration {
    /// Registers `fd` with the current runtime, edge-triggered, both ways.
    ///
    /// # Errors
    ///
    /// `Other` when called outside a runtime; what the reactor says.
    pub(crate) fn new(fd: RawFd) -> io::Result<Registration> {
        Registration::with_interest(fd, Interest::BOTH)
    }

    /// Registers `fd` with the current runtime, edge-triggered, for
    /// `interest` only: for descriptors that go one way (a pipe end, a
    /// process's exit descriptor, a signal pipe), where kqueue would
    /// refuse a filter for the other way.
    ///
    /// # Errors
    ///
    /// As [`Registration::new`].
    pub(crate) fn with_interest(fd: RawFd, interest: Interest) -> io::Result<Registration> {
        let Some(core) = current() else {
            return Err(io::Error::other(
                "simul_future I/O needs a runtime: create sockets inside Runtime::block_on or a task",
            ));
        };
        let mut io = core.io.borrow_mut();
        let generation = io.next_generation;
        io.next_generation = io.next_generation.wrapping_add(1);
        let slot = match io.free.pop() {
            Some(slot) => slot,
            None => {
                io.slots.push(None);
                io.slots.len() - 1
            }
        };
        let token = Token(((u64::from(generation) << 32) | slot as u64) as usize);
        if let Err(e) = core.reactor.borrow().register(fd, token, interest) {
            io.free.push(slot);
            return Err(e);
        }
        io.slots[slot] = Some(Source {
            generation,
            readable: true,
            writable: true,
            reads_to_would_block: false,
            reader: None,
            writer: None,
            more_readers: Vec::new(),
            more_writers: Vec::new(),
        });
        Ok(Registration { core, shared: core.shared.clone(), fd, slot, generation })
    }

    /// The runtime's core, if the runtime still exists.
    fn core(&self) -> Option<&Core> {
        if self.shared.closed.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: not closed, so the core is alive (the field's
        // invariant), and we are on its thread (`!Send`).
        Some(unsafe { &*self.core })
    }

    /// Runs `op` once the descriptor may be ready in `direction`; on
    /// `WouldBlock`, remembers the task and returns `Pending`.
    ///
    /// # Errors
    ///
    /// What `op` returns; `Other` if the runtime is gone.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let Some(core) = self.core() else {
            return Poll::Ready(Err(io::Error::other("the runtime of this socket was dropped")));
        };
        loop {
            {
                let mut io = core.io.borrow_mut();
                let Some(Some(source)) = io.slots.get_mut(self.slot) else {
                    return Poll::Ready(Err(io::Error::other("socket registration lost")));
                };
                let (ready, waiter, more) = match direction {
                    Direction::Read => {
                        (source.readable, &mut source.reader, &mut source.more_readers)
                    }
                    Direction::Write => {
                        (source.writable, &mut source.writer, &mut source.more_writers)
                    }
                };
                if !ready {
                    // Kept beside, never instead of, another task's
                    // waiter: replacing it (as this once did) lost that
                    // task's wake-up, and a second task receiving on a
                    // shared socket stalled forever (reliability item 4,
                    // udp::two_receivers_on_one_socket_...). A task already
                    // kept is not kept twice.
                    match waiter {
                        None => *waiter = Some(Waiter::from_cx(cx)),
                        Some(w) if w.will_wake(cx) => {}
                        Some(_) if more.iter().any(|w| w.will_wake(cx)) => {}
                        Some(_) => more.push(Waiter::from_cx(cx)),
                    }
                    drop(io);
                    note_wait(cx, WaitReason::Io(self.fd, direction == Direction::Read));
                    return Poll::Pending;
                }
            }
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let mut io = core.io.borrow_mut();
                    if let Some(Some(source)) = io.slots.get_mut(self.slot) {
                        match direction {
                            Direction::Read => source.readable = false,
                            Direction::Write => source.writable = false,
                        }
                    }
                    // Loop: the flag is now clear, so this parks the task.
                }
                result => return Poll::Ready(result),
            }
        }
    }
}

impl Registration {
    /// [`poll_io`](Registration::poll_io) for a read of a **stream**
    /// socket into `len` bytes: a read that returns fewer (but some) bytes
    /// means the socket was empty, so the readiness flag is cleared and
    /// the next read parks at once instead of making the syscall that
    /// would return `WouldBlock`. Data arriving after the read raises a new
    /// edge, which sets the flag again; see the reactor's
    /// [Triggering](simul_reactor#triggering) docs for why, and for the
    /// cases (end-of-file, errors, urgent data, kqueue) in which the
    /// shortcut is not taken.
    ///
    /// # Errors
    ///
    /// As [`poll_io`](Registration::poll_io).
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let result = self.poll_io(cx, Direction::Read, op);
        if let Poll::Ready(Ok(n)) = result
            && n > 0
            && n < len
            && let Some(core) = self.core()
            && let Some(Some(source)) = core.io.borrow_mut().slots.get_mut(self.slot)
            && !source.reads_to_would_block
        {
            source.readable = false;
        }
        result
    }
}

impl Registration {
    /// [`poll_io`](Registration::poll_io) for a read into `buf`, as
    /// [`AsyncRead::poll_read`](crate::AsyncRead::poll_read) wants it: an
    /// empty `buf` gives `Ok(0)` at once, without waiting.
    ///
    /// # Errors
    ///
    /// As [`poll_io`](Registration::poll_io).
    pub(crate) fn poll_read_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_io(cx, Direction::Read, || read(buf))
    }

    /// [`poll_io`](Registration::poll_io) for a write of `buf`, as
    /// [`AsyncWrite::poll_write`](crate::AsyncWrite::poll_write) wants it:
    /// an empty `buf` gives `Ok(0)` at once, without waiting.
    ///
    /// # Errors
    ///
    /// As [`poll_io`](Registration::poll_io).
    pub(crate) fn poll_write_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        mut write: impl FnMut(&[u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_io(cx, Direction::Write, || write(buf))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(core) = self.core() else { return };
        // The descriptor is still open here (its owner drops it after
        // this field), so deregistering is valid; an error can only mean
        // it was never really registered, which nothing can act on.
        let _ = core.reactor.borrow().deregister(self.fd);
        let removed = {
            let mut io = core.io.borrow_mut();
            match io.slots.get_mut(self.slot) {
                Some(entry) if entry.as_ref().is_some_and(|s| s.generation == self.generation) => {
                    io.free.push(self.slot);
                    io.slots[self.slot].take()
                }
                _ => None,
            }
        };
        // Waiters dropped outside the borrow.
        drop(removed);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration").field("fd", &self.fd).finish_non_exhaustive()
    }
}
