//! [`Driver`]: the reactor and the table of registered descriptors,
//! shared between the [`Scheduler`](crate::Scheduler) and the socket
//! objects of [`net`](crate::net).
//!
//! ```text
//!   Scheduler ----Rc----+                 +----Rc---- net::TcpStream (Registration)
//!     poll, wait_fd,    |                 |             try_read / try_write: readiness bits
//!     dispatch events   v                 v             drop: deregister, orphan the waiters
//!                  +--------------------------+
//!                  | Driver                   |
//!                  |   reactor: RefCell       |  borrowed mutably only for poll,
//!                  |   sources: RefCell       |  when no coroutine runs
//!                  |   poller_updates: Cell   |
//!                  +--------------------------+
//! ```
//!
//! Why a shared handle and not a trap: a socket object must deregister
//! itself when it is dropped, and `Drop` cannot yield a command to the
//! scheduler; whatever the object holds must let it reach the reactor
//! synchronously. Once the object holds such a handle anyway, its reads
//! and writes use it too (to look at and clear its readiness bits)
//! without a round trip through the trampoline.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;

use simul_reactor::{Events, Instant, Interest, Reactor, Token};

use crate::net::Sources;

/// The reactor and the per-descriptor readiness table, behind one `Rc`.
pub(crate) struct Driver {
    /// Where the scheduler waits. Borrowed mutably only by
    /// [`poll`](Driver::poll), which runs between coroutine resumes, so
    /// the shared borrows of registration never meet it.
    reactor: RefCell<Reactor>,
    /// The descriptors registered once by their socket objects.
    pub(crate) sources: RefCell<Sources>,
    /// How many times the poller's registrations were changed.
    poller_updates: Cell<u64>,
    /// The scheduler was dropped: nobody polls the reactor any more.
    scheduler_gone: Cell<bool>,
}

impl Driver {
    /// A driver around `reactor`, with no descriptors.
    pub(crate) fn new(reactor: Reactor) -> Driver {
        Driver {
            reactor: RefCell::new(reactor),
            sources: RefCell::new(Sources::default()),
            poller_updates: Cell::new(0),
            scheduler_gone: Cell::new(false),
        }
    }

    /// The scheduler is being dropped: from now on its sockets' readiness
    /// bits would never change again.
    pub(crate) fn scheduler_dropped(&self) {
        self.scheduler_gone.set(true);
    }

    /// `Ok` while the scheduler lives; afterwards the error every socket
    /// operation gives.
    pub(crate) fn check_alive(&self, fd: RawFd) -> io::Result<()> {
        if self.scheduler_gone.get() {
            return Err(io::Error::other(format!(
                "the scheduler of fd {fd} was dropped: its sockets cannot be used any more"
            )));
        }
        Ok(())
    }

    /// [`Reactor::register`], counted.
    pub(crate) fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.count();
        self.reactor()?.register(fd, token, interest)
    }

    /// [`Reactor::reregister`], counted.
    pub(crate) fn reregister(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.count();
        self.reactor()?.reregister(fd, token, interest)
    }

    /// [`Reactor::deregister`], counted.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.count();
        self.reactor()?.deregister(fd)
    }

    /// Waits in the reactor: [`Reactor::poll`].
    pub(crate) fn poll(&self, events: &mut Events, deadline: Option<Instant>) -> io::Result<()> {
        let mut reactor = self.reactor.try_borrow_mut().map_err(|_| busy())?;
        reactor.poll(events, deadline)
    }

    /// How many register / reregister / deregister calls were made: one
    /// `epoll_ctl` (or `kevent` change) each.
    pub(crate) fn poller_updates(&self) -> u64 {
        self.poller_updates.get()
    }

    fn count(&self) {
        self.poller_updates.set(self.poller_updates.get() + 1);
    }

    fn reactor(&self) -> io::Result<std::cell::Ref<'_, Reactor>> {
        self.reactor.try_borrow().map_err(|_| busy())
    }
}

/// The reactor is in use: a registration from inside a poll, which the
/// scheduler never does.
fn busy() -> io::Error {
    io::Error::new(io::ErrorKind::ResourceBusy, "the scheduler's reactor is busy polling")
}
