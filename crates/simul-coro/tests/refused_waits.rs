//! Reliability item 26 for coroutines: waits on descriptors that cannot
//! be watched, a closed one, a regular file, the scheduler's own poller
//! (and -1), are answered at once with `Reply::Io(Err(..))`, each time
//! they are asked, and leave nothing behind; tasks already waiting, on a
//! plain descriptor and on a `net` socket, still get their readiness,
//! once.
//!
//! Alone in its file (one test function): it finds the scheduler's epoll
//! descriptor as the one that appears in /proc/self/fd when the scheduler
//! is made, which another test's scheduler would disturb.
#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::io::{self, ErrorKind, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, ResumeError, Scheduler, Trap, from_fn};
use simul_reactor::Clock;
use util::tcp_pair;

type Log = Rc<RefCell<Vec<String>>>;

/// The descriptors that are epoll instances.
fn eventpoll_fds() -> Vec<RawFd> {
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

/// The highest open descriptor.
fn highest_fd() -> RawFd {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_string_lossy().parse().ok())
        .max()
        .unwrap()
}

/// `write_all` that retries `Interrupted`: std's own socket hands it back
/// by design (scripts/eintr.sh injects it), and this is the test's peer.
fn write_retrying(mut w: &UnixStream, buf: &[u8]) {
    loop {
        match w.write_all(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => return other.unwrap(),
        }
    }
}

/// A task that waits once with `trap` and logs how the wait ended.
fn waiter(
    log: Log,
    name: &'static str,
    trap: fn(RawFd) -> Trap<()>,
    fd: RawFd,
) -> impl simul_coro::Coroutine<Reply<()>, Yield = Trap<()>, Return = ()> {
    from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(trap(fd))),
        Reply::Io(res) => {
            log.borrow_mut()
                .push(format!("{name}: {}", if res.is_ok() { "ready" } else { "error" }));
            Ok(Complete(()))
        }
        _ => Err(ResumeError::UnexpectedInput { expected: "Io" }),
    })
}

#[test]
fn unwatchable_descriptors_are_io_errors_and_existing_waits_still_wake() {
    let before = eventpoll_fds();
    let mut s = Scheduler::<()>::with_clock(Clock::new_virtual()).unwrap();
    let mine: Vec<RawFd> = eventpoll_fds().into_iter().filter(|fd| !before.contains(fd)).collect();
    assert_eq!(mine.len(), 1, "the scheduler's epoll descriptor: {mine:?}");
    let poller = mine[0];

    let file = std::fs::File::open("Cargo.toml").unwrap();
    // Far above every open descriptor: the kernel hands out the lowest free
    // number, so nothing opens this one during the test.
    let closed = highest_fd() + 100;
    let (plain, plain_peer) = UnixStream::pair().unwrap();
    plain.set_nonblocking(true).unwrap();
    let (sock, sock_peer) = tcp_pair(&s.io_handle()).unwrap();
    assert_eq!(sock.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
    let log: Log = Rc::default();

    // Two tasks wait on good descriptors first.
    s.spawn(waiter(log.clone(), "plain", Trap::Readable, plain.as_raw_fd()));
    s.spawn(waiter(log.clone(), "socket", Trap::Readable, sock.as_raw_fd()));

    // Then one asks for every bad wait, each twice, in both directions:
    // a second answer that is the same error (not `ResourceBusy`) shows
    // the first left no waiter behind.
    let bad = [(-1, "-1"), (closed, "closed"), (file.as_raw_fd(), "file"), (poller, "poller")];
    let errors: Rc<RefCell<Vec<(String, io::Error)>>> = Rc::default();
    let asked = errors.clone();
    let mut step = 0;
    let prober = s.spawn(from_fn(move |r: Reply<()>| {
        if step > 0 {
            let Reply::Io(res) = r else {
                return Err(ResumeError::UnexpectedInput { expected: "Io" });
            };
            let (_, name) = bad[(step - 1) / 4 % bad.len()];
            let e = res.expect_err("a bad descriptor was waited on");
            asked.borrow_mut().push((format!("{name} {}", (step - 1) % 4), e));
        }
        if step == bad.len() * 4 {
            return Ok(Complete(()));
        }
        let (fd, _) = bad[step / 4];
        step += 1;
        // Per descriptor: readable, writable, readable, writable.
        Ok(Yielded(if step % 2 == 1 { Trap::Readable(fd) } else { Trap::Writable(fd) }))
    }));
    // At 1 s the good descriptors get their bytes.
    s.spawn(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
        _ => {
            write_retrying(&plain_peer, b"x");
            assert_eq!(sock_peer.try_write(b"y").unwrap(), 1);
            Ok(Complete(()))
        }
    }));
    s.run_all().unwrap();

    assert!(s.take_result(prober).unwrap().is_ok());
    let errors = errors.borrow();
    assert_eq!(errors.len(), bad.len() * 4, "every bad wait answered at once");
    // The reactor's own words: each error says what is wrong with the
    // descriptor, keeping the OS's kind.
    for (what, e) in errors.iter() {
        let (kind, says) = match what.split(' ').next().unwrap() {
            "-1" => (ErrorKind::InvalidInput, "-1"),
            "closed" => (io::Error::from_raw_os_error(9).kind(), "not an open file descriptor"),
            "file" => (ErrorKind::PermissionDenied, "does not support readiness polling"),
            _ => (ErrorKind::InvalidInput, ""), // the poller itself: EINVAL
        };
        assert_eq!(e.kind(), kind, "{what}: {e}");
        assert!(e.to_string().contains(says), "{what}: {e}");
    }
    // One poll may report the two in either order.
    let mut woke = log.borrow().clone();
    woke.sort();
    assert_eq!(woke, ["plain: ready", "socket: ready"], "each good wait woke once, ready");
    assert_eq!(s.live_tasks(), 0);
    let mut buf = [0u8; 1];
    assert_eq!(sock.try_read(&mut buf).unwrap(), 1);
    assert_eq!(&buf, b"y");
}
