//! [`Accept`]: accept one connection, waiting for it cooperatively.

use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::{TcpListener, TcpStream};
use crate::{Coroutine, CoroutineState, Reply, Resume, ResumeError, Trap};

/// Accepts one connection on a listener: returns the new stream (registered
/// with the listener's scheduler) and the peer's address, or the error
/// `accept` gave. A `WouldBlock` clears the listener's readable bit, so the
/// `Readable` wait sleeps until the next connection's event.
///
/// ```python
/// def accept(listener):
///     while True:
///         try:
///             return listener.accept()
///         except BlockingIOError:
///             yield Readable(listener)
/// ```
///
/// ```text
///   +-------+  resume: accept() == WouldBlock, yield Readable(fd)  +---------+
///   | Start | ---------------------------------------------------> | Waiting | --+ resume(Io(Ok)):
///   +-------+                                                      +---------+ <-+ WouldBlock again
///       | accept() == Ok or Err: return it                              | accept() Ok / Err,
///       v                                                               | or Io(Err(e)): return it
///   +------+ <----------------------------------------------------------+
///   | Done |
///   +------+
/// ```
///
/// # Examples
///
/// ```
/// use simul_coro::net::{Accept, Connect, TcpListener};
/// use simul_coro::{Coroutine, Scheduler};
/// use std::rc::Rc;
///
/// let mut s = Scheduler::<bool>::new()?;
/// let io = s.io_handle();
/// let listener = Rc::new(TcpListener::bind(&io, "127.0.0.1:0".parse().unwrap())?);
/// let addr = listener.local_addr()?;
/// s.spawn(Connect::new(&io, addr).map_return(|r| r.is_ok()));
/// let accepted = s.run(Accept::new(listener).map_return(|r| r.is_ok()))?;
/// assert!(accepted);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct Accept<T> {
    /// The listener, shared with the task that owns it.
    listener: Rc<TcpListener>,
    /// Whether it has returned.
    done: bool,
    /// The scheduler's result type, which the traps carry.
    _result: PhantomData<fn() -> T>,
}

impl<T> Accept<T> {
    /// An accept on `listener`, not yet started.
    ///
    /// # Examples
    ///
    /// See [`Accept`].
    pub fn new(listener: Rc<TcpListener>) -> Accept<T> {
        Accept { listener, done: false, _result: PhantomData }
    }
}

impl<T> Coroutine<Reply<T>> for Accept<T> {
    type Yield = Trap<T>;
    type Return = io::Result<(TcpStream, SocketAddr)>;

    fn resume(&mut self, reply: Reply<T>) -> Resume<Trap<T>, Self::Return> {
        if self.done {
            return Err(ResumeError::AfterCompletion);
        }
        if !matches!(reply, Reply::Start)
            && let Err(e) = super::io_answer(reply)?
        {
            self.done = true;
            return Ok(CoroutineState::Complete(Err(e)));
        }
        match self.listener.try_accept() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Ok(CoroutineState::Yielded(Trap::Readable(self.listener.as_raw_fd())))
            }
            result => {
                self.done = true;
                Ok(CoroutineState::Complete(result))
            }
        }
    }
}
