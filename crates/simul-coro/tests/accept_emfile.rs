//! Reliability item 17 for coroutines: accepting when the process is out
//! of descriptors. `try_accept` (and so the accept loop's wake-up)
//! returns `EMFILE` as an error: the scheduler neither hangs nor panics
//! nor retries it on its own. An accept loop that backs off with
//! `Trap::Sleep` keeps the echo connection it has served, fails at most
//! once per back-off (so it does not spin), and accepts the queued client
//! once descriptors are free; every descriptor is closed at the end.
//!
//! The test lowers its own soft `RLIMIT_NOFILE`, then opens descriptors
//! until `EMFILE`, so the hogging is cheap whatever the limit was, and
//! restores it. Alone in its file: exhausting the process's descriptors
//! would break tests running beside it. Both ends of every connection are
//! the scheduler's sockets, so nothing here sees std's `Interrupted`
//! under scripts/eintr.sh.
#![cfg(target_os = "linux")]

use std::cell::Cell;
use std::fs::File;
use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::net::{Connect, Read, TcpListener, TcpStream, WriteAll};
use simul_coro::{Coroutine, CoroutineState::*, Reply, Scheduler, Task, Trap, from_fn};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// The accept loop's back-off after an `EMFILE`.
const BACK_OFF: Duration = Duration::from_millis(50);

type R = io::Result<Vec<u8>>;
type Sched = Scheduler<R>;

/// The highest open descriptor number.
fn highest_fd() -> libc::rlim_t {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<libc::rlim_t>().ok())
        .max()
        .unwrap()
}

/// Sets the soft descriptor limit, returning the old limits.
fn set_soft_limit(soft: libc::rlim_t) -> libc::rlimit {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into a live local.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) }, 0);
    let new = libc::rlimit { rlim_cur: soft.min(old.rlim_max), rlim_max: old.rlim_max };
    // SAFETY: setrlimit reads one rlimit from a live local.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) }, 0);
    old
}

/// Restores limits saved by [`set_soft_limit`].
fn restore_limit(old: &libc::rlimit) {
    // SAFETY: setrlimit reads one rlimit from a live reference.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, old) }, 0);
}

/// Echoes until end of stream.
fn echo(conn: TcpStream) -> Task<R> {
    let fd = conn.as_raw_fd();
    let mut pending: Vec<u8> = Vec::new();
    Box::new(from_fn(move |r: Reply<R>| {
        if let Reply::Io(Err(e)) = r {
            return Ok(Complete(Err(e)));
        }
        loop {
            if !pending.is_empty() {
                match conn.try_write(&pending) {
                    Ok(n) => drop(pending.drain(..n)),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Ok(Yielded(Trap::Writable(fd)));
                    }
                    Err(e) => return Ok(Complete(Err(e))),
                }
                continue;
            }
            let mut buf = [0u8; 256];
            match conn.try_read(&mut buf) {
                Ok(0) => return Ok(Complete(Ok(Vec::new()))),
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Ok(Yielded(Trap::Readable(fd)));
                }
                Err(e) => return Ok(Complete(Err(e))),
            }
        }
    }))
}

/// Accepts for ever, spawning (and detaching) an echo per connection;
/// after an `EMFILE`, counts it and sleeps `BACK_OFF` before trying again.
fn accept_loop(listener: TcpListener, errors: Rc<Cell<u32>>) -> Task<R> {
    let fd = listener.as_raw_fd();
    Box::new(from_fn(move |r: Reply<R>| {
        match r {
            // Start, a wake-up, the back-off over, a detached echo.
            Reply::Start | Reply::Io(Ok(())) | Reply::Woke | Reply::Detached(true) => {}
            Reply::Spawned(id) => return Ok(Yielded(Trap::Detach(id))),
            Reply::Io(Err(e)) => return Ok(Complete(Err(e))),
            other => panic!("accept loop: unexpected {other:?}"),
        }
        match listener.try_accept() {
            Ok((conn, _)) => Ok(Yielded(Trap::Spawn(echo(conn)))),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Yielded(Trap::Readable(fd))),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                errors.set(errors.get() + 1);
                Ok(Yielded(Trap::Sleep(BACK_OFF)))
            }
            Err(e) => Ok(Complete(Err(e))),
        }
    }))
}

fn connect(s: &mut Sched, addr: std::net::SocketAddr) -> Rc<TcpStream> {
    let io = s.io_handle();
    let stream = Rc::new(std::cell::RefCell::new(None));
    let out = stream.clone();
    s.run(Connect::new(&io, addr).map_return(move |r| {
        *out.borrow_mut() = Some(r?);
        Ok(Vec::new())
    }))
    .unwrap()
    .unwrap();
    let stream = stream.borrow_mut().take().unwrap();
    Rc::new(stream)
}

fn write_all(s: &mut Sched, conn: &Rc<TcpStream>, msg: &[u8]) {
    let write = WriteAll::new(conn.clone(), msg.to_vec()).map_return(|r| r.map(|()| Vec::new()));
    s.run(write).unwrap().unwrap();
}

fn read_exact(s: &mut Sched, conn: &Rc<TcpStream>, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        let more = s.run(Read::new(conn.clone(), n - got.len())).unwrap().unwrap();
        assert!(!more.is_empty(), "end of stream after {got:?}");
        got.extend(more);
    }
    got
}

fn round_trip(s: &mut Sched, conn: &Rc<TcpStream>, msg: &[u8]) {
    write_all(s, conn, msg);
    assert_eq!(read_exact(s, conn, msg.len()), msg);
}

fn sleep(s: &mut Sched, d: Duration) {
    s.run(from_fn(move |r: Reply<R>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(d))),
        _ => Ok(Complete(Ok(Vec::new()))),
    }))
    .unwrap()
    .unwrap();
}

#[test]
fn accept_under_emfile_is_an_error_the_loop_backs_off_and_recovers() {
    let fds = FdSnapshot::take();
    let (errors, elapsed) = {
        let mut s = Sched::new().unwrap();
        let listener = TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let errors = Rc::new(Cell::new(0));
        s.spawn(accept_loop(listener, errors.clone()));
        let a = connect(&mut s, addr);
        round_trip(&mut s, &a, b"before");

        // The limit bounds descriptor numbers: a little above the highest
        // in use. Then hold every descriptor but one, which `b` takes.
        let old = set_soft_limit(highest_fd() + 32);
        let mut hog = Vec::new();
        loop {
            match File::open("/dev/null") {
                Ok(f) => hog.push(f),
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                    break;
                }
            }
        }
        hog.pop();
        let start = s.now();
        let b = connect(&mut s, addr);
        write_all(&mut s, &b, b"queued");
        // The server cannot accept `b`, and `a` is still served.
        for i in 0..5 {
            round_trip(&mut s, &a, format!("during {i}").as_bytes());
            sleep(&mut s, Duration::from_millis(40));
        }
        assert!(errors.get() >= 1, "accept never reported EMFILE");

        // Descriptors come back; after at most one back-off `b` is
        // accepted and its queued bytes echoed.
        drop(hog);
        restore_limit(&old);
        assert_eq!(read_exact(&mut s, &b, 6), b"queued");
        round_trip(&mut s, &a, b"after");
        let elapsed = s.now() - start;
        drop((a, b));
        // Dropping the scheduler drops the accept loop (and the listener)
        // and the echoes still waiting.
        (errors.get(), elapsed)
    };
    // Sleeps are never early, so a loop that backs off can fail at most
    // once per back-off (plus the first try); a spinning one would fail
    // thousands of times.
    let most = (elapsed.as_nanos() / BACK_OFF.as_nanos()) as u32 + 1;
    eprintln!("{errors} EMFILE errors in {elapsed:?} (at most {most} allowed)");
    assert!(errors <= most, "{errors} EMFILE errors in {elapsed:?}: the accept loop spins");
    assert_no_leaks(&fds);
}
