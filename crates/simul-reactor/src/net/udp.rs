//! [`UdpSocket`]: non-blocking datagrams.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::sys::socket;

/// A non-blocking UDP socket.
///
/// Each send is one datagram and each receive takes one whole datagram: a
/// buffer too small for it keeps the beginning and the rest is lost. A
/// receive with no datagram queued fails with `WouldBlock`; a send with
/// the buffer full does too (rare for UDP).
///
/// A socket is either *unconnected* ([`send_to`](UdpSocket::send_to) /
/// [`recv_from`](UdpSocket::recv_from) with any peer) or, after
/// [`connect`](UdpSocket::connect), tied to one peer
/// ([`send`](UdpSocket::send) / [`recv`](UdpSocket::recv), and datagrams
/// from elsewhere are dropped). Only a connected socket learns that its
/// peer's port is closed: the ICMP reply becomes a `ConnectionRefused`
/// error on a later call, once.
///
/// # Examples
///
/// ```
/// use simul_reactor::net::UdpSocket;
/// # use simul_reactor::{Events, Interest, Reactor, Token};
/// # fn ready(fd: &impl std::os::fd::AsRawFd, interest: Interest) -> std::io::Result<()> {
/// #     let mut reactor = Reactor::new()?;
/// #     reactor.register(fd.as_raw_fd(), Token(0), interest)?;
/// #     let mut events = Events::with_capacity(4);
/// #     while events.is_empty() { reactor.poll(&mut events, None)?; }
/// #     Ok(())
/// # }
///
/// let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// a.send_to(b"ping", b.local_addr()?)?;
///
/// ready(&b, Interest::READABLE)?; // `ready` waits with a Reactor
/// let mut buf = [0u8; 16];
/// let (n, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    /// The socket.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec `SOCK_DGRAM` socket of family
    /// `AF_INET` or `AF_INET6`, owned by this value alone.
    fd: OwnedFd,
}

impl UdpSocket {
    /// Opens a socket bound to `addr` (port 0 picks a free port).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the port is taken; otherwise what `socket(2)` or
    /// `bind(2)` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let again = UdpSocket::bind(socket.local_addr()?);
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        let fd = socket::socket(socket::domain_of(&addr), libc::SOCK_DGRAM)?;
        socket::bind(fd.as_fd(), &addr)?;
        Ok(UdpSocket { fd })
    }

    /// Adopts a `std` socket, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// What the OS says when setting the socket's flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    ///
    /// let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(socket.recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let fd = OwnedFd::from(socket);
        socket::adopt(fd.as_fd())?;
        Ok(UdpSocket { fd })
    }

    /// Turns the socket into a `std` one. It stays non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let addr = socket.local_addr()?;
    /// assert_eq!(socket.into_std().local_addr()?, addr);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::UdpSocket {
        std::net::UdpSocket::from(self.fd)
    }

    /// Sends one datagram to `target`; returns the bytes sent (all of
    /// them: a datagram is never split).
    ///
    /// # Errors
    ///
    /// * A datagram larger than the protocol allows (65,507 bytes of
    ///   payload for IPv4) fails with the OS error `EMSGSIZE`
    ///   (`raw_os_error() == Some(libc::EMSGSIZE)`).
    /// * `WouldBlock` when the send buffer is full.
    /// * `ConnectionRefused` may report an ICMP error from an *earlier*
    ///   send on a connected socket.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        socket::send_to(self.fd.as_fd(), buf, &target)
    }

    /// Receives one datagram and the address it came from. A zero-length
    /// datagram gives `Ok((0, from))`.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued; otherwise the OS error.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        socket::recv_from(self.fd.as_fd(), buf, 0)
    }

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram
    /// queued for the next receive.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    /// # use simul_reactor::{Events, Interest, Reactor, Token};
    /// # fn ready(fd: &impl std::os::fd::AsRawFd, interest: Interest) -> std::io::Result<()> {
    /// #     let mut reactor = Reactor::new()?;
    /// #     reactor.register(fd.as_raw_fd(), Token(0), interest)?;
    /// #     let mut events = Events::with_capacity(4);
    /// #     while events.is_empty() { reactor.poll(&mut events, None)?; }
    /// #     Ok(())
    /// # }
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// socket.send_to(b"again", socket.local_addr()?)?; // to itself
    /// ready(&socket, Interest::READABLE)?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(socket.peek_from(&mut buf)?.0, 5);
    /// assert_eq!(socket.recv_from(&mut buf)?.0, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        socket::recv_from(self.fd.as_fd(), buf, libc::MSG_PEEK)
    }

    /// Ties the socket to one peer: [`send`](UdpSocket::send) goes there,
    /// and only its datagrams are received. No packet is sent; this
    /// returns at once.
    ///
    /// # Errors
    ///
    /// What `connect(2)` says (for example `NetworkUnreachable`).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    /// # use simul_reactor::{Events, Interest, Reactor, Token};
    /// # fn ready(fd: &impl std::os::fd::AsRawFd, interest: Interest) -> std::io::Result<()> {
    /// #     let mut reactor = Reactor::new()?;
    /// #     reactor.register(fd.as_raw_fd(), Token(0), interest)?;
    /// #     let mut events = Events::with_capacity(4);
    /// #     while events.is_empty() { reactor.poll(&mut events, None)?; }
    /// #     Ok(())
    /// # }
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// a.connect(b.local_addr()?)?;
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// a.send(b"hi")?;
    /// ready(&b, Interest::READABLE)?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(b.recv(&mut buf)?, 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        socket::connect(self.fd.as_fd(), &addr)
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` (`EDESTADDRREQ` on some systems) without
    /// [`connect`](UdpSocket::connect); `ConnectionRefused` when an
    /// earlier datagram was answered by "port unreachable"; otherwise as
    /// [`send_to`](UdpSocket::send_to).
    ///
    /// # Examples
    /// See [`UdpSocket::connect`].
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        socket::send(self.fd.as_fd(), buf)
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued; `ConnectionRefused` (once) when
    /// an earlier send was answered by "port unreachable".
    ///
    /// # Examples
    /// See [`UdpSocket::connect`].
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        socket::recv(self.fd.as_fd(), buf, 0)
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram queued.
    ///
    /// # Errors
    ///
    /// As [`recv`](UdpSocket::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(socket.peek(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        socket::recv(self.fd.as_fd(), buf, libc::MSG_PEEK)
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` says.
    ///
    /// # Examples
    /// See [`UdpSocket::bind`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.fd.as_fd())
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UdpSocket::connect).
    ///
    /// # Examples
    /// See [`UdpSocket::connect`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        socket::peer_addr(self.fd.as_fd())
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it; for
    /// example the `ConnectionRefused` of an ICMP "port unreachable" on a
    /// connected socket.
    ///
    /// # Errors
    ///
    /// An error reading the option; the socket's own error is the
    /// `Ok(Some(..))` value.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// assert!(socket.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UdpSocket");
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

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<UdpSocket> for OwnedFd {
    fn from(socket: UdpSocket) -> OwnedFd {
        socket.fd
    }
}
