//! [`UnixListener`]: accept Unix-domain connections without blocking the
//! loop (asyncio's `start_unix_server`).

use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::net;

use crate::UnixStream;
use crate::io_source::{Direction, Registration};

/// A Unix-domain server socket registered with the current runtime.
///
/// Binding creates a socket file at the path; it is not removed when the
/// listener is dropped (as with every Unix socket API): remove it
/// yourself, or bind in a fresh temporary directory.
///
/// # Examples
///
/// ```
/// use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, UnixListener, UnixStream, join};
///
/// let dir = std::env::temp_dir().join(format!("simul-future-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("echo.sock");
/// # let _ = std::fs::remove_file(&path);
/// let mut rt = Runtime::new()?;
/// let echoed = rt.block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     let server = async {
///         let (mut conn, _peer) = listener.accept().await?;
///         let mut buf = [0u8; 5];
///         conn.read_exact(&mut buf).await?;
///         conn.write_all(&buf).await
///     };
///     let client = async {
///         let mut conn = UnixStream::connect(&path).await?;
///         assert_eq!(conn.peer_addr()?.as_pathname(), Some(path.as_path()));
///         conn.write_all(b"hello").await?;
///         let mut back = [0u8; 5];
///         conn.read_exact(&mut back).await?;
///         Ok::<_, std::io::Error>(back)
///     };
///     let (served, back) = join(server, client).await;
///     served?;
///     back
/// })??;
/// assert_eq!(&echoed, b"hello");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UnixListener {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The socket.
    inner: net::UnixListener,
}

impl UnixListener {
    /// Binds to `path` and listens.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when a file exists at `path`; `InvalidInput` for a path
    /// too long; what `bind(2)` says; `Other` outside a runtime.
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let inner = net::UnixListener::bind(path)?;
        let registration = Registration::new(inner.as_raw_fd())?;
        Ok(UnixListener { registration, inner })
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("simul-future-doc-la-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("addr.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let listener = simul_future::UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits for the next connection.
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub fn accept(&self) -> UnixAccept<'_> {
        UnixAccept { listener: self }
    }
}

/// The future of [`UnixListener::accept`]: a leaf future.
///
/// ```text
///   [Accepting] --accept(2) ok--> register the stream --> Ready(Ok((stream, peer)))
///        |      --WouldBlock--> Pending (woken when the listener is readable)
///        |      --ConnectionAborted--> try again at once
///        +----- --other error (EMFILE, ...)--> Ready(Err(e))
/// ```
///
/// # Examples
/// See [`UnixListener`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct UnixAccept<'a> {
    /// The listener.
    listener: &'a UnixListener,
}

impl Future for UnixAccept<'_> {
    type Output = io::Result<(UnixStream, SocketAddr)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let listener = self.listener;
        let accepted = listener.registration.poll_io(cx, Direction::Read, || {
            loop {
                match listener.inner.accept() {
                    Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                    other => return other,
                }
            }
        });
        match accepted {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok((stream, peer))) => {
                Poll::Ready(UnixStream::from_connected(stream).map(|s| (s, peer)))
            }
        }
    }
}
