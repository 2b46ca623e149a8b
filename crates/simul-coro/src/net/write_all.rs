//! [`WriteAll`]: write a whole buffer, waiting for room cooperatively.

use std::io;
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::TcpStream;
use crate::{Coroutine, CoroutineState, Reply, Resume, ResumeError, Trap};

/// Writes all of a buffer, however many partial writes and waits that
/// takes. An empty buffer is written at once: the first resume completes
/// with `Ok(())`, sending nothing.
///
/// ```python
/// def sendall(sock, data):
///     while data:
///         try:
///             data = data[sock.send(data):]
///         except BlockingIOError:
///             yield Writable(sock)
/// ```
///
/// ```text
///   +------------------+  resume: write() == WouldBlock, yield Writable(fd)
///   | Writing{written} | --+   (a partial write advances `written` first)
///   +------------------+ <-+
///        | all written, a write error, or Io(Err(e)): return it
///        v
///   +------+
///   | Done |
///   +------+
/// ```
///
/// # Examples
///
/// See [`Read`](crate::net::Read).
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct WriteAll<T> {
    /// The stream, shared with the task that owns it.
    stream: Rc<TcpStream>,
    /// What to write.
    data: Vec<u8>,
    /// How much of `data` is written.
    written: usize,
    /// Whether it has returned.
    done: bool,
    /// The scheduler's result type, which the traps carry.
    _result: PhantomData<fn() -> T>,
}

impl<T> WriteAll<T> {
    /// A write of all of `data` to `stream`, not yet started.
    ///
    /// # Examples
    ///
    /// See [`Read`](crate::net::Read).
    pub fn new(stream: Rc<TcpStream>, data: Vec<u8>) -> WriteAll<T> {
        WriteAll { stream, data, written: 0, done: false, _result: PhantomData }
    }
}

impl<T> Coroutine<Reply<T>> for WriteAll<T> {
    type Yield = Trap<T>;
    type Return = io::Result<()>;

    fn resume(&mut self, reply: Reply<T>) -> Resume<Trap<T>, io::Result<()>> {
        if self.done {
            return Err(ResumeError::AfterCompletion);
        }
        if !matches!(reply, Reply::Start)
            && let Err(e) = super::io_answer(reply)?
        {
            self.done = true;
            return Ok(CoroutineState::Complete(Err(e)));
        }
        while self.written < self.data.len() {
            match self.stream.try_write(&self.data[self.written..]) {
                Ok(0) => {
                    self.done = true;
                    let e = io::Error::new(io::ErrorKind::WriteZero, "the socket accepted 0 bytes");
                    return Ok(CoroutineState::Complete(Err(e)));
                }
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(CoroutineState::Yielded(Trap::Writable(self.stream.as_raw_fd())));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Ok(CoroutineState::Complete(Err(e)));
                }
            }
        }
        self.done = true;
        Ok(CoroutineState::Complete(Ok(())))
    }
}
