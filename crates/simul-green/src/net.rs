//! Blocking-looking sockets and pipes: the gevent idea, done with types.
//!
//! [`TcpListener`], [`TcpStream`], [`UdpSocket`] and [`pipe`] wrap the
//! non-blocking descriptors of [`simul_reactor::net`]. Each call tries the operation; when
//! the kernel says `WouldBlock`, the calling green thread parks on the
//! reactor ([`wait_fd`](crate::wait_fd)) and the hub runs others until the
//! socket is ready; then the call tries again. To the caller it looks like
//! a blocking call, so code written against `std::io::Read` and `Write`
//! (a `BufReader` line protocol, say) runs cooperatively, unchanged:
//!
//! ```
//! use simul_green::net::{TcpListener, TcpStream};
//! use std::io::{BufRead, BufReader, Write};
//!
//! let hub = simul_green::Hub::new()?;
//! let lines = hub.run(|| -> std::io::Result<Vec<String>> {
//!     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//!     let addr = listener.local_addr()?;
//!     let server = simul_green::spawn(move || -> std::io::Result<()> {
//!         let (mut conn, _) = listener.accept()?;       // parks until a client comes
//!         conn.write_all(b"hello\nworld\n")?;          // parks if the buffer is full
//!         Ok(())
//!     })?;
//!     let client = TcpStream::connect(addr)?;           // parks until connected
//!     // Plain std::io code, unaware of green threads:
//!     let lines = BufReader::new(client).lines().collect::<Result<Vec<_>, _>>()?;
//!     server.join().map_err(std::io::Error::from)??;
//!     Ok(lines)
//! })??;
//! assert_eq!(lines, ["hello", "world"]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Outside a hub every call that would have to wait returns an
//! `io::Error` saying so (`not inside a simul-green hub ...`) instead of
//! hanging; calls that can complete at once still do.
//!
//! One green thread at a time may wait on a given descriptor: a second
//! thread waiting on the same socket at the same moment gets
//! `AlreadyExists`. For a reader thread and a writer thread on one
//! connection, give each its own handle with [`TcpStream::try_clone`].

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use simul_reactor::Interest;
use simul_reactor::net as raw;

/// Retries `op` until it does not say `WouldBlock`, parking on `fd` for
/// `interest` in between.
fn retry<T>(fd: RawFd, interest: Interest, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => crate::wait_fd(fd, interest)?,
            other => return other,
        }
    }
}

/// A TCP server socket whose [`accept`](TcpListener::accept) parks the
/// green thread until a connection arrives.
///
/// # Examples
/// See the [module docs](self).
pub struct TcpListener {
    inner: raw::TcpListener,
}

impl TcpListener {
    /// Binds to `addr` (port 0: the OS picks one) and listens.
    ///
    /// # Errors
    ///
    /// What the OS says: `AddrInUse`, `PermissionDenied`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// let l = simul_green::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(l.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        Ok(TcpListener { inner: raw::TcpListener::bind(addr)? })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// # Errors
    ///
    /// What `accept(2)` reports; outside a hub, when no connection is
    /// queued, the "not inside a hub" error.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = retry(self.as_raw_fd(), Interest::READABLE, || self.inner.accept())?;
        Ok((TcpStream { inner: stream }, peer))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// See [`TcpListener::bind`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("fd", &self.as_raw_fd()).finish()
    }
}

/// A TCP connection whose `Read` and `Write` park the green thread while
/// the socket is not ready.
///
/// # Examples
/// See the [module docs](self).
pub struct TcpStream {
    inner: raw::TcpStream,
}

impl TcpStream {
    /// Connects to `addr`, parking until the handshake finishes.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused`, `TimedOut`, ... as the OS reports them; the
    /// "not inside a hub" error outside a hub if the connect did not
    /// finish at once.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let inner = raw::TcpStream::connect(addr)?;
        loop {
            if let Some(e) = inner.take_error()? {
                return Err(e);
            }
            match inner.peer_addr() {
                Ok(_) => return Ok(TcpStream { inner }),
                // Still connecting: writable means the handshake is over,
                // one way or the other.
                Err(e) if e.kind() == ErrorKind::NotConnected => {
                    crate::wait_fd(inner.as_raw_fd(), Interest::WRITABLE)?
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` and what `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::net::{TcpListener, TcpStream};
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    ///     let c = TcpStream::connect(l.local_addr()?)?;
    ///     assert_eq!(c.peer_addr()?, l.local_addr()?);
    ///     let (s, from) = l.accept()?;
    ///     assert_eq!(from, c.local_addr()?);
    ///     assert_eq!(s.local_addr()?, l.local_addr()?);
    ///     Ok(())
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// See [`TcpStream::peer_addr`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Shuts down reading, writing or both (`shutdown(2)`); the peer sees
    /// end-of-file after `Shutdown::Write`.
    ///
    /// # Errors
    ///
    /// What the OS reports, e.g. `NotConnected`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::net::{TcpListener, TcpStream};
    /// use std::io::Read;
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    ///     let c = TcpStream::connect(l.local_addr()?)?;
    ///     let (mut s, _) = l.accept()?;
    ///     c.shutdown(std::net::Shutdown::Write)?;
    ///     let mut rest = Vec::new();
    ///     assert_eq!(s.read_to_end(&mut rest)?, 0); // EOF, after parking
    ///     Ok(())
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// A second handle on the same connection, with its own descriptor
    /// (`dup`). Give one to a reading green thread and one to a writing
    /// one: each descriptor has its own registration, so both can wait at
    /// the same time.
    ///
    /// # Errors
    ///
    /// What `dup(2)` reports (`EMFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::net::{TcpListener, TcpStream};
    /// use std::io::{Read, Write};
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    ///     let mut c = TcpStream::connect(l.local_addr()?)?;
    ///     let (s, _) = l.accept()?;
    ///     let mut reader = s.try_clone()?;
    ///     let got = simul_green::spawn(move || {
    ///         let mut b = [0u8; 2];
    ///         reader.read_exact(&mut b).map(|_| b)
    ///     })?;
    ///     let mut writer = s;
    ///     writer.write_all(b"to client")?;
    ///     c.write_all(b"hi")?;
    ///     assert_eq!(&got.join().map_err(std::io::Error::from)??, b"hi");
    ///     Ok(())
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let fd = self.inner.as_fd().try_clone_to_owned()?;
        Ok(TcpStream { inner: raw::TcpStream::from_std(std::net::TcpStream::from(fd))? })
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::net::{TcpListener, TcpStream};
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    ///     let c = TcpStream::connect(l.local_addr()?)?;
    ///     c.set_nodelay(true)
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }
}

impl From<raw::TcpStream> for TcpStream {
    /// Wraps a reactor socket (for example one made with
    /// `simul_reactor::net::TcpStream::from_std`).
    fn from(inner: raw::TcpStream) -> TcpStream {
        TcpStream { inner }
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let inner = &self.inner;
        retry(inner.as_raw_fd(), Interest::READABLE, || (&*inner).read(&mut *buf))
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = &self.inner;
        retry(inner.as_raw_fd(), Interest::WRITABLE, || (&*inner).write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // nothing is buffered in user space
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream").field("fd", &self.as_raw_fd()).finish()
    }
}

/// A UDP socket whose receives (and, rarely, sends) park the green thread.
///
/// # Examples
///
/// ```
/// use simul_green::net::UdpSocket;
///
/// let hub = simul_green::Hub::new()?;
/// hub.run(|| -> std::io::Result<()> {
///     let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///     let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///     let to = b.local_addr()?;
///     let receiver = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
///         let mut buf = [0u8; 64];
///         let (n, _) = b.recv_from(&mut buf)?; // parks until the datagram comes
///         Ok(buf[..n].to_vec())
///     })?;
///     simul_green::yield_now()?; // the receiver parks first
///     a.send_to(b"ping", to)?;
///     assert_eq!(receiver.join().map_err(std::io::Error::from)??, b"ping");
///     Ok(())
/// })??;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: raw::UdpSocket,
}

impl UdpSocket {
    /// Binds to `addr`.
    ///
    /// # Errors
    ///
    /// What the OS says (`AddrInUse`, ...).
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        Ok(UdpSocket { inner: raw::UdpSocket::bind(addr)? })
    }

    /// Sends one datagram to `target`.
    ///
    /// # Errors
    ///
    /// What `sendto(2)` reports (`EMSGSIZE` for an oversize datagram).
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        retry(self.as_raw_fd(), Interest::WRITABLE, || self.inner.send_to(buf, target))
    }

    /// Receives one datagram, parking until one arrives.
    ///
    /// # Errors
    ///
    /// What `recvfrom(2)` reports.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        retry(self.as_raw_fd(), Interest::READABLE, || self.inner.recv_from(&mut *buf))
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket").field("fd", &self.as_raw_fd()).finish()
    }
}

/// Makes a pipe whose ends park the green thread instead of blocking: the
/// reader until data (or end-of-file) arrives, the writer while the pipe
/// is full.
///
/// # Errors
///
/// What `pipe(2)` reports (`EMFILE`).
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
///
/// let hub = simul_green::Hub::new()?;
/// let got = hub.run(|| -> std::io::Result<usize> {
///     let (mut reader, mut writer) = simul_green::net::pipe()?;
///     // 1 MiB does not fit in a pipe (64 KiB on Linux): the writer parks
///     // whenever it is full and the reader drains it.
///     let w = simul_green::spawn(move || writer.write_all(&vec![1u8; 1 << 20]))?;
///     let mut all = Vec::new();
///     reader.read_to_end(&mut all)?; // EOF once the writer is dropped
///     w.join().map_err(std::io::Error::from)??;
///     Ok(all.len())
/// })??;
/// assert_eq!(got, 1 << 20);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn pipe() -> io::Result<(PipeReader, PipeWriter)> {
    let (r, w) = raw::pipe()?;
    Ok((PipeReader { inner: r }, PipeWriter { inner: w }))
}

/// The read end of a [`pipe`].
///
/// # Examples
/// See [`pipe`].
pub struct PipeReader {
    inner: raw::PipeReader,
}

/// The write end of a [`pipe`].
///
/// # Examples
/// See [`pipe`].
pub struct PipeWriter {
    inner: raw::PipeWriter,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let inner = &self.inner;
        retry(inner.as_raw_fd(), Interest::READABLE, || (&*inner).read(&mut *buf))
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = &self.inner;
        retry(inner.as_raw_fd(), Interest::WRITABLE, || (&*inner).write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for PipeReader {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsRawFd for PipeWriter {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeReader").field("fd", &self.as_raw_fd()).finish()
    }
}

impl fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeWriter").field("fd", &self.as_raw_fd()).finish()
    }
}
