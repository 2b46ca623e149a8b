//! [`TcpStream`]: a TCP connection read and written without blocking the
//! loop.

use std::future::Future;
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::net;

use crate::io_source::{Direction, Registration};
use crate::{AsyncRead, AsyncWrite};

/// A TCP connection registered with the current runtime; it implements
/// [`AsyncRead`] and [`AsyncWrite`], so [`AsyncReadExt`](crate::AsyncReadExt)
/// and [`AsyncWriteExt`](crate::AsyncWriteExt) give it `read`,
/// `read_exact`, `write` and `write_all`.
///
/// A peer reset shows up as `ConnectionReset` (reads) or `BrokenPipe`
/// (writes), never as a `SIGPIPE`; after the peer's `shutdown(Write)`,
/// reads return `Ok(0)` every time, and writing back still works.
///
/// # Examples
/// See [`TcpListener`](crate::TcpListener) for a whole exchange.
///
/// ```
/// use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream};
///
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     assert_eq!(client.write(b"ping").await?, 4);
///     client.shutdown()?;
///     let mut buf = [0u8; 16];
///     let n = server.read(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(server.read(&mut buf).await?, 0); // end of stream
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpStream {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The socket.
    inner: net::TcpStream,
}

impl TcpStream {
    /// Opens a connection to `addr`.
    ///
    /// # Examples
    /// See [`TcpStream`].
    pub fn connect(addr: SocketAddr) -> Connect {
        Connect { state: ConnectState::Start(addr) }
    }

    /// Registers a connected (or connecting) socket.
    pub(crate) fn from_connected(inner: net::TcpStream) -> io::Result<TcpStream> {
        let registration = Registration::new(inner.as_raw_fd())?;
        Ok(TcpStream { registration, inner })
    }

    /// The address of the other end.
    ///
    /// # Errors
    ///
    /// `NotConnected` while a connect is in progress; what the OS says.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_future::{Runtime, TcpListener, TcpStream};
    /// # let mut rt = Runtime::new()?;
    /// # rt.block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let s = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(s.peer_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_future::{Runtime, TcpListener, TcpStream};
    /// # let mut rt = Runtime::new()?;
    /// # rt.block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let s = TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(s.local_addr()?.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Closes the writing half (the peer reads end of stream); reading
    /// goes on. It never blocks.
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` says.
    ///
    /// # Examples
    /// See [`TcpStream`].
    pub fn shutdown(&self) -> io::Result<()> {
        self.inner.shutdown(Shutdown::Write)
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
    /// # use simul_future::{Runtime, TcpListener, TcpStream};
    /// # let mut rt = Runtime::new()?;
    /// # rt.block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let s = TcpStream::connect(listener.local_addr()?).await?;
    /// s.set_nodelay(true)?;
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let (inner, len) = (&this.inner, buf.len());
        this.registration.poll_read_stream(cx, len, || (&*inner).read(buf))
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.registration.poll_write_buf(cx, buf, |buf| (&this.inner).write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown())
    }
}

/// The future of [`TcpStream::connect`]: a leaf future.
///
/// ```text
///   [Start(addr)] --socket + connect(2) (EINPROGRESS), register--> [Connecting]
///        | error --> Ready(Err)                                       |
///   [Connecting] --writable: SO_ERROR set--> Ready(Err(e))             |
///                --writable, peer_addr ok--> Ready(Ok(stream))  <------+
///                --not writable yet--> Pending
/// ```
///
/// # Examples
/// See [`TcpStream`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Connect {
    /// Where the connection stands.
    state: ConnectState,
}

/// The states of [`Connect`].
#[derive(Debug)]
enum ConnectState {
    /// Not started.
    Start(SocketAddr),
    /// The socket exists; waiting for it to become writable.
    Connecting(TcpStream),
    /// Finished (returned Ready).
    Done,
}

impl Future for Connect {
    type Output = io::Result<TcpStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        loop {
            match &mut self.state {
                ConnectState::Start(addr) => {
                    let started =
                        net::TcpStream::connect(*addr).and_then(TcpStream::from_connected);
                    match started {
                        Ok(stream) => self.state = ConnectState::Connecting(stream),
                        Err(e) => {
                            self.state = ConnectState::Done;
                            return Poll::Ready(Err(e));
                        }
                    }
                }
                ConnectState::Connecting(stream) => {
                    let inner = &stream.inner;
                    let outcome = stream.registration.poll_io(cx, Direction::Write, || {
                        if let Some(e) = inner.take_error()? {
                            return Err(e);
                        }
                        match inner.peer_addr() {
                            Ok(_) => Ok(()),
                            // Writable but not connected yet: treat as
                            // "not ready" and wait for the next edge.
                            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                                Err(io::ErrorKind::WouldBlock.into())
                            }
                            Err(e) => Err(e),
                        }
                    });
                    match outcome {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(result) => {
                            let state = std::mem::replace(&mut self.state, ConnectState::Done);
                            let ConnectState::Connecting(stream) = state else {
                                unreachable!("the state was Connecting a moment ago")
                            };
                            return Poll::Ready(result.map(|()| stream));
                        }
                    }
                }
                ConnectState::Done => panic!("Connect polled after it returned Ready"),
            }
        }
    }
}
