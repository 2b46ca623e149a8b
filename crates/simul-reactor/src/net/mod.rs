//! Non-blocking sockets and pipes: what every simul style reads and writes.
//!
//! The types here are thin owners of one file descriptor each. They never
//! block and never wait: waiting is the [`Reactor`](crate::Reactor)'s job,
//! and each style (callbacks, coroutines, futures, green threads) wraps
//! these types with its own way of waiting.
//!
//! | type              | what it is                                        |
//! |-------------------|---------------------------------------------------|
//! | [`TcpListener`]   | a TCP server socket; `accept` gives [`TcpStream`]s |
//! | [`TcpStream`]     | one TCP connection                                |
//! | [`UdpSocket`]     | datagrams over UDP                                |
//! | [`UnixListener`], [`UnixStream`] | stream sockets named by a path     |
//! | [`pipe`](fn@pipe): [`PipeReader`], [`PipeWriter`] | an anonymous pipe          |
//!
//! All of them are non-blocking and close-on-exec from the moment they
//! exist, implement [`AsRawFd`](std::os::fd::AsRawFd) (to register with
//! the reactor), [`AsFd`](std::os::fd::AsFd) and `From<T> for OwnedFd`,
//! and return [`io::Result`](std::io::Result) from every call. A signal
//! interrupting a call (`EINTR`) is retried inside; you never see
//! `Interrupted`.
//!
//! # 1. `WouldBlock` is not an error
//!
//! A non-blocking call does what it can *now*. A read with nothing
//! buffered, a write with the send buffer full, an accept with no
//! connection queued: each fails at once with
//! [`ErrorKind::WouldBlock`](std::io::ErrorKind::WouldBlock) (the C
//! `EAGAIN`). It means "try again after the reactor says the socket is
//! ready", and it is the moment a task parks, a coroutine yields, or a
//! callback returns to the loop.
//!
//! ```
//! use simul_reactor::net::UdpSocket;
//! use std::io::ErrorKind;
//!
//! let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
//! let mut buf = [0u8; 64];
//! // Nothing was sent: no waiting, just WouldBlock.
//! assert_eq!(socket.recv_from(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # 2. Edge triggering: read until `WouldBlock`
//!
//! The reactor reports an *edge*: "this socket became readable". It does
//! not report it again while the socket stays readable. So after a
//! readable event, read (or accept) in a loop until `WouldBlock`; after a
//! writable event, write until you are done or get `WouldBlock`. Stop
//! early and the rest of the data sits in the kernel with no new event to
//! tell you. (See the [crate docs](crate#triggering).)
//!
//! ```
//! use simul_reactor::net::{TcpListener, TcpStream};
//! use simul_reactor::{Events, Interest, Reactor, Token};
//! use std::io::{ErrorKind, Read, Write};
//! use std::os::fd::AsRawFd;
//!
//! let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! let client = TcpStream::connect(listener.local_addr()?)?;
//! let mut reactor = Reactor::new()?;
//! reactor.register(listener.as_raw_fd(), Token(0), Interest::READABLE)?;
//! reactor.register(client.as_raw_fd(), Token(1), Interest::BOTH)?;
//!
//! let mut events = Events::with_capacity(8);
//! let mut server = None;
//! let mut sent = false;
//! let mut received = Vec::new();
//! while received.len() < 5 {
//!     reactor.poll(&mut events, None)?;
//!     for event in events.iter() {
//!         match event.token() {
//!             Token(0) => {
//!                 let (stream, _) = listener.accept()?;
//!                 reactor.register(stream.as_raw_fd(), Token(2), Interest::READABLE)?;
//!                 server = Some(stream);
//!             }
//!             Token(1) if !sent && event.is_writable() => {
//!                 (&client).write_all(b"hello")?; // a few bytes fit at once
//!                 sent = true;
//!             }
//!             Token(2) => {
//!                 let mut server = server.as_ref().expect("accepted first");
//!                 let mut buf = [0u8; 2]; // small on purpose: several reads
//!                 loop {
//!                     match server.read(&mut buf) {
//!                         Ok(0) => break, // end of file
//!                         Ok(n) => received.extend_from_slice(&buf[..n]),
//!                         Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!                         Err(e) => return Err(e),
//!                     }
//!                 }
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! assert_eq!(received, b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # 3. The connect dance
//!
//! [`TcpStream::connect`] only *starts* the handshake (`EINPROGRESS`).
//! Register for writable; when the event comes, [`TcpStream::take_error`]
//! says whether it failed (`ConnectionRefused`, `TimedOut`...), and
//! [`TcpStream::peer_addr`] succeeds once it is connected. The example
//! on [`TcpStream::connect`] shows the loop.
//!
//! # 4. Partial writes
//!
//! `write` takes what fits in the kernel's send buffer: maybe all, maybe a
//! part, maybe nothing (`WouldBlock`). Keep the unsent rest, wait for
//! writable, and continue from where the last write stopped. `write_all`
//! does not know how to wait, so it fails with `WouldBlock` halfway.
//!
//! # 5. Half-close and end of file
//!
//! `read` returning `Ok(0)` means the peer will send nothing more, and it
//! keeps returning 0. (Unless the buffer was empty: a read into no room
//! returns `Ok(0)` at once, whatever is or is not buffered, and consumes
//! nothing.) The peer may have only shut down its *writing* side
//! ([`TcpStream::shutdown`] with `Shutdown::Write`) and still be reading:
//! answering after EOF is normal (an HTTP/1.0 request ends this way).
//!
//! # 6. No `SIGPIPE`
//!
//! Writing to a connection whose peer has gone makes a Unix kernel send
//! the process `SIGPIPE`, whose default action is to kill it: one
//! departing client would take the whole server down. Every socket write
//! here is made so that it fails instead, with `BrokenPipe` (or
//! `ConnectionReset`): `MSG_NOSIGNAL` on Linux and the BSDs, `SO_NOSIGPIPE`
//! set at creation on macOS. Pipes cannot do this; see [`pipe`](fn@pipe).
//!
//! # 7. Errors that come later
//!
//! Some errors arrive without a call to fail: a refused connect, a reset,
//! an ICMP "port unreachable" for a UDP send. The kernel keeps them as the
//! socket's pending error, which `take_error` reads (and clears), and the
//! reactor reports an error event.

/// Implements the descriptor traits for a type that owns one socket or
/// pipe end in a private field `fd: OwnedFd`.
///
/// `fd_owner!(TcpStream, "local" => local_addr, "peer" => peer_addr)`
/// generates:
///
/// * `AsRawFd` and `AsFd`, lending the descriptor (to register it with the
///   reactor, or to hand it to another API for the duration of a borrow);
/// * `From<TcpStream> for OwnedFd`, giving the descriptor up;
/// * `Debug`, printing `TcpStream { fd: 7, local: .., peer: .. }`: the raw
///   descriptor, then each listed method's value under the given name,
///   left out when the call fails (an unconnected socket has no peer).
macro_rules! fd_owner {
    ($ty:ident $(, $name:literal => $method:ident)* $(,)?) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.fd)
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.fd)
            }
        }

        impl From<$ty> for std::os::fd::OwnedFd {
            fn from(owner: $ty) -> std::os::fd::OwnedFd {
                owner.fd
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($ty));
                d.field("fd", &std::os::fd::AsRawFd::as_raw_fd(&self.fd));
                $(
                    if let Ok(value) = self.$method() {
                        d.field($name, &value);
                    }
                )*
                d.finish()
            }
        }
    };
}

/// Implements `Read` for an owned `$ty` by forwarding every method to the
/// `Read for &$ty` impl, which holds the real code: a shared reference can
/// read (so two tasks of one loop can share a stream), and an owned value
/// reads exactly as its reference does.
macro_rules! read_through_ref {
    ($ty:ident) => {
        impl std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::io::Read::read(&mut &*self, buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }
    };
}

/// Implements `Write` for an owned `$ty` by forwarding every method to the
/// `Write for &$ty` impl, as [`read_through_ref!`] does for `Read`.
macro_rules! write_through_ref {
    ($ty:ident) => {
        impl std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                std::io::Write::write(&mut &*self, buf)
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                std::io::Write::flush(&mut &*self)
            }
        }
    };
}

/// Implements `Read` and `Write` for a connected stream socket (TCP or
/// Unix-domain), both for `&$ty` and for `$ty`.
///
/// The `&$ty` impls make the system calls: `recv` and `readv` to read,
/// `send` and `sendmsg` (with `MSG_NOSIGNAL`, so never `SIGPIPE`) to
/// write, and a `flush` that does nothing. The doc comments written before
/// `read`, `write` and `flush` in the invocation go on the `Read` impl,
/// the `Write` impl and the `flush` method; the owned impls forward to the
/// reference ones ([`read_through_ref!`], [`write_through_ref!`]).
macro_rules! stream_io {
    (
        $ty:ident,
        $(#[$read_doc:meta])* read,
        $(#[$write_doc:meta])* write,
        $(#[$flush_doc:meta])* flush $(,)?
    ) => {
        $(#[$read_doc])*
        impl std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                // An empty buffer reads nothing, at once: `Ok(0)`, as the
                // `Read` contract allows. The kernel would instead wait
                // for at least one byte (its low-water mark is never 0),
                // so with nothing buffered it says `EAGAIN`, and a style
                // waiting on that would park until data came for a read
                // that takes none (reliability item 27).
                if buf.is_empty() {
                    return Ok(0);
                }
                crate::sys::socket::recv(std::os::fd::AsFd::as_fd(&self.fd), buf, 0)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                // As in `read`: no room at all reads nothing, at once.
                if bufs.iter().all(|b| b.is_empty()) {
                    return Ok(0);
                }
                crate::sys::socket::readv(std::os::fd::AsFd::as_fd(&self.fd), bufs)
            }
        }

        $(#[$write_doc])*
        impl std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                crate::sys::socket::send(std::os::fd::AsFd::as_fd(&self.fd), buf)
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                crate::sys::socket::sendmsg(std::os::fd::AsFd::as_fd(&self.fd), bufs)
            }

            $(#[$flush_doc])*
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        read_through_ref!($ty);
        write_through_ref!($ty);
    };
}

mod pipe;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix;

pub use pipe::{PipeReader, PipeWriter, pipe};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
