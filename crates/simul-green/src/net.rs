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
//! Each object registers its descriptor with the hub's reactor the first
//! time it has to wait, for the direction it waits for (edge-triggered),
//! widens the registration to both directions the first time it waits
//! for the other one, and stays registered until it is dropped: after
//! that a wait costs no `epoll_ctl` ([`Hub::poller_updates`](crate::Hub::poller_updates)
//! counts them). A
//! reader and a writer may wait on one object at the same time (`Read`
//! and `Write` are implemented for `&TcpStream`, so share it with an
//! `Rc`), or each on its own handle from [`TcpStream::try_clone`].

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use simul_reactor::Interest;
use simul_reactor::net as raw;

use crate::hub::with_current;
use crate::registry::Registration;

/// Retries `op` until it does not say `WouldBlock`, parking on `fd` for
/// `interest` in between. `reg` is the registration of the object that
/// owns `fd`: it stays registered across the waits.
fn retry<T>(
    fd: RawFd,
    reg: &Registration,
    interest: Interest,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => wait(fd, reg, interest)?,
            other => return other,
        }
    }
}

/// [`retry`] for a read into a buffer of `len` bytes: skips the read
/// system call while the hub knows `fd` to be drained, and tells the hub
/// when a short read drains it (see `Inner::read_drained`).
fn read_retry(
    fd: RawFd,
    reg: &Registration,
    len: usize,
    mut op: impl FnMut() -> io::Result<usize>,
) -> io::Result<usize> {
    // Outside a hub there is nothing to skip or record: `retry`'s wait
    // gives the error.
    if !with_current(|hub| hub.may_read(fd, reg)).unwrap_or(true) {
        wait(fd, reg, Interest::READABLE)?;
    }
    let n = retry(fd, reg, Interest::READABLE, &mut op)?;
    if n > 0 && n < len {
        let _ = with_current(|hub| hub.read_drained(fd, reg));
    }
    Ok(n)
}

/// Parks until `fd`, owned by the object of `reg`, is ready for
/// `interest` (after a `WouldBlock`).
fn wait(fd: RawFd, reg: &Registration, interest: Interest) -> io::Result<()> {
    with_current(|hub| hub.wait_io(fd, interest, Some(reg)))?
}

/// Deregisters the descriptor of a dropped object from the hub running
/// here, if it registered it. Dropped elsewhere (after `run`, or on
/// another thread), the descriptor is closed without this; the hub then
/// recognises its entry as stale if the number comes back.
fn release(fd: RawFd, reg: &Registration) {
    let _ = with_current(|hub| hub.release_fd(fd, reg));
}

/// `Drop` for a net type: releases its registration before its
/// descriptor closes.
macro_rules! release_on_drop {
    ($($ty:ty),*) => {$(
        impl Drop for $ty {
            fn drop(&mut self) {
                release(self.as_raw_fd(), &self.reg);
            }
        }
    )*};
}

release_on_drop!(TcpListener, TcpStream, UdpSocket, PipeReader, PipeWriter);

/// A TCP server socket whose [`accept`](TcpListener::accept) parks the
/// green thread until a connection arrives.
///
/// # Examples
/// See the [module docs](self).
pub struct TcpListener {
    /// The non-blocking descriptor.
    inner: raw::TcpListener,
    /// Its entry in the hub's registry, once it waited.
    reg: Registration,
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
        Ok(TcpListener { inner: raw::TcpListener::bind(addr)?, reg: Registration::default() })
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
        let (stream, peer) =
            retry(self.as_raw_fd(), &self.reg, Interest::READABLE, || self.inner.accept())?;
        Ok((TcpStream::from(stream), peer))
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
    /// The non-blocking descriptor.
    inner: raw::TcpStream,
    /// Its entry in the hub's registry, once it waited.
    reg: Registration,
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
        let stream = TcpStream::from(raw::TcpStream::connect(addr)?);
        loop {
            if let Some(e) = stream.inner.take_error()? {
                return Err(e);
            }
            match stream.inner.peer_addr() {
                Ok(_) => return Ok(stream),
                // Still connecting: writable means the handshake is over,
                // one way or the other.
                Err(e) if e.kind() == ErrorKind::NotConnected => {
                    wait(stream.as_raw_fd(), &stream.reg, Interest::WRITABLE)?
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
    /// (`dup`) and its own registration. Give one to a reading green
    /// thread and one to a writing one (sharing one handle through an
    /// `Rc` works too).
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
        Ok(TcpStream::from(raw::TcpStream::from_std(std::net::TcpStream::from(fd))?))
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
        TcpStream { inner, reg: Registration::default() }
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // nothing is buffered in user space
    }
}

/// Reading through a shared reference, like `std`'s `&TcpStream`: a
/// reader and a writer green thread may share one stream (an `Rc`) and
/// wait on it at the same time, each for its own direction.
///
/// # Examples
///
/// ```
/// use simul_green::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
/// use std::rc::Rc;
///
/// let hub = simul_green::Hub::new()?;
/// hub.run(|| -> std::io::Result<()> {
///     let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let mut peer = TcpStream::connect(l.local_addr()?)?;
///     let conn = Rc::new(l.accept()?.0);
///     let reader = conn.clone();
///     let got = simul_green::spawn(move || {
///         let mut b = [0u8; 4];
///         (&*reader).read_exact(&mut b).map(|_| b) // parks for reading...
///     })?;
///     simul_green::yield_now()?;
///     (&*conn).write_all(b"ping")?; // ...while the same stream writes
///     let mut echo = [0u8; 4];
///     peer.read_exact(&mut echo)?;
///     peer.write_all(&echo)?;
///     assert_eq!(&got.join().map_err(std::io::Error::from)??, b"ping");
///     Ok(())
/// })??;
/// # Ok::<(), std::io::Error>(())
/// ```
impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (inner, len) = (&self.inner, buf.len());
        read_retry(inner.as_raw_fd(), &self.reg, len, || (&*inner).read(&mut *buf))
    }
}

/// Writing through a shared reference; see [`Read for &TcpStream`](#impl-Read-for-%26TcpStream).
impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = &self.inner;
        retry(inner.as_raw_fd(), &self.reg, Interest::WRITABLE, || (&*inner).write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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
    /// The non-blocking descriptor.
    inner: raw::UdpSocket,
    /// Its entry in the hub's registry, once it waited.
    reg: Registration,
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
        Ok(UdpSocket { inner: raw::UdpSocket::bind(addr)?, reg: Registration::default() })
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
        retry(self.as_raw_fd(), &self.reg, Interest::WRITABLE, || self.inner.send_to(buf, target))
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
        retry(self.as_raw_fd(), &self.reg, Interest::READABLE, || self.inner.recv_from(&mut *buf))
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
    Ok((
        PipeReader { inner: r, reg: Registration::default() },
        PipeWriter { inner: w, reg: Registration::default() },
    ))
}

/// The read end of a [`pipe`].
///
/// # Examples
/// See [`pipe`].
pub struct PipeReader {
    /// The non-blocking descriptor.
    inner: raw::PipeReader,
    /// Its entry in the hub's registry, once it waited.
    reg: Registration,
}

/// The write end of a [`pipe`].
///
/// # Examples
/// See [`pipe`].
pub struct PipeWriter {
    /// The non-blocking descriptor.
    inner: raw::PipeWriter,
    /// Its entry in the hub's registry, once it waited.
    reg: Registration,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (inner, len) = (&self.inner, buf.len());
        read_retry(inner.as_raw_fd(), &self.reg, len, || (&*inner).read(&mut *buf))
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = &self.inner;
        retry(inner.as_raw_fd(), &self.reg, Interest::WRITABLE, || (&*inner).write(buf))
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
