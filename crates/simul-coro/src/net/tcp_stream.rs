//! [`TcpStream`]: a TCP connection registered once with its scheduler.

use std::fmt;
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use simul_reactor::net::TcpStream as RawStream;

use super::IoHandle;
use super::registration::Registration;
use super::sources::Direction;

/// A non-blocking TCP connection whose descriptor is registered with its
/// scheduler's reactor once, edge-triggered for both directions, when the
/// stream is made (by [`Accept`](super::Accept), [`Connect`](super::Connect)
/// or [`from_reactor`](TcpStream::from_reactor)), and deregistered when it
/// is dropped.
///
/// The scheduler keeps the stream's readiness: a readable and a writable
/// bit, set by events and cleared by [`try_read`](TcpStream::try_read) /
/// [`try_write`](TcpStream::try_write) when the socket says `WouldBlock`
/// (and by a short read, which proves the receive queue empty). So:
///
/// * a `try_read` while the bit is clear answers `WouldBlock` without a
///   syscall, and `Trap::Readable(stream.as_raw_fd())` then waits for the
///   next event, with no `epoll_ctl` (the registration stays as it is);
/// * a `Trap::Readable` while the bit is set is answered at once: data
///   that arrived while nobody waited is not lost.
///
/// Read and write through these methods (or the [`Read`](super::Read) and
/// [`WriteAll`](super::WriteAll) coroutines), not by reading the
/// descriptor behind the stream's back: only they clear the bits, and a
/// wait on a set bit never sleeps.
///
/// Dropping the stream (or [`close`](TcpStream::close)) while another
/// task waits on its descriptor wakes that task with
/// `ConnectionAborted`. One reader and one writer may wait at once.
///
/// # Examples
///
/// ```
/// use simul_coro::net::{Accept, Connect, Read, TcpListener, WriteAll};
/// use simul_coro::{Coroutine, Scheduler};
/// use std::rc::Rc;
///
/// let mut s = Scheduler::<Vec<u8>>::new()?;
/// let io = s.io_handle();
/// let listener = Rc::new(TcpListener::bind(&io, "127.0.0.1:0".parse().unwrap())?);
/// let addr = listener.local_addr()?;
/// s.spawn(Connect::new(&io, addr).and_then(|r| {
///     WriteAll::new(Rc::new(r.expect("connect")), b"Nf3".to_vec())
/// }).map_return(|_| Vec::new()));
/// let got = s.run(Accept::new(listener).and_then(|r| {
///     Read::new(Rc::new(r.expect("accept").0), 16)
/// }).map_return(|r| r.expect("read")))?;
/// assert_eq!(got, b"Nf3");
/// // Listener, client and server stream: registered once each, whatever
/// // the waits, and deregistered when their tasks dropped them.
/// assert_eq!(s.poller_updates(), 3 + 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TcpStream {
    /// Dropped first, so the descriptor leaves the poller before it closes.
    registration: Registration,
    /// The socket.
    inner: RawStream,
}

impl TcpStream {
    /// Registers a connected (or connecting) non-blocking stream with the
    /// scheduler of `io`.
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
    /// use simul_coro::net::TcpStream;
    ///
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let raw = simul_reactor::net::TcpStream::connect(l.local_addr()?)?;
    /// let stream = TcpStream::from_reactor(&s.io_handle(), raw)?;
    /// assert_eq!(stream.peer_addr()?, l.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_reactor(io: &IoHandle, inner: RawStream) -> io::Result<TcpStream> {
        let registration = Registration::new(&io.driver, inner.as_raw_fd())?;
        Ok(TcpStream { registration, inner })
    }

    /// Starts connecting to `addr`: registered, and not writable until
    /// the handshake's event.
    pub(crate) fn start_connect(io: &IoHandle, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_reactor(io, RawStream::connect(addr)?)?;
        stream.registration.clear(Direction::Write);
        Ok(stream)
    }

    /// The connect is still in progress: wait for the next writable event.
    pub(crate) fn clear_writable(&self) {
        self.registration.clear(Direction::Write);
    }

    /// Reads what has arrived into `buf`, without waiting: `Ok(0)` is end
    /// of file (when `buf` is not empty); `WouldBlock` means wait with
    /// `Trap::Readable(fd)` (and is answered without a syscall while the
    /// readable bit is clear). An empty `buf` is `Ok(0)` at once, whether
    /// bytes are pending or not, and changes nothing: like `read(2)` with
    /// a count of 0, it is not end of file.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or what `read(2)` says (`ConnectionReset`, ...);
    /// once the scheduler is dropped, an error saying so (see [`IoHandle`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_coro::net::TcpStream;
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::from_reactor(&s.io_handle(), simul_reactor::net::TcpStream::connect(l.local_addr()?)?)?;
    /// let e = stream.try_read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nothing sent yet
    /// assert_eq!(stream.try_read(&mut [])?, 0); // asks for nothing: done
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // Before the readiness bit: an empty read needs nothing from the
        // socket, and answering it `WouldBlock` (while the bit is clear)
        // sent `Read::new(stream, 0)` to wait for bytes it would not take.
        if buf.is_empty() {
            self.registration.check_alive()?;
            return Ok(0);
        }
        let n = self.registration.io(Direction::Read, || (&self.inner).read(buf))?;
        if n > 0 && n < buf.len() {
            self.registration.short_read();
        }
        Ok(n)
    }

    /// Writes what fits of `buf`, without waiting; `WouldBlock` means wait
    /// with `Trap::Writable(fd)`. An empty `buf` is `Ok(0)` at once and
    /// sends nothing.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or what `write(2)` says (`BrokenPipe`, ...);
    /// once the scheduler is dropped, an error saying so (see [`IoHandle`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_coro::net::TcpStream;
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let raw = simul_reactor::net::TcpStream::connect(l.local_addr()?)?;
    /// std::thread::sleep(std::time::Duration::from_millis(10)); // loopback handshake
    /// let stream = TcpStream::from_reactor(&s.io_handle(), raw)?;
    /// assert_eq!(stream.try_write(b"e4")?, 2);
    /// assert_eq!(stream.try_write(b"")?, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        // As for reads: nothing to send is done at once, full buffer or not.
        if buf.is_empty() {
            self.registration.check_alive()?;
            return Ok(0);
        }
        self.registration.io(Direction::Write, || (&self.inner).write(buf))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// See [`from_reactor`](TcpStream::from_reactor).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The peer's address; `NotConnected` while a connect is in progress.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` says.
    ///
    /// # Examples
    ///
    /// See [`from_reactor`](TcpStream::from_reactor).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The pending socket error (`SO_ERROR`), cleared by reading it.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_coro::net::TcpStream;
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::from_reactor(&s.io_handle(), simul_reactor::net::TcpStream::connect(l.local_addr()?)?)?;
    /// assert!(stream.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_coro::net::TcpStream;
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::from_reactor(&s.io_handle(), simul_reactor::net::TcpStream::connect(l.local_addr()?)?)?;
    /// stream.set_nodelay(true)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Shuts down one or both directions; a task waiting on the stream
    /// is woken by the event this causes (and its next operation says
    /// end of file or `BrokenPipe`).
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` says (`NotConnected`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_coro::net::TcpStream;
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let raw = simul_reactor::net::TcpStream::connect(l.local_addr()?)?;
    /// std::thread::sleep(std::time::Duration::from_millis(10)); // loopback handshake
    /// let stream = TcpStream::from_reactor(&s.io_handle(), raw)?;
    /// stream.shutdown(std::net::Shutdown::Write)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Deregisters and closes the stream, like dropping it, but says
    /// whether deregistration worked. A task waiting on the descriptor is
    /// woken with `ConnectionAborted`.
    ///
    /// # Errors
    ///
    /// What the reactor's deregistration says; the stream is closed anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_coro::net::TcpStream;
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::from_reactor(&s.io_handle(), simul_reactor::net::TcpStream::connect(l.local_addr()?)?)?;
    /// stream.close()?;
    /// assert_eq!(s.poller_updates(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(self) -> io::Result<()> {
        let TcpStream { registration, inner } = self;
        let result = registration.close();
        drop(inner);
        result
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream").field("fd", &self.as_raw_fd()).finish()
    }
}
