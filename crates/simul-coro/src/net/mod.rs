//! Non-blocking TCP as coroutines: each operation tries the socket, and
//! when the socket says `WouldBlock` it yields
//! [`Trap::Readable`](crate::Trap::Readable) or
//! [`Trap::Writable`](crate::Trap::Writable) and tries again when resumed.
//!
//! This is the whole trick of an event loop's sockets, in the generator
//! style: Python's
//!
//! ```python
//! def recv(sock, n):
//!     while True:
//!         try:
//!             return sock.recv(n)
//!         except BlockingIOError:
//!             yield Readable(sock.fileno())   # curio: yield from _read_wait(sock)
//! ```
//!
//! Every operation is a sub-coroutine returning an `io::Result`, meant to
//! be driven with [`yield_from!`](crate::yield_from!) (or sequenced with
//! [`and_then`](crate::Coroutine::and_then)). Sockets are shared through
//! `Rc`, as a Python program shares socket objects: an operation holds the
//! socket while it runs, and the task keeps it between operations.
//!
//! Readiness is a hint: after a wake-up an operation tries again and may
//! be told `WouldBlock` once more, in which case it simply waits again.

mod accept;
mod connect;
mod read;
mod write_all;

pub use accept::Accept;
pub use connect::Connect;
pub use read::Read;
pub use write_all::WriteAll;

use std::io;

use crate::{Reply, ResumeError};

/// What a waiting operation makes of its reply: `Ok(Ok(()))` try again,
/// `Ok(Err(e))` the wait failed with `e`, `Err` the reply was not an I/O
/// answer at all.
fn io_answer<T>(reply: Reply<T>) -> Result<io::Result<()>, ResumeError> {
    match reply {
        Reply::Io(res) => Ok(res),
        _ => Err(ResumeError::UnexpectedInput { expected: "Reply::Io" }),
    }
}
