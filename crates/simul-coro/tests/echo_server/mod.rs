//! The echo server both `echo.rs` and `real_signals.rs` run, written as
//! hand-rolled coroutines: an acceptor that spawns one `Echo` per
//! connection.
#![allow(dead_code, unreachable_pub)]

use std::rc::Rc;

use simul_coro::net::{Accept, Read, TcpListener, TcpStream, WriteAll};
use simul_coro::{
    Call, Coroutine, CoroutineState::*, Reply, Resume, ResumeError, TaskId, Trap, yield_from,
};

pub type R = Result<usize, String>;

/// ```python
/// def echo(conn):
///     total = 0
///     while data := (yield from recv(conn, 16 KiB)):
///         yield from sendall(conn, data)
///         total += len(data)
///     return total
/// ```
pub enum Echo {
    Reading { conn: Rc<TcpStream>, op: Read<R>, total: usize },
    Writing { conn: Rc<TcpStream>, op: WriteAll<R>, total: usize },
    Done,
}

impl Echo {
    pub fn new(conn: TcpStream) -> Echo {
        let conn = Rc::new(conn);
        Echo::Reading { op: Read::new(conn.clone(), 16 * 1024), conn, total: 0 }
    }
}

impl Coroutine<Reply<R>> for Echo {
    type Yield = Trap<R>;
    type Return = R;

    fn resume(&mut self, mut reply: Reply<R>) -> Resume<Trap<R>, R> {
        loop {
            match self {
                Echo::Reading { conn, op, total } => {
                    let data = match yield_from!(op, reply) {
                        Ok(data) => data,
                        Err(e) => return Ok(Complete(Err(format!("echo read: {e}")))),
                    };
                    if data.is_empty() {
                        let total = *total;
                        *self = Echo::Done;
                        return Ok(Complete(Ok(total)));
                    }
                    let (conn, total) = (conn.clone(), *total + data.len());
                    *self = Echo::Writing { op: WriteAll::new(conn.clone(), data), conn, total };
                }
                Echo::Writing { conn, op, total } => {
                    if let Err(e) = yield_from!(op, reply) {
                        return Ok(Complete(Err(format!("echo write: {e}"))));
                    }
                    let (conn, total) = (conn.clone(), *total);
                    *self = Echo::Reading { op: Read::new(conn.clone(), 16 * 1024), conn, total };
                }
                Echo::Done => return Err(ResumeError::AfterCompletion),
            }
            reply = Reply::Start;
        }
    }
}

/// Accepts `left` connections, spawning an `Echo` for each.
pub enum Server {
    Accepting { listener: Rc<TcpListener>, op: Accept<R>, left: usize },
    Spawning { listener: Rc<TcpListener>, op: Call<R, TaskId>, left: usize },
    Done,
}

impl Coroutine<Reply<R>> for Server {
    type Yield = Trap<R>;
    type Return = R;

    fn resume(&mut self, mut reply: Reply<R>) -> Resume<Trap<R>, R> {
        loop {
            match self {
                Server::Accepting { left: 0, .. } => {
                    *self = Server::Done;
                    return Ok(Complete(Ok(0)));
                }
                Server::Accepting { listener, op, left } => {
                    let conn = match yield_from!(op, reply) {
                        Ok((conn, _)) => conn,
                        Err(e) => return Ok(Complete(Err(format!("accept: {e}")))),
                    };
                    // Without this, echoed tails meet delayed ACKs (40 ms each).
                    if let Err(e) = conn.set_nodelay(true) {
                        return Ok(Complete(Err(format!("nodelay: {e}"))));
                    }
                    let (listener, left) = (listener.clone(), *left);
                    let op = Call::spawn(Box::new(Echo::new(conn)));
                    *self = Server::Spawning { listener, op, left };
                }
                Server::Spawning { listener, op, left } => {
                    yield_from!(op, reply);
                    let (listener, left) = (listener.clone(), *left - 1);
                    *self = Server::Accepting { op: Accept::new(listener.clone()), listener, left };
                }
                Server::Done => return Err(ResumeError::AfterCompletion),
            }
            reply = Reply::Start;
        }
    }
}
