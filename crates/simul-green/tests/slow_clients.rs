//! Reliability item 21 for green threads: slow clients. The hub has no
//! timeout primitive, so the echo server builds its read timeout the way
//! gevent programs do: beside each connection's reader runs a watchdog
//! green thread that sleeps until the connection has been silent for
//! `READ_TIMEOUT` (sleeping again for the rest after every byte) and then
//! kills the reader, whose stack unwinds and drops, so closes, the
//! connection. A reader that reaches end of stream kills its watchdog.
//!
//! Slow clients send one byte a second (on the virtual clock), longer
//! than the timeout, at most `SLOW_BYTES` of them: each is closed after
//! its first byte, and sees end of stream. Normal clients beside them,
//! whose round trips come faster than the timeout but span four timeouts
//! in all, get every byte back and are never cut off. The test asserts
//! who was closed and who got full echoes, by address; on the virtual
//! clock the close also comes exactly one timeout after the byte.
//!
//! Every socket, clients' and server's, is the hub's own, so none can
//! see std's `Interrupted` under scripts/eintr.sh.
//!
//! CI size: 20 slow and 10 normal clients. `SIMUL_FULL=1`: 1,000 and 100
//! (about 2,200 descriptors: raise `ulimit -n` above the usual 1,024).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use simul_green::net::{TcpListener, TcpStream};
use simul_green::{Hub, JoinHandle};
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

fn now() -> Instant {
    simul_green::now().unwrap()
}

/// How a connection ended, as the server saw it.
#[derive(Debug, PartialEq)]
enum Served {
    /// Silent for this long, then its reader was killed by the watchdog.
    TimedOut(Duration),
    /// The client closed after this many echoed bytes.
    Finished(usize),
}

/// Serves one connection: an echoing reader and its watchdog. Records how
/// it ended under the client's address.
fn serve(
    conn: TcpStream,
    client: SocketAddr,
    served: Rc<RefCell<BTreeMap<SocketAddr, Served>>>,
) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let last = Rc::new(Cell::new(now()));
    let watchdog: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let (l, w, s) = (last.clone(), watchdog.clone(), served.clone());
    let reader = simul_green::spawn(move || -> std::io::Result<()> {
        let mut conn = conn; // dropped, so closed, however the reader ends
        let mut buf = [0u8; 1024];
        let mut total = 0;
        loop {
            let n = conn.read(&mut buf)?;
            if n == 0 {
                s.borrow_mut().insert(client, Served::Finished(total));
                // Not needed any more; `kill` waits for its unwinding.
                if let Some(w) = w.borrow_mut().take() {
                    w.kill().map_err(std::io::Error::from)?;
                }
                return Ok(());
            }
            l.set(now());
            total += n;
            conn.write_all(&buf[..n])?;
        }
    })?;
    *watchdog.borrow_mut() = Some(simul_green::spawn(move || {
        loop {
            let deadline = last.get() + READ_TIMEOUT;
            if now() >= deadline {
                break;
            }
            // Killed here when the reader ends first.
            simul_green::sleep(deadline - now()).unwrap();
        }
        served.borrow_mut().insert(client, Served::TimedOut(now() - last.get()));
        reader.kill().unwrap(); // unwinds the reader: its `conn` closes
        match reader.join() {
            Err(simul_green::Error::Killed) => {}
            other => panic!("the reader ended otherwise: {other:?}"),
        }
    })?);
    Ok(())
}

/// How a slow client's connection ended, as it saw it.
#[derive(Debug, PartialEq)]
enum Slow {
    /// End of stream this long after its byte was echoed.
    Closed(Duration),
    /// Still open after `SLOW_BYTES` bytes.
    NeverClosed,
}

/// Reads into `buf` for at most `limit`: `None` if nothing came. A helper
/// green thread reads; it is killed if the time runs out.
fn read_within(conn: &Rc<TcpStream>, limit: Duration) -> std::io::Result<Option<(usize, Instant)>> {
    let c = conn.clone();
    let read = simul_green::spawn(move || -> std::io::Result<(usize, Instant)> {
        let mut buf = [0u8; 16];
        let n = (&*c).read(&mut buf)?;
        Ok((n, now()))
    })?;
    simul_green::sleep(limit)?;
    if read.is_finished() {
        return Ok(Some(read.join().map_err(std::io::Error::from)??));
    }
    read.kill().map_err(std::io::Error::from)?;
    Ok(None)
}

/// Sends a byte, gets it back, and waits `SLOW_GAP` for the server to
/// close before sending the next.
fn slow_client(addr: SocketAddr) -> std::io::Result<(SocketAddr, Slow)> {
    let conn = Rc::new(TcpStream::connect(addr)?);
    conn.set_nodelay(true)?;
    let me = conn.local_addr()?;
    for _ in 0..SLOW_BYTES {
        (&*conn).write_all(b"s")?;
        let mut back = [0u8; 1];
        (&*conn).read_exact(&mut back)?;
        assert_eq!(&back, b"s");
        let echoed = now();
        match read_within(&conn, SLOW_GAP)? {
            Some((0, at)) => return Ok((me, Slow::Closed(at - echoed))),
            Some((n, _)) => panic!("the server sent {n} bytes more than the echo"),
            None => continue,
        }
    }
    Ok((me, Slow::NeverClosed))
}

/// `ROUNDS` round trips of `MSG` bytes, `NORMAL_GAP` apart, every byte
/// checked; then a half-close and the server's end of stream.
fn normal_client(addr: SocketAddr, seed: u8) -> std::io::Result<SocketAddr> {
    let mut conn = TcpStream::connect(addr)?;
    conn.set_nodelay(true)?;
    let me = conn.local_addr()?;
    for round in 0..ROUNDS as u8 {
        let msg: Vec<u8> = (0..MSG as u8).map(|i| seed ^ round ^ i).collect();
        conn.write_all(&msg)?;
        let mut back = vec![0u8; MSG];
        conn.read_exact(&mut back)?;
        assert_eq!(back, msg, "client {seed} round {round}");
        simul_green::sleep(NORMAL_GAP)?;
    }
    conn.shutdown(Shutdown::Write)?;
    let mut rest = [0u8; 1];
    match conn.read(&mut rest) {
        Ok(0) => Ok(me),
        Ok(n) => panic!("client {seed}: {n} bytes after the echoes"),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => panic!("client {seed} was cut off"),
        Err(e) => Err(e),
    }
}

#[test]
fn slow_clients_are_closed_by_a_watchdog_and_normal_ones_get_every_byte() {
    let fds = FdSnapshot::take();
    let (slow, normal) = sizes();
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    let (served, slow_ends, normal_addrs) = hub
        .run(move || -> std::io::Result<_> {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
            let addr = listener.local_addr()?;
            let served = Rc::new(RefCell::new(BTreeMap::new()));
            let s = served.clone();
            let server = simul_green::spawn(move || -> std::io::Result<()> {
                for _ in 0..slow + normal {
                    let (conn, client) = listener.accept()?;
                    serve(conn, client, s.clone())?;
                }
                Ok(())
            })?;
            let slow_clients: Vec<_> = (0..slow)
                .map(|_| simul_green::spawn(move || slow_client(addr)))
                .collect::<Result<_, _>>()?;
            let normal_clients: Vec<_> = (0..normal)
                .map(|i| simul_green::spawn(move || normal_client(addr, i as u8)))
                .collect::<Result<_, _>>()?;
            let mut slow_ends = Vec::new();
            for c in slow_clients {
                slow_ends.push(c.join().map_err(std::io::Error::from)??);
            }
            let mut normal_addrs = Vec::new();
            for c in normal_clients {
                normal_addrs.push(c.join().map_err(std::io::Error::from)??);
            }
            server.join().map_err(std::io::Error::from)??;
            // Let the last watchdogs and readers finish their bookkeeping.
            while served.borrow().len() < slow + normal {
                simul_green::sleep(READ_TIMEOUT)?;
            }
            let served = served.take();
            Ok((served, slow_ends, normal_addrs))
        })
        .unwrap()
        .unwrap();
    assert_eq!(served.len(), slow + normal);
    // Every slow client was closed by the server's watchdog, after its
    // first byte, exactly one timeout after it (virtual clock).
    for (addr, end) in &slow_ends {
        assert_eq!(end, &Slow::Closed(READ_TIMEOUT), "slow client {addr}");
        assert_eq!(served.get(addr), Some(&Served::TimedOut(READ_TIMEOUT)), "slow client {addr}");
    }
    // Every normal client got all its bytes back and closed by itself.
    for addr in &normal_addrs {
        assert_eq!(served.get(addr), Some(&Served::Finished(ROUNDS * MSG)), "normal client {addr}");
    }
    drop(hub);
    assert_no_leaks(&fds);
}
