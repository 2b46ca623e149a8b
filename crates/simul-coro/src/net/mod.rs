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
//! A hand-written coroutine can also use the sockets' `try_read` /
//! `try_write` / `try_accept` directly and yield the waits itself.
//!
//! Readiness is a hint: after a wake-up an operation tries again and may
//! be told `WouldBlock` once more, in which case it simply waits again.
//!
//! ## Registered once
//!
//! The sockets here ([`TcpListener`], [`TcpStream`]) are registered with
//! their scheduler's reactor once, edge-triggered for both directions,
//! when they are made, and deregistered when they are dropped: two
//! `epoll_ctl` calls per socket, none per wait. The scheduler keeps each
//! one's readiness (a readable and a writable bit, the idea of tokio's
//! `ScheduledIo` and async-io's `Source`):
//!
//! ```text
//!              event: set the bit            Readable(fd) with the bit set:
//!          +------------------------+        answered at once
//!          |                        v
//!   +-------------+  WouldBlock  +---------+
//!   | not ready   | <----------- |  ready  | <-- at registration (unknown
//!   +-------------+  (or a short +---------+     counts as ready)
//!     Readable(fd): the task       read that proves the queue empty)
//!     waits for the next event
//! ```
//!
//! A socket reaches its scheduler through an [`IoHandle`]
//! ([`Scheduler::io_handle`](crate::Scheduler::io_handle)), not through a
//! trap: dropping a socket must deregister it at once, and `Drop` cannot
//! yield. Dropping (or closing) a socket while another task waits on its
//! descriptor wakes that task with `ConnectionAborted`.

mod accept;
mod connect;
mod io_handle;
mod read;
mod registration;
mod sources;
mod tcp_listener;
mod tcp_stream;
mod write_all;

pub use accept::Accept;
pub use connect::Connect;
pub use io_handle::IoHandle;
pub use read::Read;
pub(crate) use sources::{Direction, Sources, WaitOutcome};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
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
