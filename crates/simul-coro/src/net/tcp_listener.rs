//! [`TcpListener`]: a listening socket registered once with its scheduler.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use simul_reactor::net::TcpListener as RawListener;

use super::registration::Registration;
use super::sources::Direction;
use super::{IoHandle, TcpStream};

/// A non-blocking TCP listener, registered with its scheduler's reactor
/// once, when it is made, and deregistered when it is dropped; its
/// readiness is kept like a [`TcpStream`]'s. Accepted streams are
/// registered with the same scheduler. [`Accept`](super::Accept) is the
/// coroutine that waits for a connection.
///
/// Dropping it (or [`close`](TcpListener::close)) while a task waits on
/// its descriptor wakes that task with `ConnectionAborted`.
///
/// # Examples
///
/// ```
/// use simul_coro::net::TcpListener;
///
/// let s = simul_coro::Scheduler::<()>::new()?;
/// let listener = TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap())?;
/// let e = listener.try_accept().unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nobody connected
/// assert_ne!(listener.local_addr()?.port(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    /// Dropped first, so the descriptor leaves the poller before it closes.
    registration: Registration,
    /// The socket.
    inner: RawListener,
}

impl TcpListener {
    /// Binds to `addr` and listens, registered with the scheduler of `io`.
    ///
    /// # Errors
    ///
    /// What `bind(2)` / `listen(2)` say (`AddrInUse`, ...), or the reactor;
    /// an error if the scheduler of `io` was dropped.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub fn bind(io: &IoHandle, addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::from_reactor(io, RawListener::bind(addr)?)
    }

    /// Registers a listening socket with the scheduler of `io`.
    ///
    /// # Errors
    ///
    /// What the reactor says (`AlreadyExists` if the descriptor is
    /// registered already); an error if the scheduler of `io` was dropped
    /// (`inner` is then closed).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::net::TcpListener;
    ///
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let raw = simul_reactor::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let listener = TcpListener::from_reactor(&s.io_handle(), raw)?;
    /// # drop(listener);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_reactor(io: &IoHandle, inner: RawListener) -> io::Result<TcpListener> {
        let registration = Registration::new(&io.driver, inner.as_raw_fd())?;
        Ok(TcpListener { registration, inner })
    }

    /// Accepts a queued connection without waiting, registering the new
    /// stream; `WouldBlock` means wait with `Trap::Readable(fd)` (answered
    /// without a syscall while the readable bit is clear).
    ///
    /// # Errors
    ///
    /// `WouldBlock`; what `accept(2)` says (`EMFILE`: the connection stays
    /// queued, back off before retrying); what registering the new stream
    /// says (the connection is then closed); once the scheduler is
    /// dropped, an error saying so (see [`IoHandle`]).
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.registration.io(Direction::Read, || self.inner.accept())?;
        let io = IoHandle { driver: self.registration.driver().clone() };
        Ok((TcpStream::from_reactor(&io, stream)?, peer))
    }

    /// The address it is bound to (the real port when bound to port 0).
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Deregisters and closes the listener, like dropping it, but says
    /// whether deregistration worked. A task waiting on the descriptor is
    /// woken with `ConnectionAborted`.
    ///
    /// # Errors
    ///
    /// What the reactor's deregistration says; the listener is closed anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::net::TcpListener;
    ///
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let listener = TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap())?;
    /// listener.close()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(self) -> io::Result<()> {
        let TcpListener { registration, inner } = self;
        let result = registration.close();
        drop(inner);
        result
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("fd", &self.as_raw_fd()).finish()
    }
}
