//! [`TcpStream`]: one non-blocking TCP connection.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::sys::socket;

/// A non-blocking TCP connection.
///
/// Every call returns at once: a read with nothing buffered, or a write
/// with the send buffer full, fails with [`io::ErrorKind::WouldBlock`].
/// Register the stream's descriptor with a [`Reactor`](crate::Reactor) and
/// try again after the next readable (or writable) event; see the
/// [module docs](crate::net) for the rules, including "read until
/// `WouldBlock`" under edge triggering.
///
/// Reading and writing go through [`Read`] and [`Write`], implemented for
/// both `TcpStream` and `&TcpStream`, so a shared reference can read and
/// write (`(&stream).write(..)`), as two tasks of one loop may need.
///
/// Writes never raise `SIGPIPE`: writing to a connection the peer has
/// closed fails with [`io::ErrorKind::BrokenPipe`] (or `ConnectionReset`).
///
/// Dropping the stream closes it. Deregister it from the reactor first.
///
/// # Examples
///
/// ```
/// use simul_reactor::net::{TcpListener, TcpStream};
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
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut client = TcpStream::connect(listener.local_addr()?)?;
/// ready(&listener, Interest::READABLE)?; // `ready` waits with a Reactor
/// let (mut server, _) = listener.accept()?;
///
/// ready(&client, Interest::WRITABLE)?;
/// client.write_all(b"ping")?; // a few bytes always fit the send buffer
/// ready(&server, Interest::READABLE)?;
/// let mut buf = [0u8; 8];
/// let n = server.read(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    /// The socket.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec `SOCK_STREAM` socket of family
    /// `AF_INET` or `AF_INET6`, owned by this value alone (on macOS, with
    /// `SO_NOSIGPIPE` set).
    fd: OwnedFd,
}

impl TcpStream {
    /// Starts connecting to `addr` and returns at once.
    ///
    /// The three-way handshake runs in the kernel; the stream is not
    /// usable until it finishes. The protocol to finish a connect (the
    /// same as mio's):
    ///
    /// 1. register the stream with [`Interest::WRITABLE`](crate::Interest::WRITABLE)
    ///    (readable too if you like);
    /// 2. on a writable (or error) event, call [`take_error`](TcpStream::take_error):
    ///    `Some(e)` means the connect failed with `e` (for example
    ///    `ConnectionRefused`), and the stream is dead;
    /// 3. otherwise call [`peer_addr`](TcpStream::peer_addr): `Ok` means
    ///    connected; `NotConnected` means the event was spurious and the
    ///    handshake is still running, so wait for the next event.
    ///
    /// # Errors
    ///
    /// What `socket(2)` or `connect(2)` says right away. A connect that
    /// has merely started (`EINPROGRESS`) is *not* an error. On loopback
    /// the kernel may settle the handshake inside the call, so a refused
    /// connection can fail here, with `ConnectionRefused`, rather than in
    /// step 2: handle both.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    /// use simul_reactor::{Events, Interest, Reactor, Token};
    /// use std::os::fd::AsRawFd;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    ///
    /// let mut reactor = Reactor::new()?;
    /// reactor.register(stream.as_raw_fd(), Token(7), Interest::WRITABLE)?;
    /// let mut events = Events::with_capacity(8);
    /// loop {
    ///     reactor.poll(&mut events, None)?;
    ///     if events.iter().any(|e| e.token() == Token(7)) {
    ///         if let Some(e) = stream.take_error()? {
    ///             return Err(e); // the connect failed
    ///         }
    ///         match stream.peer_addr() {
    ///             Ok(_) => break, // connected
    ///             Err(e) if e.kind() == std::io::ErrorKind::NotConnected => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    /// }
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let fd = socket::socket(socket::domain_of(&addr), libc::SOCK_STREAM)?;
        socket::connect(fd.as_fd(), &addr)?;
        Ok(TcpStream { fd })
    }

    /// Wraps an accepted socket.
    pub(crate) fn from_fd(fd: OwnedFd) -> TcpStream {
        TcpStream { fd }
    }

    /// Adopts a connected `std` stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// What the OS says when setting the socket's flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::TcpStream;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let stream = TcpStream::from_std(std_stream)?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let fd = OwnedFd::from(stream);
        socket::adopt(fd.as_fd())?;
        Ok(TcpStream { fd })
    }

    /// Turns the stream into a `std` one. It stays non-blocking; call
    /// `set_nonblocking(false)` on the result for blocking calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// let std_stream = stream.into_std();
    /// std_stream.set_nonblocking(false)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::TcpStream {
        std::net::TcpStream::from(self.fd)
    }

    /// The local address of the connection.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// assert!(stream.local_addr()?.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.fd.as_fd())
    }

    /// The remote address; `NotConnected` while a connect is still in
    /// progress (or after it failed).
    ///
    /// # Errors
    ///
    /// `NotConnected` as above; otherwise what `getpeername(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream::connect`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        socket::peer_addr(self.fd.as_fd())
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// After a non-blocking connect this is how its failure is learnt;
    /// later it reports asynchronous errors such as a reset.
    ///
    /// # Errors
    ///
    /// An error *reading* the option (rare); the socket's own error is the
    /// `Ok(Some(..))` value.
    ///
    /// # Examples
    /// See [`TcpStream::connect`].
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }

    /// Reads without consuming: the same bytes are returned again by the
    /// next read.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is buffered; otherwise as for `read`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
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
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let mut client = TcpStream::connect(listener.local_addr()?)?;
    /// ready(&listener, Interest::READABLE)?;
    /// let (mut server, _) = listener.accept()?;
    /// ready(&client, Interest::WRITABLE)?;
    /// client.write_all(b"hello")?;
    /// ready(&server, Interest::READABLE)?;
    ///
    /// let mut buf = [0u8; 5];
    /// let n = server.peek(&mut buf)?;
    /// assert_eq!(&buf[..n], &b"hello"[..n]);
    /// assert!(server.read(&mut buf)? >= n); // the peeked bytes are still there
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        socket::recv(self.fd.as_fd(), buf, libc::MSG_PEEK)
    }

    /// Shuts down the reading side, the writing side, or both.
    ///
    /// `Shutdown::Write` is a *half-close*: the peer reads end-of-file
    /// once it has read everything sent before, and can still send to us.
    /// Use it to say "that was my whole request".
    ///
    /// # Errors
    ///
    /// `NotConnected` when the connection is not (or no longer) connected.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    /// use std::io::Read;
    /// use std::net::Shutdown;
    /// # use simul_reactor::{Events, Interest, Reactor, Token};
    /// # fn ready(fd: &impl std::os::fd::AsRawFd, interest: Interest) -> std::io::Result<()> {
    /// #     let mut reactor = Reactor::new()?;
    /// #     reactor.register(fd.as_raw_fd(), Token(0), interest)?;
    /// #     let mut events = Events::with_capacity(4);
    /// #     while events.is_empty() { reactor.poll(&mut events, None)?; }
    /// #     Ok(())
    /// # }
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let client = TcpStream::connect(listener.local_addr()?)?;
    /// ready(&listener, Interest::READABLE)?;
    /// let (mut server, _) = listener.accept()?;
    /// ready(&client, Interest::WRITABLE)?;
    ///
    /// client.shutdown(Shutdown::Write)?;
    /// ready(&server, Interest::READABLE)?;
    /// assert_eq!(server.read(&mut [0u8; 8])?, 0); // end of file
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        socket::shutdown(self.fd.as_fd(), how)
    }

    /// Turns Nagle's algorithm off (`true`) or on (`false`).
    ///
    /// With Nagle on (the default), a small write waits for the previous
    /// one's acknowledgement so that small writes coalesce; request/reply
    /// protocols that write little and wait for the answer want it off.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        socket::set_int_opt(
            self.fd.as_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            usize::from(nodelay),
        )
    }

    /// Whether Nagle's algorithm is off (`TCP_NODELAY`).
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream::set_nodelay`].
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(socket::int_opt(self.fd.as_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY)? != 0)
    }

    /// Sets `SO_LINGER`, what closing does with unsent data.
    ///
    /// * `None` (the default): close returns at once; the kernel keeps
    ///   sending buffered data and then closes gracefully (FIN).
    /// * `Some(Duration::ZERO)`: close discards buffered data and *resets*
    ///   the connection (RST); the peer's next read or write fails with
    ///   `ConnectionReset`. Useful in tests, and to avoid `TIME_WAIT`.
    /// * `Some(d)`: a blocking close would wait up to `d` (whole seconds)
    ///   for the data to go. Avoid it with non-blocking sockets.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    /// use std::time::Duration;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// stream.set_linger(Some(Duration::ZERO))?;
    /// assert_eq!(stream.linger()?, Some(Duration::ZERO));
    /// drop(stream); // resets the connection
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket::set_linger(self.fd.as_fd(), linger)
    }

    /// The `SO_LINGER` setting.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream::set_linger`].
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket::linger(self.fd.as_fd())
    }

    /// Asks for a kernel send buffer of `size` bytes (`SO_SNDBUF`).
    ///
    /// The kernel adjusts the figure: Linux doubles it (for bookkeeping)
    /// and enforces a minimum, so read it back with
    /// [`send_buffer_size`](TcpStream::send_buffer_size). A small send
    /// buffer makes writes return `WouldBlock` (or write partially) sooner.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `size` does not fit a C `int`; otherwise what
    /// `setsockopt(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// stream.set_send_buffer_size(4096)?;
    /// stream.set_recv_buffer_size(4096)?;
    /// assert!(stream.send_buffer_size()? >= 2048);
    /// assert!(stream.recv_buffer_size()? >= 2048);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        socket::set_int_opt(self.fd.as_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, size)
    }

    /// The kernel send buffer's size in bytes (`SO_SNDBUF`).
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream::set_send_buffer_size`].
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        socket::int_opt(self.fd.as_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF)
    }

    /// Asks for a kernel receive buffer of `size` bytes (`SO_RCVBUF`);
    /// adjusted by the kernel as for the send buffer.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `size` does not fit a C `int`; otherwise what
    /// `setsockopt(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream::set_send_buffer_size`].
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        socket::set_int_opt(self.fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, size)
    }

    /// The kernel receive buffer's size in bytes (`SO_RCVBUF`).
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream::set_send_buffer_size`].
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        socket::int_opt(self.fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF)
    }
}

/// Reads what has arrived. `Ok(0)` is end-of-file (the peer shut down its
/// writing side; it stays 0); `WouldBlock` means nothing yet.
impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        socket::recv(self.fd.as_fd(), buf, 0)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        socket::readv(self.fd.as_fd(), bufs)
    }
}

/// Writes what fits in the send buffer: possibly fewer bytes than asked
/// (a partial write), `WouldBlock` when none fit. Never raises `SIGPIPE`.
impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        socket::send(self.fd.as_fd(), buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        socket::sendmsg(self.fd.as_fd(), bufs)
    }

    /// Does nothing: the kernel sends buffered data by itself.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpStream {
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

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
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

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<TcpStream> for OwnedFd {
    fn from(stream: TcpStream) -> OwnedFd {
        stream.fd
    }
}
