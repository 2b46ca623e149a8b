//! [`UnixStream`]: a Unix-domain stream connection read and written
//! without blocking the loop (asyncio's `open_unix_connection`).

use std::future::Future;
use std::io::{self, Read as _, Write as _};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::net;

use crate::io_source::{Direction, Registration};
use crate::{AsyncRead, AsyncWrite};

/// A Unix-domain stream socket registered with the current runtime; it
/// implements [`AsyncRead`] and [`AsyncWrite`], so
/// [`AsyncReadExt`](crate::AsyncReadExt) and
/// [`AsyncWriteExt`](crate::AsyncWriteExt) give it `read`, `read_exact`,
/// `write` and `write_all`. It behaves as [`TcpStream`](crate::TcpStream)
/// does (end of stream after the peer's shutdown, `BrokenPipe` instead of
/// `SIGPIPE`), between processes of one machine, addressed by a path.
///
/// # Examples
///
/// ```
/// use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, UnixStream};
///
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0u8; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UnixStream {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The socket.
    inner: net::UnixStream,
}

impl UnixStream {
    /// Connects to the listener bound at `path`.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing exists at `path`, `ConnectionRefused` when
    /// nobody listens there, `WouldBlock` (Linux) when the listener's
    /// backlog is full; `InvalidInput` for a path too long.
    ///
    /// # Examples
    /// See [`UnixListener`](crate::UnixListener).
    pub fn connect(path: impl AsRef<Path>) -> UnixConnect {
        UnixConnect { state: ConnectState::Start(path.as_ref().to_path_buf()) }
    }

    /// Two connected, unnamed sockets, both registered.
    ///
    /// # Errors
    ///
    /// What `socketpair(2)` says; `Other` outside a runtime.
    ///
    /// # Examples
    /// See [`UnixStream`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::from_connected(a)?, UnixStream::from_connected(b)?))
    }

    /// Registers a connected (or connecting) socket.
    pub(crate) fn from_connected(inner: net::UnixStream) -> io::Result<UnixStream> {
        let registration = Registration::new(inner.as_raw_fd())?;
        Ok(UnixStream { registration, inner })
    }

    /// The address of this end (unnamed for a client or a pair).
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let (a, _b) = simul_future::UnixStream::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The address of the other end.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` says.
    ///
    /// # Examples
    /// See [`UnixListener`](crate::UnixListener).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Closes the writing half (the peer reads end of stream); reading
    /// goes on. It never blocks.
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{AsyncReadExt, Runtime, UnixStream};
    /// # let mut rt = Runtime::new()?;
    /// # rt.block_on(async {
    /// let (a, mut b) = UnixStream::pair()?;
    /// a.shutdown()?;
    /// assert_eq!(b.read(&mut [0u8; 4]).await?, 0);
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) -> io::Result<()> {
        self.inner.shutdown(Shutdown::Write)
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.registration.poll_read_buf(cx, buf, |buf| (&this.inner).read(buf))
    }
}

impl AsyncWrite for UnixStream {
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

/// The future of [`UnixStream::connect`]: a leaf future.
///
/// ```text
///   [Start(path)] --socket + connect(2), register--> [Connecting]
///        | error (NotFound, ConnectionRefused ...) --> Ready(Err)
///   [Connecting] --writable: SO_ERROR set--> Ready(Err(e))
///                --writable, peer_addr ok--> Ready(Ok(stream))
///                --not writable yet--> Pending
/// ```
///
/// On Linux and macOS the connect finishes inside `connect(2)`, so the
/// first poll goes straight through; the `Connecting` state is there for
/// systems where it does not.
///
/// # Examples
/// See [`UnixListener`](crate::UnixListener).
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct UnixConnect {
    /// Where the connection stands.
    state: ConnectState,
}

/// The states of [`UnixConnect`].
#[derive(Debug)]
enum ConnectState {
    /// Not started.
    Start(PathBuf),
    /// The socket exists; waiting for it to become writable.
    Connecting(UnixStream),
    /// Finished (returned Ready).
    Done,
}

impl Future for UnixConnect {
    type Output = io::Result<UnixStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<UnixStream>> {
        loop {
            match &mut self.state {
                ConnectState::Start(path) => {
                    match net::UnixStream::connect(&*path).and_then(UnixStream::from_connected) {
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
                            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                                Err(io::ErrorKind::WouldBlock.into())
                            }
                            Err(e) => Err(e),
                        }
                    });
                    let Poll::Ready(result) = outcome else { return Poll::Pending };
                    let ConnectState::Connecting(stream) =
                        std::mem::replace(&mut self.state, ConnectState::Done)
                    else {
                        unreachable!("the state was Connecting a moment ago")
                    };
                    return Poll::Ready(result.map(|()| stream));
                }
                ConnectState::Done => panic!("UnixConnect polled after it returned Ready"),
            }
        }
    }
}
