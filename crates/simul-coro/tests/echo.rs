//! A real echo server and its clients, every socket operation a coroutine
//! yielding Readable / Writable: every byte sent comes back.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;

use simul_coro::net::{Accept, Connect, IoHandle, Read, TcpListener, TcpStream, WriteAll};

mod echo_server;
use echo_server::{R, Server};
use simul_coro::{
    Coroutine, CoroutineState::*, Reply, Resume, ResumeError, Scheduler, TaskId, Trap, yield_from,
};

/// Connects, sends `msg`, half-closes, reads until EOF; returns how many
/// bytes came back, after checking they are `msg`.
enum Client {
    Connecting { op: Connect<R>, msg: Rc<Vec<u8>> },
    Writing { conn: Rc<TcpStream>, op: WriteAll<R>, msg: Rc<Vec<u8>> },
    Reading { conn: Rc<TcpStream>, op: Read<R>, msg: Rc<Vec<u8>>, got: Vec<u8> },
    Done,
}

impl Coroutine<Reply<R>> for Client {
    type Yield = Trap<R>;
    type Return = R;

    fn resume(&mut self, mut reply: Reply<R>) -> Resume<Trap<R>, R> {
        loop {
            match self {
                Client::Connecting { op, msg } => {
                    let conn = match yield_from!(op, reply) {
                        Ok(conn) => Rc::new(conn),
                        Err(e) => return Ok(Complete(Err(format!("connect: {e}")))),
                    };
                    let msg = msg.clone();
                    let op = WriteAll::new(conn.clone(), msg.to_vec());
                    *self = Client::Writing { conn, op, msg };
                }
                Client::Writing { conn, op, msg } => {
                    if let Err(e) = yield_from!(op, reply) {
                        return Ok(Complete(Err(format!("client write: {e}"))));
                    }
                    if let Err(e) = conn.shutdown(Shutdown::Write) {
                        return Ok(Complete(Err(format!("shutdown: {e}"))));
                    }
                    let (conn, msg) = (conn.clone(), msg.clone());
                    let op = Read::new(conn.clone(), 16 * 1024);
                    *self = Client::Reading { conn, op, msg, got: Vec::new() };
                }
                Client::Reading { conn, op, msg, got } => {
                    let data = match yield_from!(op, reply) {
                        Ok(data) => data,
                        Err(e) => return Ok(Complete(Err(format!("client read: {e}")))),
                    };
                    if data.is_empty() {
                        let ok = **msg == *got;
                        let n = got.len();
                        *self = Client::Done;
                        return Ok(Complete(if ok { Ok(n) } else { Err("bytes differ".into()) }));
                    }
                    got.extend_from_slice(&data);
                    *op = Read::new(conn.clone(), 16 * 1024);
                }
                Client::Done => return Err(ResumeError::AfterCompletion),
            }
            reply = Reply::Start;
        }
    }
}

fn message(i: usize, len: usize) -> Rc<Vec<u8>> {
    Rc::new((0..len).map(|j| (i * 31 + j * 7) as u8).collect())
}

fn echo_round(clients: usize, len: usize) -> io::Result<Vec<R>> {
    let mut s = Scheduler::<R>::new()?;
    let io: IoHandle = s.io_handle();
    let listener = Rc::new(TcpListener::bind(&io, "127.0.0.1:0".parse::<SocketAddr>().unwrap())?);
    let addr = listener.local_addr()?;
    s.spawn(Server::Accepting { op: Accept::new(listener.clone()), listener, left: clients });
    let ids: Vec<TaskId> = (0..clients)
        .map(|i| s.spawn(Client::Connecting { op: Connect::new(&io, addr), msg: message(i, len) }))
        .collect();
    s.run_all().map_err(io::Error::other)?;
    Ok(ids.into_iter().map(|id| s.take_result(id).unwrap().unwrap()).collect())
}

#[test]
fn every_byte_sent_comes_back_to_twenty_concurrent_clients() {
    // 256 KiB each: more than loopback buffers hold at once, so writes are
    // partial and both sides wait for Writable as well as Readable.
    let len = 256 * 1024;
    let results = echo_round(20, len).unwrap();
    assert_eq!(results, vec![Ok(len); 20]);
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut s = Scheduler::<R>::new().unwrap();
    let r = s
        .run(
            Connect::new(&s.io_handle(), addr)
                .map_return(|r| r.map(|_| 0).map_err(|e| format!("{:?}", e.kind()))),
        )
        .unwrap();
    assert_eq!(r, Err("ConnectionRefused".to_string()));
}
