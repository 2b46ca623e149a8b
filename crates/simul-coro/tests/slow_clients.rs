//! Reliability item 21 for coroutines: slow clients. The coroutine style
//! has no timeout primitive (a task waits on one thing at a time), so the
//! echo server builds its read timeout the way the style does it: beside
//! each connection's reader runs a watchdog task that sleeps until the
//! connection has been idle for `READ_TIMEOUT`, re-arming itself after
//! every byte, and then cancels the reader, which drops (and so closes)
//! the connection. A reader that reaches end of stream cancels its
//! watchdog.
//!
//! Slow clients send one byte a second, longer than the timeout: each is
//! closed exactly one timeout after its byte (on the virtual clock) and
//! sees end of stream after its first byte. Normal clients beside them,
//! whose round trips come faster than the timeout but span many timeouts
//! in all, get every byte back and are never cut off.
//!
//! Every socket, clients' and server's, is the scheduler's own, so none
//! can see std's `Interrupted` under scripts/eintr.sh.
//!
//! CI size: 20 slow and 10 normal clients. `SIMUL_FULL=1`: 1,000 and 100
//! (about 2,200 descriptors: raise `ulimit -n` above the usual 1,024).

use std::cell::{Cell, RefCell};
use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::net::{TcpListener, TcpStream};
use simul_coro::{CoroutineState::*, Reply, Scheduler, Task, TaskId, Trap, from_fn};
use simul_reactor::{Clock, Instant};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// The server's read timeout: the longest a connection may stay silent.
const READ_TIMEOUT: Duration = Duration::from_millis(500);
/// How often a slow client sends its byte: longer than the timeout.
const SLOW_GAP: Duration = Duration::from_secs(1);
/// The most bytes a slow client sends before giving up on being closed.
const SLOW_BYTES: usize = 5;
/// A normal client's round trips, `NORMAL_GAP` apart: 2 s in all, four
/// timeouts, with no silence as long as one.
const ROUNDS: usize = 20;
const NORMAL_GAP: Duration = Duration::from_millis(100);
const MSG: usize = 64;

/// (slow clients, normal clients): CI size, or `SIMUL_FULL=1`.
fn sizes() -> (usize, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (1000, 100) } else { (20, 10) }
}

/// Every task's result: what went wrong, if anything.
type R = Result<(), String>;

/// How a connection ended, as the server saw it.
#[derive(Debug, PartialEq)]
enum Served {
    /// Silent for this long, then closed by its watchdog.
    TimedOut(Duration),
    /// The client closed after this many echoed bytes.
    Finished(usize),
}

/// What a connection's reader and watchdog share.
struct Conn {
    /// When the reader last got bytes (or the connection was accepted).
    last: Cell<Instant>,
    /// The watchdog, for the reader to cancel at end of stream.
    watchdog: Cell<Option<TaskId>>,
}

/// Echoes until end of stream, noting the time of every read.
fn reader(
    conn: TcpStream,
    shared: Rc<Conn>,
    clock: Clock,
    served: Rc<RefCell<Vec<Served>>>,
) -> Task<R> {
    let fd = conn.as_raw_fd();
    let mut pending: Vec<u8> = Vec::new();
    let mut total = 0;
    let mut ended = false;
    Box::new(from_fn(move |r: Reply<R>| {
        match r {
            Reply::Io(Err(e)) => return Ok(Complete(Err(format!("server: {e}")))),
            Reply::Cancelled(_) => return Ok(Complete(Ok(()))),
            _ => {}
        }
        loop {
            if ended {
                // End of stream: stop the watchdog; dropping `conn` closes it.
                let watchdog = shared.watchdog.get().expect("the watchdog was spawned");
                return Ok(Yielded(Trap::Cancel(watchdog)));
            }
            if !pending.is_empty() {
                match conn.try_write(&pending) {
                    Ok(n) => drop(pending.drain(..n)),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Ok(Yielded(Trap::Writable(fd)));
                    }
                    Err(e) => return Ok(Complete(Err(format!("server write: {e}")))),
                }
                continue;
            }
            let mut buf = [0u8; 1024];
            match conn.try_read(&mut buf) {
                Ok(0) => {
                    served.borrow_mut().push(Served::Finished(total));
                    ended = true;
                }
                Ok(n) => {
                    shared.last.set(clock.now());
                    total += n;
                    pending.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Ok(Yielded(Trap::Readable(fd)));
                }
                Err(e) => return Ok(Complete(Err(format!("server read: {e}")))),
            }
        }
    }))
}

/// Sleeps until the connection has been silent for `READ_TIMEOUT`, then
/// cancels its reader.
fn watchdog(
    reader: TaskId,
    shared: Rc<Conn>,
    clock: Clock,
    served: Rc<RefCell<Vec<Served>>>,
) -> Task<R> {
    let mut idle = Duration::ZERO;
    Box::new(from_fn(move |r: Reply<R>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(READ_TIMEOUT))),
        Reply::Woke => {
            idle = clock.now() - shared.last.get();
            if idle >= READ_TIMEOUT {
                Ok(Yielded(Trap::Cancel(reader)))
            } else {
                Ok(Yielded(Trap::Sleep(READ_TIMEOUT - idle)))
            }
        }
        Reply::Cancelled(true) => {
            served.borrow_mut().push(Served::TimedOut(idle));
            Ok(Complete(Ok(())))
        }
        other => Ok(Complete(Err(format!("watchdog: unexpected {other:?}")))),
    }))
}

/// Accepts `n` connections; each gets a reader and a watchdog, detached.
fn server(
    listener: TcpListener,
    n: usize,
    clock: Clock,
    served: Rc<RefCell<Vec<Served>>>,
) -> Task<R> {
    let fd = listener.as_raw_fd();
    let mut accepted = 0;
    let mut conn: Option<Rc<Conn>> = None;
    let mut reader_id = None;
    Box::new(from_fn(move |r: Reply<R>| {
        match r {
            Reply::Start | Reply::Io(Ok(())) => {}
            Reply::Io(Err(e)) => return Ok(Complete(Err(format!("accept wait: {e}")))),
            Reply::Spawned(id) if reader_id.is_none() => {
                // The reader: now its watchdog.
                reader_id = Some(id);
                let shared = conn.clone().unwrap();
                return Ok(Yielded(Trap::Spawn(watchdog(
                    id,
                    shared,
                    clock.clone(),
                    served.clone(),
                ))));
            }
            Reply::Spawned(id) => {
                conn.take().unwrap().watchdog.set(Some(id));
                return Ok(Yielded(Trap::Detach(id)));
            }
            Reply::Detached(true) => {
                if let Some(id) = reader_id.take() {
                    return Ok(Yielded(Trap::Detach(id)));
                }
                accepted += 1;
                if accepted == n {
                    return Ok(Complete(Ok(())));
                }
            }
            other => return Ok(Complete(Err(format!("server: unexpected {other:?}")))),
        }
        match listener.try_accept() {
            Ok((stream, _)) => {
                stream.set_nodelay(true).unwrap();
                let shared =
                    Rc::new(Conn { last: Cell::new(clock.now()), watchdog: Cell::new(None) });
                conn = Some(shared.clone());
                Ok(Yielded(Trap::Spawn(reader(stream, shared, clock.clone(), served.clone()))))
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Yielded(Trap::Readable(fd))),
            Err(e) => Ok(Complete(Err(format!("accept: {e}")))),
        }
    }))
}

/// A client connection, registered with the scheduler; the connect
/// completes in the background (the first write waits for it).
fn connect(s: &Scheduler<R>, addr: SocketAddr) -> TcpStream {
    let raw = simul_reactor::net::TcpStream::connect(addr).unwrap();
    let conn = TcpStream::from_reactor(&s.io_handle(), raw).unwrap();
    conn.set_nodelay(true).unwrap();
    conn
}

/// What a client is doing.
#[derive(Clone, Copy)]
enum Step {
    /// Sending its bytes.
    Write,
    /// Reading their echo.
    Read,
    /// About to sleep.
    Pause,
    /// Slow client: looking for end of stream after the sleep. Normal
    /// client: closing its side.
    Check,
    /// Normal client: waiting for the server's end of stream.
    Eof,
}

/// Sends one byte, reads its echo, sleeps `SLOW_GAP`, and checks whether
/// the server closed the connection meanwhile; `closed_after` gets how
/// many bytes it had sent when it saw end of stream.
fn slow_client(conn: TcpStream, closed_after: Rc<RefCell<Vec<usize>>>) -> Task<R> {
    let fd = conn.as_raw_fd();
    let mut step = Step::Write;
    let mut sent = 0;
    Box::new(from_fn(move |r: Reply<R>| {
        if let Reply::Io(Err(e)) = r {
            return Ok(Complete(Err(format!("slow client: {e}"))));
        }
        loop {
            let mut byte = [0u8; 1];
            match step {
                Step::Write => match conn.try_write(b"s") {
                    Ok(1) => {
                        sent += 1;
                        step = Step::Read;
                    }
                    Ok(_) => return Ok(Complete(Err("slow client: wrote nothing".into()))),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Ok(Yielded(Trap::Writable(fd)));
                    }
                    Err(e) => return Ok(Complete(Err(format!("slow client write: {e}")))),
                },
                Step::Read => match conn.try_read(&mut byte) {
                    Ok(1) if &byte == b"s" => step = Step::Pause,
                    Ok(n) => return Ok(Complete(Err(format!("slow client: echo {n} {byte:?}")))),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Ok(Yielded(Trap::Readable(fd)));
                    }
                    Err(e) => return Ok(Complete(Err(format!("slow client read: {e}")))),
                },
                Step::Pause => {
                    step = Step::Check;
                    return Ok(Yielded(Trap::Sleep(SLOW_GAP)));
                }
                Step::Check => match conn.try_read(&mut byte) {
                    Ok(0) => {
                        closed_after.borrow_mut().push(sent);
                        return Ok(Complete(Ok(())));
                    }
                    Ok(_) => return Ok(Complete(Err("slow client: unexpected bytes".into()))),
                    Err(e) if e.kind() == ErrorKind::WouldBlock && sent < SLOW_BYTES => {
                        step = Step::Write; // not closed: the next slow byte
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Ok(Complete(Err(format!("slow client: open after {sent} bytes"))));
                    }
                    Err(e) => return Ok(Complete(Err(format!("slow client check: {e}")))),
                },
                Step::Eof => return Ok(Complete(Err("slow client: no such step".into()))),
            }
        }
    }))
}

/// `ROUNDS` round trips of `MSG` bytes, `NORMAL_GAP` apart, every byte
/// checked; then closes its side and waits for the server's end.
fn normal_client(conn: TcpStream, seed: u8) -> Task<R> {
    let fd = conn.as_raw_fd();
    let mut step = Step::Write;
    let mut round = 0;
    let mut msg: Vec<u8> = Vec::new();
    let mut done = 0; // bytes of `msg` written, then read back
    let mut back: Vec<u8> = Vec::new();
    Box::new(from_fn(move |r: Reply<R>| {
        if let Reply::Io(Err(e)) = r {
            return Ok(Complete(Err(format!("client {seed}: {e}"))));
        }
        loop {
            match step {
                Step::Write => {
                    if done == 0 {
                        msg = (0..MSG as u8).map(|i| seed ^ round as u8 ^ i).collect();
                    }
                    match conn.try_write(&msg[done..]) {
                        Ok(n) => done += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            return Ok(Yielded(Trap::Writable(fd)));
                        }
                        Err(e) => return Ok(Complete(Err(format!("client {seed} write: {e}")))),
                    }
                    if done == MSG {
                        done = 0;
                        back.clear();
                        step = Step::Read;
                    }
                }
                Step::Read => {
                    let mut buf = [0u8; MSG];
                    match conn.try_read(&mut buf[..MSG - back.len()]) {
                        Ok(0) => {
                            let e = format!("client {seed} cut off in round {round}");
                            return Ok(Complete(Err(e)));
                        }
                        Ok(n) => back.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            return Ok(Yielded(Trap::Readable(fd)));
                        }
                        Err(e) => return Ok(Complete(Err(format!("client {seed} read: {e}")))),
                    }
                    if back.len() == MSG {
                        if back != msg {
                            return Ok(Complete(Err(format!("client {seed} round {round}"))));
                        }
                        round += 1;
                        step = if round == ROUNDS { Step::Check } else { Step::Pause };
                    }
                }
                Step::Pause => {
                    step = Step::Write;
                    return Ok(Yielded(Trap::Sleep(NORMAL_GAP)));
                }
                Step::Check => {
                    if let Err(e) = conn.shutdown(Shutdown::Write) {
                        return Ok(Complete(Err(format!("client {seed} shutdown: {e}"))));
                    }
                    step = Step::Eof;
                }
                Step::Eof => match conn.try_read(&mut [0u8; 1]) {
                    Ok(0) => return Ok(Complete(Ok(()))),
                    Ok(_) => return Ok(Complete(Err(format!("client {seed}: bytes after")))),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Ok(Yielded(Trap::Readable(fd)));
                    }
                    Err(e) => return Ok(Complete(Err(format!("client {seed} eof: {e}")))),
                },
            }
        }
    }))
}

#[test]
fn slow_clients_are_closed_by_a_watchdog_and_normal_ones_are_served_fully() {
    let fds = FdSnapshot::take();
    let (slow, normal) = sizes();
    {
        let mut s = Scheduler::<R>::with_clock(Clock::new_virtual()).unwrap();
        let clock = s.clock().clone();
        let listener = TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Rc::new(RefCell::new(Vec::new()));
        let closed_after = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = vec![s.spawn(server(listener, slow + normal, clock, served.clone()))];
        for i in 0..slow.max(normal) {
            if i < slow {
                tasks.push(s.spawn(slow_client(connect(&s, addr), closed_after.clone())));
            }
            if i < normal {
                tasks.push(s.spawn(normal_client(connect(&s, addr), i as u8)));
            }
        }
        s.run_all().unwrap();
        for id in tasks {
            assert_eq!(s.take_result(id), Some(Ok(Ok(()))));
        }
        let served = served.borrow();
        let timed_out: Vec<_> =
            served.iter().filter(|s| matches!(s, Served::TimedOut(_))).collect();
        let finished: Vec<_> = served.iter().filter(|s| matches!(s, Served::Finished(_))).collect();
        assert_eq!(timed_out.len(), slow, "{served:?}");
        assert_eq!(finished.len(), normal, "{served:?}");
        // Each slow client was closed exactly one timeout after its byte
        // (the virtual clock makes that exact), and saw it at its first
        // check, after one byte.
        assert!(timed_out.iter().all(|s| **s == Served::TimedOut(READ_TIMEOUT)), "{timed_out:?}");
        assert_eq!(*closed_after.borrow(), vec![1; slow]);
        // Normal clients were never cut off: every byte echoed, then
        // their own close, seen by the server as end of stream.
        assert!(finished.iter().all(|s| **s == Served::Finished(ROUNDS * MSG)), "{finished:?}");
        assert_eq!(s.live_tasks(), 0);
    }
    assert_no_leaks(&fds);
}
