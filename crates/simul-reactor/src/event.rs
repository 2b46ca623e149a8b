//! [`Event`] and [`Events`]: what one wait of the reactor found.

use std::fmt;

use crate::Token;
use crate::sys::{self, RawEvent, event};

/// One readiness event: which registration, and what became possible.
///
/// Under edge triggering (see the [crate docs](crate#triggering)) an event
/// says readiness *changed*; the owner should read or write until
/// `WouldBlock` before waiting again. On kqueue, readable and writable
/// readiness of one descriptor may arrive as two events with the same
/// token; on epoll they arrive as one. Code that handles each flag it sees
/// is correct on both.
///
/// # Examples
///
/// ```
/// use simul_reactor::{Events, Interest, Reactor, Token};
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use std::io::Write;
///
/// let mut reactor = Reactor::new()?;
/// let (mut a, b) = UnixStream::pair()?;
/// b.set_nonblocking(true)?;
/// reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE)?;
/// a.write_all(b"x")?;
/// let mut events = Events::with_capacity(8);
/// reactor.poll(&mut events, None)?;
/// let ev = events.iter().next().unwrap();
/// assert_eq!(ev.token(), Token(1));
/// assert!(ev.is_readable());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Event {
    /// The token given at registration.
    token: Token,
    /// `READABLE | WRITABLE | ERROR | READ_CLOSED | WRITE_CLOSED |
    /// SHORT_READ_DRAINS` bits.
    flags: u8,
}

const READABLE: u8 = 1;
const WRITABLE: u8 = 2;
const ERROR: u8 = 4;
const READ_CLOSED: u8 = 8;
const WRITE_CLOSED: u8 = 16;
const SHORT_READ_DRAINS: u8 = 32;

impl Event {
    pub(crate) fn from_raw(raw: &RawEvent) -> Event {
        let mut flags = 0;
        if event::is_readable(raw) {
            flags |= READABLE;
        }
        if event::is_writable(raw) {
            flags |= WRITABLE;
        }
        if event::is_error(raw) {
            flags |= ERROR;
        }
        if event::is_read_closed(raw) {
            flags |= READ_CLOSED;
        }
        if event::is_write_closed(raw) {
            flags |= WRITE_CLOSED;
        }
        if event::short_read_drains(raw) {
            flags |= SHORT_READ_DRAINS;
        }
        Event { token: event::token(raw), flags }
    }

    /// The token of the registration this event is for.
    ///
    /// # Examples
    /// See [`Event`].
    pub fn token(&self) -> Token {
        self.token
    }
    /// Reading can make progress (data, a connection to accept, or EOF).
    ///
    /// # Examples
    /// See [`Event`].
    pub fn is_readable(&self) -> bool {
        self.flags & READABLE != 0
    }
    /// Writing can make progress (buffer room, or a connect finished).
    ///
    /// # Examples
    /// See [`Event`].
    pub fn is_writable(&self) -> bool {
        self.flags & WRITABLE != 0
    }
    /// An error is pending on the descriptor (`SO_ERROR` says which).
    ///
    /// # Examples
    /// See [`Event`].
    pub fn is_error(&self) -> bool {
        self.flags & ERROR != 0
    }
    /// The peer will send no more: reads reach end-of-file once buffered
    /// data is consumed.
    ///
    /// # Examples
    /// See [`Event`].
    pub fn is_read_closed(&self) -> bool {
        self.flags & READ_CLOSED != 0
    }
    /// Writes can no longer succeed (hang-up, or a pending error).
    ///
    /// # Examples
    /// See [`Event`].
    pub fn is_write_closed(&self) -> bool {
        self.flags & WRITE_CLOSED != 0
    }
    /// Whether, after this event, a read from a **stream socket** that
    /// returns fewer bytes than its buffer holds may be taken to mean
    /// "drained", so the reader can wait again without the extra read that
    /// would return `WouldBlock` (see [Triggering](crate#triggering) for
    /// why this is sound and when it is not).
    ///
    /// `false` when the event also says the peer shut down or failed (the
    /// end-of-file or error raises no later edge, so read until you see
    /// it), when urgent (out-of-band) data is pending (a TCP read stops
    /// short at the urgent mark with data queued behind it), and always on
    /// kqueue, whose read filter does not report urgent data. When it is
    /// `false`, read until `WouldBlock` (or `Ok(0)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Events, Interest, Reactor, Token};
    /// use std::io::{Read, Write};
    /// use std::net::{Shutdown, TcpListener, TcpStream};
    /// use std::os::fd::AsRawFd;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut client = TcpStream::connect(listener.local_addr()?)?;
    /// let (mut server, _) = listener.accept()?;
    /// server.set_nonblocking(true)?;
    /// let mut reactor = Reactor::new()?;
    /// reactor.register(server.as_raw_fd(), Token(7), Interest::READABLE)?;
    /// client.write_all(b"ping")?;
    /// client.shutdown(Shutdown::Write)?;
    /// let mut events = Events::with_capacity(8);
    /// let mut buf = [0u8; 64];
    /// let mut got = Vec::new();
    /// loop {
    ///     reactor.poll(&mut events, None)?;
    ///     let Some(ev) = events.iter().next() else { continue };
    ///     if ev.short_read_drains() {
    ///         // Only data so far: one read, and a short one means empty.
    ///         let n = server.read(&mut buf)?;
    ///         got.extend_from_slice(&buf[..n]);
    ///         if n > 0 && n < buf.len() {
    ///             continue;
    ///         }
    ///     }
    ///     // End-of-file announced (or no shortcut here): read until it shows.
    ///     loop {
    ///         match server.read(&mut buf) {
    ///             Ok(0) => break,
    ///             Ok(n) => got.extend_from_slice(&buf[..n]),
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    ///     if ev.is_read_closed() {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(got, b"ping");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn short_read_drains(&self) -> bool {
        self.flags & SHORT_READ_DRAINS != 0
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("token", &self.token)
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("short_read_drains", &self.short_read_drains())
            .finish()
    }
}

/// A reusable buffer of events filled by [`Reactor::poll`](crate::Reactor::poll).
///
/// Its capacity bounds how many events one wait can return; events that
/// did not fit are returned by the next wait (nothing is lost).
///
/// # Examples
///
/// ```
/// use simul_reactor::Events;
/// let events = Events::with_capacity(256);
/// assert!(events.is_empty());
/// assert_eq!(events.capacity(), 256);
/// ```
pub struct Events {
    /// The kernel's event records, exactly as the selector filled them,
    /// minus the notifier's.
    raw: Vec<RawEvent>,
    /// Whether the notifier fired during the wait that filled `raw`.
    woken: bool,
}

impl Events {
    /// A buffer for up to `capacity` events per wait (at least one).
    ///
    /// # Examples
    /// See [`Events`].
    pub fn with_capacity(capacity: usize) -> Events {
        Events { raw: Vec::with_capacity(capacity.max(1)), woken: false }
    }

    /// The most events one wait can return.
    ///
    /// # Examples
    /// See [`Events`].
    pub fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    /// How many events the last wait returned.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(simul_reactor::Events::with_capacity(4).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the last wait returned no event.
    ///
    /// # Examples
    /// See [`Events`].
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Whether a [`Notifier`](crate::Notifier) woke the last wait. The
    /// scheduler should then look at whatever other threads hand it.
    ///
    /// # Examples
    /// ```
    /// use simul_reactor::{Events, Reactor};
    /// let mut reactor = Reactor::new()?;
    /// reactor.notifier().wake()?;
    /// let mut events = Events::with_capacity(8);
    /// reactor.poll(&mut events, None)?;
    /// assert!(events.woken() && events.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn woken(&self) -> bool {
        self.woken
    }

    /// The events of the last wait.
    ///
    /// # Examples
    /// See [`Event`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Event> + '_ {
        self.raw.iter().map(Event::from_raw)
    }

    /// Empties the buffer (the next wait does this too).
    ///
    /// # Examples
    /// ```
    /// let mut e = simul_reactor::Events::with_capacity(1);
    /// e.clear();
    /// assert!(e.is_empty() && !e.woken());
    /// ```
    pub fn clear(&mut self) {
        self.raw.clear();
        self.woken = false;
    }

    pub(crate) fn raw_mut(&mut self) -> &mut Vec<RawEvent> {
        &mut self.raw
    }

    /// Removes the notifier's records and remembers that it fired.
    /// Returns whether it did.
    pub(crate) fn take_notifier(&mut self) -> bool {
        let before = self.raw.len();
        self.raw.retain(|e| sys::event::token(e) != Token::NOTIFIER);
        if self.raw.len() != before {
            self.woken = true;
        }
        self.woken
    }

    pub(crate) fn set_woken(&mut self, woken: bool) {
        self.woken = woken;
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("events", &self.iter().collect::<Vec<_>>())
            .field("woken", &self.woken)
            .finish()
    }
}
