//! [`Read`]: read what has arrived, waiting for it cooperatively.

use std::io;
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::TcpStream;
use crate::{Coroutine, CoroutineState, Reply, Resume, ResumeError, Trap};

/// Reads at most `max` bytes: returns them as soon as any have arrived; an
/// empty vector means the peer closed its side (end of file), except for
/// a `max` of 0, which returns an empty vector at once and takes nothing.
/// Bytes that arrived before the read started are returned at once: the
/// stream's readable bit stayed set.
///
/// ```python
/// def recv(sock, max):
///     while True:
///         try:
///             return sock.recv(max)
///         except BlockingIOError:
///             yield Readable(sock)
/// ```
///
/// ```text
///   +---------+  resume: read() == WouldBlock, yield Readable(fd)
///   | Reading | --+
///   +---------+ <-+
///        | read() == Ok(n) or Err(e), or Io(Err(e)): return it
///        v
///   +------+
///   | Done |
///   +------+
/// ```
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
/// // Client: connect, send "e2e4".
/// s.spawn(Connect::new(&io, addr).and_then(|r| {
///     WriteAll::new(Rc::new(r.expect("connect")), b"e2e4".to_vec())
/// }).map_return(|_| Vec::new()));
/// // Main: accept, read.
/// let got = s.run(Accept::new(listener).and_then(|r| {
///     Read::new(Rc::new(r.expect("accept").0), 64)
/// }).map_return(|r| r.expect("read")))?;
/// assert_eq!(got, b"e2e4");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct Read<T> {
    /// The stream, shared with the task that owns it.
    stream: Rc<TcpStream>,
    /// The most to read.
    max: usize,
    /// Whether it has returned.
    done: bool,
    /// The scheduler's result type, which the traps carry.
    _result: PhantomData<fn() -> T>,
}

impl<T> Read<T> {
    /// A read of at most `max` bytes from `stream`, not yet started.
    ///
    /// # Examples
    ///
    /// See [`Read`].
    pub fn new(stream: Rc<TcpStream>, max: usize) -> Read<T> {
        Read { stream, max, done: false, _result: PhantomData }
    }
}

impl<T> Coroutine<Reply<T>> for Read<T> {
    type Yield = Trap<T>;
    type Return = io::Result<Vec<u8>>;

    fn resume(&mut self, reply: Reply<T>) -> Resume<Trap<T>, io::Result<Vec<u8>>> {
        if self.done {
            return Err(ResumeError::AfterCompletion);
        }
        if !matches!(reply, Reply::Start)
            && let Err(e) = super::io_answer(reply)?
        {
            self.done = true;
            return Ok(CoroutineState::Complete(Err(e)));
        }
        let mut buf = vec![0u8; self.max];
        match self.stream.try_read(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Ok(CoroutineState::Yielded(Trap::Readable(self.stream.as_raw_fd())))
            }
            result => {
                self.done = true;
                Ok(CoroutineState::Complete(result.map(|n| {
                    buf.truncate(n);
                    buf
                })))
            }
        }
    }
}
