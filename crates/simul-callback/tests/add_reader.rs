//! add_reader / add_writer: asyncio's level-triggered semantics on the
//! edge-triggered reactor, removal, replacement and misuse.
//!
//! Every test holds `SERIAL`: some close descriptors and expect their
//! numbers to stay free, or to come back to them, and one finds the loop's
//! epoll descriptor by what appears in /proc/self/fd; another test of this
//! binary opening descriptors meanwhile would disturb them.

mod util;

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use simul_callback::EventLoop;
use util::{Trace, virtual_loop};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// The reader reads one byte per call and is called again, one iteration
/// later, as long as bytes remain; once drained it is not called at all
/// (a call that found nothing would log "WouldBlock").
#[test]
fn a_reader_is_called_while_the_fd_stays_readable() {
    let _serial = serial();
    let mut lp = EventLoop::new().unwrap();
    let (mut rx, mut tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    tx.write_all(b"abc").unwrap();
    let t = Trace::new();
    let t2 = t.clone();
    let iteration = Rc::new(Cell::new(0u32));
    // Counts iterations: reschedules itself once per iteration.
    fn tick(lp: &mut EventLoop, n: Rc<Cell<u32>>) {
        n.set(n.get() + 1);
        let _ = lp.call_soon(move |lp| tick(lp, n));
    }
    let it = iteration.clone();
    let _ = lp.call_soon(move |lp| tick(lp, it));
    let it = iteration.clone();
    lp.add_reader(rx.as_raw_fd(), move |_| {
        let mut b = [0; 1];
        match rx.read(&mut b) {
            Ok(1) => t2.log(format!("{} in iteration {}", b[0] as char, it.get())),
            Ok(_) => t2.log("eof"),
            Err(e) if e.kind() == ErrorKind::WouldBlock => t2.log("WouldBlock"),
            Err(e) => panic!("{e}"),
        }
    })
    .unwrap();
    // Leave time for spurious calls to show up, then stop.
    let _ = lp.call_later(Duration::from_millis(30), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["a in iteration 1", "b in iteration 2", "c in iteration 3"]);
    drop(tx);
}

#[test]
fn hang_up_reaches_the_reader_as_end_of_file() {
    let _serial = serial();
    let mut lp = virtual_loop();
    let (mut rx, tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    let fd = rx.as_raw_fd();
    let t = Trace::new();
    let t2 = t.clone();
    lp.add_reader(fd, move |lp| {
        let mut b = [0; 8];
        t2.log(format!("read {:?}", rx.read(&mut b).map_err(|e| e.kind())));
        lp.remove_reader(fd);
        lp.stop();
    })
    .unwrap();
    drop(tx);
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["read Ok(0)"]);
}

/// Iteration 1 makes the fd readable and schedules `remover`; in
/// iteration 2 the queue is `[remover, reader]` (the poll saw the fd), and
/// `remover` removes the reader before its turn: it must not run.
#[test]
fn remove_reader_skips_a_reader_already_queued() {
    let _serial = serial();
    let mut lp = virtual_loop();
    let (rx, tx) = UnixStream::pair().unwrap();
    let fd = rx.as_raw_fd();
    let t = Trace::new();
    let t2 = t.clone();
    lp.add_reader(fd, move |_| t2.log("reader")).unwrap();
    let t2 = t.clone();
    let mut tx = Some(tx);
    let _ = lp.call_soon(move |lp| {
        tx.as_mut().unwrap().write_all(b"x").unwrap();
        t2.log("write");
        let t3 = t2.clone();
        let _ = lp.call_soon(move |lp| {
            t3.log("remover");
            assert!(lp.remove_reader(fd));
            assert!(!lp.remove_reader(fd));
        });
        // Keep the writer open until well after.
        let _ = lp.call_later(Duration::from_secs(1), move |lp| {
            drop(tx.take());
            lp.stop();
        });
    });
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["write", "remover"]);
}

#[test]
fn replacing_a_reader_and_reader_plus_writer_on_one_fd() {
    let _serial = serial();
    let mut lp = virtual_loop();
    let (mut rx, mut tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    tx.write_all(b"x").unwrap();
    let fd = rx.as_raw_fd();
    let t = Trace::new();
    lp.add_reader(fd, |_| unreachable!("replaced")).unwrap();
    let t2 = t.clone();
    lp.add_reader(fd, move |lp| {
        let mut b = [0; 1];
        rx.read_exact(&mut b).unwrap();
        t2.log("new reader");
        lp.remove_reader(fd);
    })
    .unwrap();
    let t2 = t.clone();
    lp.add_writer(fd, move |lp| {
        t2.log("writer");
        lp.remove_writer(fd);
        lp.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["new reader", "writer"]);
    assert!(!lp.remove_writer(fd));
    drop(tx);
}

#[test]
fn misuse_is_an_error_and_changes_nothing() {
    let _serial = serial();
    let mut lp = virtual_loop();
    assert_eq!(lp.add_reader(-1, |_| {}).unwrap_err().kind(), ErrorKind::InvalidInput);
    #[cfg(target_os = "linux")]
    {
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert!(lp.add_reader(file.as_raw_fd(), |_| {}).is_err());
    }
    assert!(!lp.remove_reader(12345));
    // Nothing was left watched: the loop knows nothing can happen.
    assert!(matches!(lp.run_forever(), Err(simul_callback::Error::Stalled)));
}

/// An fd closed while still watched: the loop reports it through the
/// exception handler, forgets it, and does not spin.
#[test]
fn an_fd_closed_while_watched_is_reported_and_dropped() {
    let _serial = serial();
    let mut lp = virtual_loop();
    let seen = Rc::new(Cell::new(0));
    let s = seen.clone();
    lp.set_exception_handler(move |_, _| s.set(s.get() + 1));
    let (rx, mut tx) = UnixStream::pair().unwrap();
    tx.write_all(b"x").unwrap();
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let mut rx = Some(rx);
    lp.add_reader(rx.as_ref().unwrap().as_raw_fd(), move |_| {
        c.set(c.get() + 1);
        drop(rx.take()); // closed without remove_reader: a user mistake
    })
    .unwrap();
    assert!(matches!(lp.run_forever(), Err(simul_callback::Error::Stalled)));
    assert_eq!(calls.get(), 1);
    assert_eq!(seen.get(), 1);
}

/// The descriptors of this process that are epoll instances (Linux).
#[cfg(target_os = "linux")]
fn eventpoll_fds() -> Vec<i32> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            if target.to_string_lossy().contains("eventpoll") {
                e.file_name().to_string_lossy().parse().ok()
            } else {
                None
            }
        })
        .collect()
}

/// Reliability item 26: `add_reader` and `add_writer` on a closed fd and
/// on the loop's own epoll descriptor are errors, and a reader already
/// there keeps being called, before and after, once per byte.
#[cfg(target_os = "linux")]
#[test]
fn refused_registrations_leave_an_existing_reader_working() {
    let _serial = serial();
    let before = eventpoll_fds();
    let mut lp = virtual_loop();
    let own: Vec<i32> = eventpoll_fds().into_iter().filter(|fd| !before.contains(fd)).collect();
    assert_eq!(own.len(), 1, "one new epoll descriptor: the loop's ({own:?})");
    let own = own[0];

    let (mut rx, mut tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    let fd = rx.as_raw_fd();
    let t = Trace::new();
    let t2 = t.clone();
    lp.add_reader(fd, move |_| {
        let mut b = [0; 1];
        match rx.read(&mut b) {
            Ok(1) => t2.log(format!("read {}", b[0] as char)),
            // std's read hands back the EINTR that scripts/eintr.sh
            // injects; the byte is still there, so the reader is called
            // again.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            other => t2.log(format!("unexpected {:?}", other.map_err(|e| e.kind()))),
        }
    })
    .unwrap();
    tx.write_all(b"a").unwrap();
    let t2 = t.clone();
    lp.run_until(move |_| t2.len() == 1).unwrap();

    // The loop's own poller.
    let err = lp.add_reader(own, |_| unreachable!("own poller")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = lp.add_writer(own, |_| unreachable!("own poller")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!lp.remove_reader(own));
    // A closed descriptor (its number stays free: SERIAL).
    let (a, b) = UnixStream::pair().unwrap();
    let closed = a.as_raw_fd();
    drop((a, b));
    let err = lp.add_reader(closed, |_| unreachable!("closed fd")).unwrap_err();
    assert!(err.to_string().contains("not an open file descriptor"), "{err}");
    let err = lp.add_writer(closed, |_| unreachable!("closed fd")).unwrap_err();
    assert!(err.to_string().contains("not an open file descriptor"), "{err}");
    assert!(!lp.remove_reader(closed));

    // The existing reader: still called, once per byte.
    tx.write_all(b"bc").unwrap();
    let t2 = t.clone();
    lp.run_until(move |_| t2.len() == 3).unwrap();
    let _ = lp.call_later(Duration::from_secs(1), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["read a", "read b", "read c"]);
    assert!(lp.remove_reader(fd));
    drop(tx);
}

/// Reliability item 16. Two fds are readable in the same poll, so both
/// readers are queued for one iteration. The first to run closes the
/// other's fd without `remove_reader` (a user mistake), opens sockets
/// until one gets the same number, and watches it with `add_reader`. The
/// other reader, already queued for the old socket, must not run, and
/// neither must the new one for the old socket's readiness: the new one
/// runs only when its own socket gets data. The stale watch is reported.
#[test]
fn a_number_reused_within_an_iteration_gets_no_stale_callback() {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::os::fd::RawFd;

    let _serial = serial();
    let mut lp = virtual_loop();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    lp.set_exception_handler(move |_, ctx| r.borrow_mut().push(ctx.to_string()));
    let t = Trace::new();
    // The watched read ends, by fd; their writing peers; the socket that
    // reuses a number, and its peer; sockets made on the way there.
    let socks: Rc<RefCell<HashMap<RawFd, UnixStream>>> = Rc::default();
    let mut peers = Vec::new();
    let reused: Rc<RefCell<Option<(UnixStream, UnixStream)>>> = Rc::default();
    let spare: Rc<RefCell<Vec<UnixStream>>> = Rc::default();
    let done = Rc::new(Cell::new(false));
    let mut fds = Vec::new();
    for _ in 0..2 {
        let (rx, mut tx) = UnixStream::pair().unwrap();
        rx.set_nonblocking(true).unwrap();
        tx.write_all(b"x").unwrap();
        fds.push(rx.as_raw_fd());
        socks.borrow_mut().insert(rx.as_raw_fd(), rx);
        peers.push(tx);
    }
    for (me, other) in [(fds[0], fds[1]), (fds[1], fds[0])] {
        let (t, socks, reused, spare, done) =
            (t.clone(), socks.clone(), reused.clone(), spare.clone(), done.clone());
        lp.add_reader(me, move |lp| {
            let mut b = [0; 1];
            let Some(mut rx) = socks.borrow_mut().remove(&me) else {
                t.log(format!("reader of closed fd {me} called"));
                return;
            };
            let read = rx.read(&mut b);
            socks.borrow_mut().insert(me, rx);
            match read {
                Ok(1) => t.log("read x"),
                // The EINTR of scripts/eintr.sh: called again, or the
                // other reader goes first.
                Err(e) if e.kind() == ErrorKind::Interrupted => return,
                other => t.log(format!("unexpected {:?}", other.map_err(|e| e.kind()))),
            }
            if done.replace(true) {
                return;
            }
            // Close the other fd, still watched, and get its number back.
            drop(socks.borrow_mut().remove(&other));
            let mut found = None;
            for _ in 0..1_000 {
                let (a, b) = UnixStream::pair().unwrap();
                if a.as_raw_fd() == other {
                    found = Some((a, b));
                } else if b.as_raw_fd() == other {
                    found = Some((b, a));
                } else {
                    spare.borrow_mut().extend([a, b]);
                    continue;
                }
                break;
            }
            let (new, peer) = found.expect("the closed number comes back");
            new.set_nonblocking(true).unwrap();
            let t2 = t.clone();
            let r2 = reused.clone();
            lp.add_reader(other, move |_| {
                let mut b = [0; 1];
                let mut guard = r2.borrow_mut();
                let Some((new, _)) = guard.as_mut() else { return };
                match new.read(&mut b) {
                    Ok(1) => t2.log(format!("new socket read {}", b[0] as char)),
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    other => t2.log(format!("new socket: {:?}", other.map_err(|e| e.kind()))),
                }
            })
            .unwrap();
            *reused.borrow_mut() = Some((new, peer));
            t.log("closed the other fd and watched a new socket under its number");
        })
        .unwrap();
    }
    // One iteration runs both queued readers; a few more show that nothing
    // else is called.
    let _ = lp.call_later(Duration::from_secs(1), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(
        t.take(),
        ["read x", "closed the other fd and watched a new socket under its number"]
    );
    // The new socket's own data reaches its reader.
    reused.borrow_mut().as_mut().unwrap().1.write_all(b"z").unwrap();
    let t2 = t.clone();
    lp.run_until(move |_| t2.len() == 1).unwrap();
    assert_eq!(t.take(), ["new socket read z"]);
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].contains("closed before remove_reader"), "{reports:?}");
    for fd in fds {
        lp.remove_reader(fd);
    }
    drop((peers, spare));
}
