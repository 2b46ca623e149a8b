//! The reactor refuses its own poller, and closes what it owns and
//! nothing else. One test function: it counts descriptors, which other
//! tests running in parallel in this binary would disturb. Linux only:
//! it reads /proc/self/fd.
#![cfg(target_os = "linux")]

use simul_reactor::{Interest, Reactor, Token};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

#[test]
fn own_poller_refused_and_own_fds_closed() {
    // Find the reactor's epoll descriptor: the one that appears in
    // /proc/self/fd when it is created. This file holds no other test, so
    // no other reactor of this binary is racing with the count.
    let before = eventpoll_fds();
    let reactor = Reactor::new().unwrap();
    let after = eventpoll_fds();
    let mine: Vec<_> = after.iter().filter(|fd| !before.contains(fd)).copied().collect();
    assert!(!mine.is_empty());
    let refused = mine
        .iter()
        .filter(|&&fd| {
            reactor
                .register(fd, Token(1), Interest::READABLE)
                .is_err_and(|e| e.kind() == ErrorKind::InvalidInput)
        })
        .count();
    assert_eq!(refused, 1);
    drop(reactor);
    dropping_the_reactor_closes_its_own_fds_only();
}

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

fn dropping_the_reactor_closes_its_own_fds_only() {
    let (a, b) = UnixStream::pair().unwrap();
    let before = FdSnapshot::take();
    let reactor = Reactor::new().unwrap();
    reactor.register(a.as_raw_fd(), Token(1), Interest::BOTH).unwrap();
    drop(reactor);
    // The reactor's epoll and eventfd are closed, and nothing else is.
    assert_no_leaks(&before);
    // The registered socket is still ours and still works.
    (&a).write_all(b"x").unwrap();
    let mut buf = [0u8; 1];
    std::io::Read::read_exact(&mut &b, &mut buf).unwrap();
}
