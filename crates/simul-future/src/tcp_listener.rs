//! [`TcpListener`]: accept TCP connections without blocking the loop.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::net;

use crate::TcpStream;
use crate::io_source::{Direction, Registration};

/// A TCP server socket registered with the current runtime.
///
/// # Examples
///
/// ```
/// use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream, join};
///
/// let mut rt = Runtime::new()?;
/// let echoed = rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let addr = listener.local_addr()?;
///     let server = async {
///         let (mut conn, _peer) = listener.accept().await?;
///         let mut buf = [0u8; 5];
///         conn.read_exact(&mut buf).await?;
///         conn.write_all(&buf).await
///     };
///     let client = async {
///         let mut conn = TcpStream::connect(addr).await?;
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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The socket.
    inner: net::TcpListener,
}

impl TcpListener {
    /// Binds to `addr` (port 0 picks a free port) and registers with the
    /// current runtime.
    ///
    /// # Errors
    ///
    /// What the OS says (`AddrInUse`, ...); `Other` outside a runtime.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let inner = net::TcpListener::bind(addr)?;
        let registration = Registration::new(inner.as_raw_fd())?;
        Ok(TcpListener { registration, inner })
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits for a connection and accepts it.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub fn accept(&self) -> Accept<'_> {
        Accept { listener: self }
    }
}

/// The future of [`TcpListener::accept`]: a leaf future.
///
/// ```text
///   [Accepting] --accept(2) ok--> register the stream --> Ready(Ok((stream, peer)))
///        |      --WouldBlock--> Pending (woken when the listener is readable)
///        |      --ConnectionAborted--> try again at once
///        +----- --other error (EMFILE, ...)--> Ready(Err(e))
/// ```
///
/// On `EMFILE` the connection stays queued and the listener stays
/// readable: the caller should back off (say, `sleep`) before accepting
/// again rather than spin.
///
/// # Examples
/// See [`TcpListener`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Accept<'a> {
    /// The listener.
    listener: &'a TcpListener,
}

impl Future for Accept<'_> {
    type Output = io::Result<(TcpStream, SocketAddr)>;

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
                Poll::Ready(TcpStream::from_connected(stream).map(|s| (s, peer)))
            }
        }
    }
}
