//! [`UnixStream`] and [`UnixListener`]: stream sockets named by a path.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use super::tcp_listener::DEFAULT_BACKLOG;
use crate::sys::socket;

/// A non-blocking Unix-domain stream socket: TCP's behaviour (a byte
/// stream, `WouldBlock`, EOF, half-close, no `SIGPIPE`) between processes
/// on one machine, addressed by a filesystem path.
///
/// # Examples
///
/// ```
/// use simul_reactor::net::UnixStream;
/// use std::io::{Read, Write};
/// # use simul_reactor::{Events, Interest, Reactor, Token};
/// # fn ready(fd: &impl std::os::fd::AsRawFd, interest: Interest) -> std::io::Result<()> {
/// #     let mut reactor = Reactor::new()?;
/// #     reactor.register(fd.as_raw_fd(), Token(0), interest)?;
/// #     let mut events = Events::with_capacity(4);
/// #     while events.is_empty() { reactor.poll(&mut events, None)?; }
/// #     Ok(())
/// # }
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"over")?;
/// ready(&b, Interest::READABLE)?; // `ready` waits with a Reactor
/// let mut buf = [0u8; 8];
/// let n = b.read(&mut buf)?;
/// assert_eq!(&buf[..n], b"over");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    /// The socket.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec `AF_UNIX` `SOCK_STREAM` socket,
    /// owned by this value alone.
    fd: OwnedFd,
}

impl UnixStream {
    /// Connects to the listener bound at `path`.
    ///
    /// A Unix-domain connect completes (or fails) inside the call on
    /// Linux and macOS; where it does not, the protocol is the same as
    /// [`TcpStream::connect`](super::TcpStream::connect)'s.
    ///
    /// # Errors
    ///
    /// * `NotFound`: nothing exists at `path`.
    /// * `ConnectionRefused`: the path exists but nobody listens there
    ///   (a stale socket file).
    /// * `WouldBlock` (Linux): the listener's backlog is full; nothing has
    ///   started, so try again later with a new call.
    /// * `InvalidInput`: `path` is too long for `sockaddr_un` (about 100
    ///   bytes) or contains a NUL byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("simul-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("connect.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let stream = UnixStream::connect(&path)?;
    /// assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// let missing = UnixStream::connect(dir.join("nobody-here.sock"));
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # drop(listener);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        socket::connect_unix(fd.as_fd(), path.as_ref())?;
        Ok(UnixStream { fd })
    }

    /// Two connected, unnamed sockets: a cheap bidirectional channel
    /// (between threads, or to a child process).
    ///
    /// # Errors
    ///
    /// What `socketpair(2)` says (for example `EMFILE`).
    ///
    /// # Examples
    /// See [`UnixStream`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socket::socketpair(libc::AF_UNIX, libc::SOCK_STREAM)?;
        Ok((UnixStream { fd: a }, UnixStream { fd: b }))
    }

    /// Adopts a `std` stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// What the OS says when setting the socket's flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UnixStream;
    ///
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = UnixStream::from_std(a)?;
    /// let mut buf = [0u8; 1];
    /// assert_eq!(std::io::Read::read(&mut &a, &mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        let fd = OwnedFd::from(stream);
        socket::adopt(fd.as_fd())?;
        Ok(UnixStream { fd })
    }

    /// Turns the stream into a `std` one. It stays non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = simul_reactor::net::UnixStream::pair()?;
    /// let a = a.into_std();
    /// a.set_nonblocking(false)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::os::unix::net::UnixStream {
        std::os::unix::net::UnixStream::from(self.fd)
    }

    /// The local address (usually unnamed for a connecting socket).
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = simul_reactor::net::UnixStream::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::unix_local_addr(self.fd.as_fd())
    }

    /// The peer's address (the listener's path, for a connected client).
    ///
    /// # Errors
    ///
    /// `NotConnected` if not connected; otherwise what `getpeername(2)` says.
    ///
    /// # Examples
    /// See [`UnixStream::connect`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        socket::unix_peer_addr(self.fd.as_fd())
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
    /// let (a, _b) = simul_reactor::net::UnixStream::pair()?;
    /// assert!(a.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }

    /// Shuts down reading, writing, or both; `Shutdown::Write` is a
    /// half-close (the peer reads EOF and can still write back).
    ///
    /// # Errors
    ///
    /// `NotConnected` when not connected.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UnixStream;
    /// use std::io::{Read, Write};
    /// use std::net::Shutdown;
    ///
    /// let (mut a, mut b) = UnixStream::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// // A Unix socket delivers the EOF inside the call: no wait needed.
    /// assert_eq!(b.read(&mut [0u8; 4])?, 0);
    /// b.write_all(b"still")?; // the other direction is open
    /// assert_eq!(a.read(&mut [0u8; 8])?, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        socket::shutdown(self.fd.as_fd(), how)
    }
}

/// Reads what has arrived: `Ok(0)` is end of file, `WouldBlock` nothing yet.
impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        socket::recv(self.fd.as_fd(), buf, 0)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        socket::readv(self.fd.as_fd(), bufs)
    }
}

/// Writes what fits (possibly partially); never raises `SIGPIPE`.
impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        socket::send(self.fd.as_fd(), buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        socket::sendmsg(self.fd.as_fd(), bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixStream");
        d.field("fd", &self.fd.as_raw_fd());
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(addr) = self.peer_addr() {
            d.field("peer", &addr);
        }
        d.finish()
    }
}

/// A non-blocking Unix-domain listener bound to a path.
///
/// Binding creates the socket file; dropping the listener does **not**
/// remove it (the kernel never does), and binding over an existing file
/// fails with `AddrInUse`. Remove the file yourself when done.
///
/// # Examples
///
/// ```
/// use simul_reactor::net::{UnixListener, UnixStream};
/// use std::io::{Read, Write};
/// # use simul_reactor::{Events, Interest, Reactor, Token};
/// # fn ready(fd: &impl std::os::fd::AsRawFd, interest: Interest) -> std::io::Result<()> {
/// #     let mut reactor = Reactor::new()?;
/// #     reactor.register(fd.as_raw_fd(), Token(0), interest)?;
/// #     let mut events = Events::with_capacity(4);
/// #     while events.is_empty() { reactor.poll(&mut events, None)?; }
/// #     Ok(())
/// # }
///
/// let dir = std::env::temp_dir().join(format!("simul-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut client = UnixStream::connect(&path)?;
/// ready(&listener, Interest::READABLE)?;
/// let (mut server, _addr) = listener.accept()?;
/// client.write_all(b"hi")?;
/// ready(&server, Interest::READABLE)?;
/// let mut buf = [0u8; 2];
/// server.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    /// The socket.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec, listening `AF_UNIX` `SOCK_STREAM`
    /// socket, owned by this value alone.
    fd: OwnedFd,
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it (backlog 1024).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when a file exists at `path` (even a stale socket);
    /// `InvalidInput` for a path that is too long or contains NUL;
    /// otherwise what `socket(2)`, `bind(2)` or `listen(2)` says.
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        socket::bind_unix(fd.as_fd(), path.as_ref())?;
        socket::listen(fd.as_fd(), DEFAULT_BACKLOG as libc::c_int)?;
        Ok(UnixListener { fd })
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
    /// use simul_reactor::net::UnixListener;
    ///
    /// let path = std::env::temp_dir().join(format!("simul-doc-std-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path)?)?;
    /// assert_eq!(listener.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// let _std = listener.into_std();
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        let fd = OwnedFd::from(listener);
        socket::adopt(fd.as_fd())?;
        Ok(UnixListener { fd })
    }

    /// Turns the listener into a `std` one. It stays non-blocking.
    ///
    /// # Examples
    /// See [`UnixListener::from_std`].
    pub fn into_std(self) -> std::os::unix::net::UnixListener {
        std::os::unix::net::UnixListener::from(self.fd)
    }

    /// Accepts one queued connection: the stream and the client's address
    /// (usually unnamed).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued; `EMFILE` as for
    /// [`TcpListener::accept`](super::TcpListener::accept);
    /// `ConnectionAborted` when the client left before it was accepted
    /// (accept again).
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let stream = UnixStream { fd: socket::accept_unix(self.fd.as_fd())? };
        // The address is read back from the new socket (std's address type
        // cannot be built from raw bytes). A client that vanished in
        // between is reported as the aborted connection it is.
        match stream.peer_addr() {
            Ok(addr) => Ok((stream, addr)),
            Err(e) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                format!("the client left before its connection was accepted ({e})"),
            )),
        }
    }

    /// The path the listener is bound to.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UnixListener;
    ///
    /// let path = std::env::temp_dir().join(format!("simul-doc-addr-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::unix_local_addr(self.fd.as_fd())
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// An error reading the option.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UnixListener;
    ///
    /// let path = std::env::temp_dir().join(format!("simul-doc-err-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// assert!(listener.take_error()?.is_none());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixListener");
        d.field("fd", &self.fd.as_raw_fd());
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        d.finish()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<UnixStream> for OwnedFd {
    fn from(stream: UnixStream) -> OwnedFd {
        stream.fd
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<UnixListener> for OwnedFd {
    fn from(listener: UnixListener) -> OwnedFd {
        listener.fd
    }
}
