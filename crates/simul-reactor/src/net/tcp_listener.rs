//! [`TcpListener`]: a non-blocking TCP server socket.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use super::TcpStream;
use crate::sys::socket;

/// How many finished handshakes the kernel queues for [`TcpListener::bind`]
/// before refusing (or dropping) new ones. The kernel may cap it
/// (`net.core.somaxconn` on Linux).
pub(crate) const DEFAULT_BACKLOG: u32 = 1024;

/// A non-blocking TCP listener.
///
/// [`accept`](TcpListener::accept) returns at once: a connection if one
/// is queued, `WouldBlock` if not. Register the listener for
/// [`Interest::READABLE`](crate::Interest::READABLE); on each readable
/// event accept **until `WouldBlock`** (several connections may be behind
/// one edge). Accepted streams are non-blocking and close-on-exec.
///
/// # Examples
///
/// ```
/// use simul_reactor::net::{TcpListener, TcpStream};
/// use simul_reactor::{Events, Interest, Reactor, Token};
/// use std::io::ErrorKind;
/// use std::os::fd::AsRawFd;
///
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let addr = listener.local_addr()?;
/// let _clients = [TcpStream::connect(addr)?, TcpStream::connect(addr)?];
///
/// let mut reactor = Reactor::new()?;
/// reactor.register(listener.as_raw_fd(), Token(0), Interest::READABLE)?;
/// let mut events = Events::with_capacity(8);
/// let mut accepted = Vec::new();
/// while accepted.len() < 2 {
///     reactor.poll(&mut events, None)?;
///     loop {
///         match listener.accept() {
///             Ok((stream, _peer)) => accepted.push(stream),
///             Err(e) if e.kind() == ErrorKind::WouldBlock => break, // wait again
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    /// The socket.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec, listening `SOCK_STREAM` socket of
    /// family `AF_INET` or `AF_INET6`, owned by this value alone.
    fd: OwnedFd,
}

impl TcpListener {
    /// Binds to `addr` and listens, with a backlog of 1024.
    ///
    /// `SO_REUSEADDR` is set, so a server restarted while old connections
    /// sit in `TIME_WAIT` can bind its port again; it does not let two
    /// live listeners share a port. Port 0 picks a free port: read it back
    /// with [`local_addr`](TcpListener::local_addr).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when another socket listens on the port;
    /// `AddrNotAvailable` for an address that is not local; otherwise what
    /// `socket(2)`, `bind(2)` or `listen(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpListener;
    ///
    /// let first = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let taken = TcpListener::bind(first.local_addr()?);
    /// assert_eq!(taken.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::bind_with_backlog(addr, DEFAULT_BACKLOG)
    }

    /// Binds to `addr` and listens with the given backlog (clamped to what
    /// a C `int` holds; the kernel caps it further).
    ///
    /// # Errors
    ///
    /// As [`bind`](TcpListener::bind).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpListener;
    ///
    /// let listener = TcpListener::bind_with_backlog("[::1]:0".parse().unwrap(), 16);
    /// # // A machine without IPv6 on loopback cannot bind ::1.
    /// # let Ok(listener) = listener else { return Ok(()) };
    /// assert!(listener.local_addr()?.is_ipv6());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_with_backlog(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
        let fd = socket::socket(socket::domain_of(&addr), libc::SOCK_STREAM)?;
        socket::set_int_opt(fd.as_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        socket::bind(fd.as_fd(), &addr)?;
        let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
        socket::listen(fd.as_fd(), backlog)?;
        Ok(TcpListener { fd })
    }

    /// Adopts a `std` listener, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// What the OS says when setting the socket's flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpListener;
    ///
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let listener = TcpListener::from_std(std_listener)?;
    /// assert_eq!(listener.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let fd = OwnedFd::from(listener);
        socket::adopt(fd.as_fd())?;
        Ok(TcpListener { fd })
    }

    /// Turns the listener into a `std` one. It stays non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let addr = listener.local_addr()?;
    /// assert_eq!(listener.into_std().local_addr()?, addr);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::TcpListener {
        std::net::TcpListener::from(self.fd)
    }

    /// Accepts one queued connection: the new stream and its peer's address.
    ///
    /// # Errors
    ///
    /// * `WouldBlock`: no connection is queued; wait for readable.
    /// * `EMFILE`/`ENFILE` (process or system out of descriptors): the
    ///   connection stays queued and the listener stays readable, so a
    ///   loop that retries at once spins. Back off (a timer) or free a
    ///   descriptor first.
    /// * `ConnectionAborted`: a queued connection was reset before we
    ///   took it; simply accept again.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (fd, peer) = socket::accept(self.fd.as_fd())?;
        Ok((TcpStream::from_fd(fd), peer))
    }

    /// The address the listener is bound to (with the real port when it
    /// was bound to port 0).
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.fd.as_fd())
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// An error reading the option; the socket's own error is the
    /// `Ok(Some(..))` value.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// assert!(listener.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        d.field("fd", &self.fd.as_raw_fd());
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        d.finish()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<TcpListener> for OwnedFd {
    fn from(listener: TcpListener) -> OwnedFd {
        listener.fd
    }
}
