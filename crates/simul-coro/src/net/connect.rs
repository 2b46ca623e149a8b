//! [`Connect`]: open a connection, waiting for the handshake cooperatively.

use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use super::{IoHandle, TcpStream};
use crate::{Coroutine, CoroutineState, Reply, Resume, ResumeError, Trap};

/// Connects to an address: returns the connected stream, registered with
/// the scheduler of the [`IoHandle`] it was made with, or why it failed
/// (`ConnectionRefused`, ...).
///
/// ```python
/// def connect(addr):
///     sock = socket(); sock.setblocking(False)
///     sock.connect_ex(addr)                 # starts the handshake
///     while True:
///         yield Writable(sock)
///         if err := sock.getsockopt(SO_ERROR): raise OSError(err)
///         if connected(sock): return sock   # else: a spurious wake-up
/// ```
///
/// ```text
///   +-------+  resume: connect() started, yield Writable(fd)   +-------------------+
///   | Start | -----------------------------------------------> | Handshake{stream} | --+ resume(Io(Ok)),
///   +-------+                                                  +-------------------+ <-+ not yet connected
///       | connect() failed at once                                  |
///       v                                                           | SO_ERROR set, Io(Err), or connected:
///   +------+ <------------------------------------------------------+ return it
///   | Done |
///   +------+
/// ```
///
/// # Examples
///
/// ```
/// use simul_coro::net::Connect;
/// use simul_coro::{Coroutine, Scheduler};
///
/// // Nobody listens on this port (bound, then closed): refused.
/// let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
/// let mut s = Scheduler::<std::io::ErrorKind>::new()?;
/// let kind = s.run(Connect::new(&s.io_handle(), addr).map_return(|r| r.map_or_else(|e| e.kind(), |_| std::io::ErrorKind::Other)))?;
/// assert_eq!(kind, std::io::ErrorKind::ConnectionRefused);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a coroutine does nothing until it is resumed"]
pub enum Connect<T> {
    /// Not started.
    Start {
        /// Where to connect.
        addr: SocketAddr,
        /// The scheduler to register the stream with.
        io: IoHandle,
        /// The scheduler's result type, which the traps carry.
        _result: PhantomData<fn() -> T>,
    },
    /// The handshake is running in the kernel; waiting for writability.
    Handshake {
        /// The connecting socket.
        stream: TcpStream,
    },
    /// Returned.
    Done,
}

impl<T> Connect<T> {
    /// A connection to `addr`, not yet started, for the scheduler of `io`.
    ///
    /// # Examples
    ///
    /// See [`Connect`].
    pub fn new(io: &IoHandle, addr: SocketAddr) -> Connect<T> {
        Connect::Start { addr, io: io.clone(), _result: PhantomData }
    }
}

impl<T> Coroutine<Reply<T>> for Connect<T> {
    type Yield = Trap<T>;
    type Return = io::Result<TcpStream>;

    fn resume(&mut self, reply: Reply<T>) -> Resume<Trap<T>, io::Result<TcpStream>> {
        let stream = match std::mem::replace(self, Connect::Done) {
            Connect::Done => return Err(ResumeError::AfterCompletion),
            Connect::Start { addr, io, .. } => match TcpStream::start_connect(&io, addr) {
                Ok(stream) => {
                    let fd = stream.as_raw_fd();
                    *self = Connect::Handshake { stream };
                    return Ok(CoroutineState::Yielded(Trap::Writable(fd)));
                }
                Err(e) => return Ok(CoroutineState::Complete(Err(e))),
            },
            Connect::Handshake { stream } => stream,
        };
        let answer = match super::io_answer(reply) {
            Ok(answer) => answer,
            Err(e) => {
                *self = Connect::Handshake { stream };
                return Err(e);
            }
        };
        if let Err(e) = answer {
            return Ok(CoroutineState::Complete(Err(e)));
        }
        match stream.take_error() {
            Ok(Some(e)) | Err(e) => return Ok(CoroutineState::Complete(Err(e))),
            Ok(None) => {}
        }
        match stream.peer_addr() {
            Ok(_) => Ok(CoroutineState::Complete(Ok(stream))),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                // A wake-up before the handshake's end: wait for the next edge.
                stream.clear_writable();
                let fd = stream.as_raw_fd();
                *self = Connect::Handshake { stream };
                Ok(CoroutineState::Yielded(Trap::Writable(fd)))
            }
            Err(e) => Ok(CoroutineState::Complete(Err(e))),
        }
    }
}
