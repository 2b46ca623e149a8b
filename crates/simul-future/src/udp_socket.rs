//! [`UdpSocket`]: datagrams sent and received without blocking the loop
//! (asyncio's `create_datagram_endpoint`, as futures).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::net;

use crate::io_source::{Direction, Registration};

/// A UDP socket registered with the current runtime.
///
/// Each datagram is sent whole or not at all, and each receive takes one
/// whole datagram: a buffer too small for it keeps the first bytes and
/// loses the rest, as with `recvfrom(2)`. An ICMP "port unreachable" for
/// an earlier datagram may show up as `ConnectionRefused` from a later
/// call on a connected socket; the socket stays usable.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, UdpSocket};
///
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///     let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The socket.
    inner: net::UdpSocket,
}

impl UdpSocket {
    /// Binds a socket to `addr` (port 0: any free port).
    ///
    /// # Errors
    ///
    /// `AddrInUse`, `AddrNotAvailable`, what `bind(2)` says; `Other`
    /// outside a runtime.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        let inner = net::UdpSocket::bind(addr)?;
        let registration = Registration::new(inner.as_raw_fd())?;
        Ok(UdpSocket { registration, inner })
    }

    /// Sets the default peer: [`send`](UdpSocket::send) goes there, and
    /// only its datagrams are received. It never blocks.
    ///
    /// # Errors
    ///
    /// What `connect(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_future::{Runtime, UdpSocket};
    /// # let mut rt = Runtime::new()?;
    /// # rt.block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// a.connect(b.local_addr()?)?;
    /// b.connect(a.local_addr()?)?;
    /// a.send(b"hi").await?;
    /// let mut buf = [0u8; 8];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hi");
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.connect(addr)
    }

    /// Sends one datagram to `target`; the output is its length.
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` (`Other` kind, raw code set) for a datagram too large;
    /// what `sendto(2)` says.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn send_to<'a>(&'a self, buf: &'a [u8], target: SocketAddr) -> SendTo<'a> {
        SendTo { socket: self, buf, target: Some(target) }
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` (or the OS's `EDESTADDRREQ`) without
    /// [`connect`](UdpSocket::connect); as for
    /// [`send_to`](UdpSocket::send_to).
    ///
    /// # Examples
    /// See [`UdpSocket::connect`].
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> SendTo<'a> {
        SendTo { socket: self, buf, target: None }
    }

    /// Receives one datagram into `buf`; the output is its length (cut to
    /// `buf`'s) and its sender.
    ///
    /// # Errors
    ///
    /// What `recvfrom(2)` says.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn recv_from<'a>(&'a self, buf: &'a mut [u8]) -> RecvFrom<'a> {
        RecvFrom { socket: self, buf }
    }

    /// Receives one datagram from the connected peer into `buf`; the
    /// output is its length (cut to `buf`'s).
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` after the peer's port was found closed; what
    /// `recv(2)` says.
    ///
    /// # Examples
    /// See [`UdpSocket::connect`].
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> Recv<'a> {
        Recv { socket: self, buf }
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` without [`connect`](UdpSocket::connect).
    ///
    /// # Examples
    /// See [`UdpSocket::connect`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

/// The future of [`UdpSocket::send_to`] and [`UdpSocket::send`]: a leaf
/// future.
///
/// ```text
///   [Sending] --sendto(2) ok--> Ready(Ok(len))
///       |     --WouldBlock (send buffer full)--> Pending, until writable
///       +---- --other error--> Ready(Err(e))
/// ```
///
/// As an `async fn`: `loop { match sendto(fd, buf, target) { Err(WouldBlock)
/// => writable(fd).await, r => return r } }`.
///
/// # Examples
/// See [`UdpSocket`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct SendTo<'a> {
    /// The socket.
    socket: &'a UdpSocket,
    /// The datagram.
    buf: &'a [u8],
    /// Where to (`None`: the connected peer).
    target: Option<SocketAddr>,
}

impl Future for SendTo<'_> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let SendTo { socket, buf, target } = *self;
        socket.registration.poll_io(cx, Direction::Write, || match target {
            Some(target) => socket.inner.send_to(buf, target),
            None => socket.inner.send(buf),
        })
    }
}

/// The future of [`UdpSocket::recv_from`]: a leaf future.
///
/// ```text
///   [Receiving] --recvfrom(2) ok--> Ready(Ok((len, sender)))
///       |       --WouldBlock (no datagram)--> Pending, until readable
///       +------ --other error--> Ready(Err(e))
/// ```
///
/// # Examples
/// See [`UdpSocket`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct RecvFrom<'a> {
    /// The socket.
    socket: &'a UdpSocket,
    /// Where the datagram goes.
    buf: &'a mut [u8],
}

impl Future for RecvFrom<'_> {
    type Output = io::Result<(usize, SocketAddr)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (socket, buf) = (this.socket, &mut *this.buf);
        socket.registration.poll_io(cx, Direction::Read, || socket.inner.recv_from(buf))
    }
}

/// The future of [`UdpSocket::recv`]: a leaf future, drawn as
/// [`RecvFrom`]'s without the sender.
///
/// # Examples
/// See [`UdpSocket::connect`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Recv<'a> {
    /// The socket.
    socket: &'a UdpSocket,
    /// Where the datagram goes.
    buf: &'a mut [u8],
}

impl Future for Recv<'_> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let (socket, buf) = (this.socket, &mut *this.buf);
        socket.registration.poll_io(cx, Direction::Read, || socket.inner.recv(buf))
    }
}
