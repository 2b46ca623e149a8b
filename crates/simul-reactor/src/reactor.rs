//! [`Reactor`]: readiness from the OS, time from a clock, wake-ups from
//! other threads.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::trace::{self, TraceKind, Unit, Wait};
use crate::{Clock, Events, Instant, Interest, Notifier, Token, sys};

/// The reactor: the one place where a simul program waits.
///
/// A scheduler (the callback loop, the coroutine trampoline, the future
/// executor, the green-thread hub) runs everything that is ready, then
/// calls [`poll`](Reactor::poll) with the deadline of its earliest timer.
/// `poll` returns when a registered descriptor becomes ready, when a
/// [`Notifier`] is woken from another thread, or when the deadline comes.
///
/// ```text
///        +----------------------------- scheduler loop ------------------+
///        |                                                               |
///        v                                                               |
///   run ready work --> pop due timers --> poll(events, next deadline) ---+
///                                          |        |          |
///                                     fd ready   woken    deadline
/// ```
///
/// **Clocks.** Under [`Clock::real`], `poll` sleeps in the kernel until
/// the deadline, with nanosecond precision where the kernel offers it
/// (`epoll_pwait2`, kqueue's `timespec`) and never waking early. Under
/// [`Clock::new_virtual`], `poll` first asks the OS without blocking; if
/// nothing is ready it jumps the clock to the deadline and returns at once.
/// Registered but idle sockets do not stop virtual time. With no deadline
/// at all there is nothing to jump to, so even a virtual reactor then
/// blocks on the OS: only I/O or a notifier can make progress.
///
/// **Ownership.** The reactor owns its poller and its notifier's
/// descriptor and closes them when dropped; it never closes a registered
/// descriptor, which stays the caller's.
///
/// # Examples
///
/// ```
/// use simul_reactor::{Clock, Events, Reactor};
/// use std::time::Duration;
///
/// // Virtual time: a 12-hour wait returns at once, exactly 12 hours later.
/// let mut reactor = Reactor::with_clock(Clock::new_virtual())?;
/// let deadline = reactor.now() + Duration::from_secs(12 * 3600);
/// let mut events = Events::with_capacity(64);
/// reactor.poll(&mut events, Some(deadline))?;
/// assert_eq!(reactor.now(), deadline);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Reactor {
    /// epoll or kqueue.
    selector: sys::Selector,
    /// Wakes `selector` from other threads; its OS object is registered
    /// in `selector` under [`Token::NOTIFIER`].
    notifier: Notifier,
    /// Where time comes from.
    clock: Clock,
}

impl Reactor {
    /// A reactor on the real monotonic clock.
    ///
    /// # Errors
    ///
    /// What the OS says when creating the poller or the notifier (for
    /// example `EMFILE` when the process is out of descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = simul_reactor::Reactor::new()?;
    /// assert!(!reactor.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Reactor> {
        Reactor::with_clock(Clock::real())
    }

    /// A reactor on the given clock.
    ///
    /// # Errors
    ///
    /// As [`Reactor::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Clock, Reactor};
    /// let reactor = Reactor::with_clock(Clock::new_virtual())?;
    /// assert!(reactor.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_clock(clock: Clock) -> io::Result<Reactor> {
        let selector = sys::Selector::new()?;
        let waker = sys::Waker::new(&selector, Token::NOTIFIER)?;
        Ok(Reactor { selector, notifier: Notifier::new(waker), clock })
    }

    /// The reactor's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = simul_reactor::Reactor::new()?;
    /// let _t = r.clock().now();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current time on the reactor's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Clock, Instant, Reactor};
    /// let r = Reactor::with_clock(Clock::new_virtual())?;
    /// assert_eq!(r.now(), Instant::ZERO);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// A handle that wakes this reactor from any thread.
    ///
    /// # Examples
    /// See [`Notifier`].
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// Starts watching `fd` for `interest`; its events carry `token`.
    ///
    /// Registration is edge-triggered (see the [crate docs](crate#triggering)):
    /// after an event, read or write until `WouldBlock` before expecting
    /// another.
    ///
    /// # Errors
    ///
    /// * `InvalidInput`: `fd` is negative, is the reactor's own poller, or
    ///   `token` is [`Token::NOTIFIER`].
    /// * `AlreadyExists`: `fd` is registered already (use
    ///   [`reregister`](Reactor::reregister)).
    /// * `PermissionDenied` on Linux: `fd` is a regular file or directory,
    ///   which epoll cannot watch (they are always ready; read them
    ///   directly or on a worker thread).
    /// * Otherwise the OS error, e.g. `EBADF` for a closed descriptor.
    ///
    /// In every case an existing registration is left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Interest, Reactor, Token};
    /// use std::os::fd::AsRawFd;
    ///
    /// let reactor = Reactor::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// reactor.register(a.as_raw_fd(), Token(0), Interest::READABLE)?;
    /// let twice = reactor.register(a.as_raw_fd(), Token(0), Interest::READABLE);
    /// assert_eq!(twice.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// assert!(reactor.register(-1, Token(1), Interest::READABLE).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.check(fd, token)?;
        self.selector.register(fd, token, interest).map_err(|e| explain("register", fd, e))
    }

    /// Changes the token or interest of a registered `fd`, and re-arms it:
    /// if `fd` is ready now, the next poll reports it even without a new
    /// edge.
    ///
    /// # Errors
    ///
    /// As [`register`](Reactor::register), and `NotFound` when `fd` is not
    /// registered.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Interest, Reactor, Token};
    /// use std::os::fd::AsRawFd;
    ///
    /// let reactor = Reactor::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// reactor.register(a.as_raw_fd(), Token(0), Interest::READABLE)?;
    /// reactor.reregister(a.as_raw_fd(), Token(5), Interest::BOTH)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reregister(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.check(fd, token)?;
        self.selector.reregister(fd, token, interest).map_err(|e| explain("reregister", fd, e))
    }

    /// Stops watching `fd`. No event for it is returned by later polls.
    /// The descriptor itself stays open: it is the caller's.
    ///
    /// Deregister *before* closing a descriptor: the kernel forgets a
    /// closed descriptor by itself, but only once every duplicate of it is
    /// closed, and a scheduler that keeps state per token must drop it too.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a negative `fd`; `NotFound` when `fd` is not
    /// registered; otherwise the OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Interest, Reactor, Token};
    /// use std::os::fd::AsRawFd;
    ///
    /// let reactor = Reactor::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// reactor.register(a.as_raw_fd(), Token(0), Interest::READABLE)?;
    /// reactor.deregister(a.as_raw_fd())?;
    /// assert_eq!(reactor.deregister(a.as_raw_fd()).unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn deregister(&self, fd: RawFd) -> io::Result<()> {
        sys::check_fd(fd)?;
        self.selector.deregister(fd).map_err(|e| explain("deregister", fd, e))
    }

    fn check(&self, fd: RawFd, token: Token) -> io::Result<()> {
        sys::check_fd(fd)?;
        if fd == self.selector.raw_fd() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("fd {fd} is the reactor's own poller and cannot be registered in it"),
            ));
        }
        if token == Token::NOTIFIER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Token::NOTIFIER (usize::MAX) is reserved for the reactor's notifier",
            ));
        }
        Ok(())
    }

    /// Waits for readiness, a wake-up, or `deadline`, and fills `events`.
    ///
    /// * `deadline` is the scheduler's earliest timer, or `None` when it
    ///   has none. A deadline in the past makes a non-blocking check;
    ///   [`Instant::ZERO`] makes one without even reading the clock.
    /// * Real clock: blocks until an event, a wake or the deadline; never
    ///   returns before the deadline without an event. Timeouts below a
    ///   millisecond are honoured.
    /// * Virtual clock: checks the OS without blocking; if nothing is
    ///   ready and there is a deadline, the clock jumps to it and `poll`
    ///   returns with no events. Without a deadline it blocks on the OS.
    ///
    /// `EINTR` is retried here (with the remaining time recomputed); the
    /// caller never sees `Interrupted`.
    ///
    /// # Errors
    ///
    /// What the OS reports for the wait itself, which is not expected in
    /// a correct program.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Events, Reactor};
    /// use std::time::Duration;
    ///
    /// let mut reactor = Reactor::new()?;
    /// let mut events = Events::with_capacity(16);
    /// let start = reactor.now();
    /// let deadline = start + Duration::from_micros(200);
    /// reactor.poll(&mut events, Some(deadline))?;
    /// assert!(events.is_empty());
    /// assert!(reactor.now() >= deadline, "never early");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll(&mut self, events: &mut Events, deadline: Option<Instant>) -> io::Result<()> {
        if trace::enabled() {
            return self.poll_traced(events, deadline);
        }
        self.poll_inner(events, deadline)
    }

    /// [`poll`](Reactor::poll) while a trace recording runs: a poll that
    /// took time (a wait, or a virtual jump) is drawn on the loop's lane
    /// as [`Wait::Poll`]; an instant non-blocking look is not recorded.
    #[cold]
    fn poll_traced(&mut self, events: &mut Events, deadline: Option<Instant>) -> io::Result<()> {
        let start = self.clock.now();
        let result = self.poll_inner(events, deadline);
        let end = self.clock.now();
        let could_wait = self.clock.is_virtual() || deadline.is_none_or(|d| d > start);
        if end > start && could_wait {
            trace::record_at(start, Unit::LOOP, TraceKind::Suspended(Wait::Poll(deadline)));
            trace::record_at(end, Unit::LOOP, TraceKind::Running);
        }
        result
    }

    /// The wait itself.
    fn poll_inner(&mut self, events: &mut Events, deadline: Option<Instant>) -> io::Result<()> {
        let is_virtual = self.clock.is_virtual();
        // Under the virtual clock the first look at the OS never blocks.
        let mut block_virtual = false;
        loop {
            let timeout = if is_virtual {
                if block_virtual { None } else { Some(Duration::ZERO) }
            } else {
                match deadline {
                    // The non-blocking look: no need to read the clock
                    // (which costs more than the wait itself on some VMs).
                    Some(Instant::ZERO) => Some(Duration::ZERO),
                    Some(d) => Some(d.saturating_duration_since(self.clock.now())),
                    None => None,
                }
            };
            events.set_woken(false);
            match self.selector.select(events.raw_mut(), timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    events.raw_mut().clear();
                    continue;
                }
                Err(e) => return Err(e),
            }
            if events.take_notifier() {
                self.notifier.reset()?;
            }
            if !events.is_empty() || events.woken() {
                return Ok(());
            }
            match deadline {
                Some(d) if is_virtual => {
                    self.clock.advance_to(d)?;
                    return Ok(());
                }
                None if is_virtual => block_virtual = true,
                Some(_) if timeout == Some(Duration::ZERO) => return Ok(()),
                Some(d) if self.clock.now() >= d => return Ok(()),
                // Woke before the deadline with nothing to report: the
                // kernel's timer fired a hair early, or an event was
                // consumed by its notifier filter. Wait out the rest.
                _ => {}
            }
        }
    }
}

/// Rewrites an OS error from `op` on `fd` into one that says what went
/// wrong in the caller's terms, keeping its kind.
fn explain(op: &str, fd: RawFd, e: io::Error) -> io::Error {
    let why = match e.raw_os_error() {
        Some(libc::EEXIST) => "is already registered (use reregister to change it)",
        Some(libc::ENOENT) => "is not registered",
        Some(libc::EBADF) => "is not an open file descriptor",
        Some(libc::EPERM) => {
            "does not support readiness polling (regular files and directories are always ready)"
        }
        _ => return io::Error::new(e.kind(), format!("{op} fd {fd}: {e}")),
    };
    io::Error::new(e.kind(), format!("{op} fd {fd}: it {why} ({e})"))
}
