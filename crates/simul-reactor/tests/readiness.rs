//! Pipes and socket pairs becoming readable and writable, edge-triggered.

mod util;

use simul_reactor::{Interest, Reactor, Token};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;
use util::{poll_events, poll_now};

const LONG: Duration = Duration::from_secs(5);

#[test]
fn socket_pair_becomes_readable_then_writable() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    reactor.register(b.as_raw_fd(), Token(3), Interest::READABLE).unwrap();
    assert!(poll_now(&mut reactor).is_empty(), "nothing sent yet");

    a.write_all(b"hello").unwrap();
    let evs = poll_events(&mut reactor, LONG);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].token(), Token(3));
    assert!(evs[0].is_readable() && !evs[0].is_writable());

    // Interest WRITABLE on a fresh socket with room: reported at once.
    reactor.reregister(b.as_raw_fd(), Token(4), Interest::WRITABLE).unwrap();
    let evs = poll_events(&mut reactor, LONG);
    assert!(evs.iter().any(|e| e.token() == Token(4) && e.is_writable()));
}

#[test]
fn edge_triggered_reports_each_change_once() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();

    a.write_all(b"one").unwrap();
    assert_eq!(poll_events(&mut reactor, LONG).len(), 1);
    // Not drained, and no new data: no second event (edge, not level).
    assert!(poll_now(&mut reactor).is_empty());

    // New data is a new edge, even though the old data is still there.
    a.write_all(b"two").unwrap();
    assert_eq!(poll_events(&mut reactor, LONG).len(), 1);

    // Draining until WouldBlock, then waiting: nothing, until more comes.
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    loop {
        match b.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, b"onetwo");
    assert!(poll_now(&mut reactor).is_empty());
}

#[test]
fn reregister_rearms_a_ready_descriptor() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    a.write_all(b"x").unwrap();
    assert_eq!(poll_events(&mut reactor, LONG).len(), 1);
    assert!(poll_now(&mut reactor).is_empty());
    // Still readable: re-registering reports it again (level on demand).
    reactor.reregister(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    let evs = poll_events(&mut reactor, LONG);
    assert_eq!(evs.len(), 1);
    assert!(evs[0].is_readable());
}

#[test]
fn pipe_read_and_write_ends() {
    let mut reactor = Reactor::new().unwrap();
    let (r, mut w) = std::io::pipe().unwrap();
    reactor.register(r.as_raw_fd(), Token(10), Interest::READABLE).unwrap();
    reactor.register(w.as_raw_fd(), Token(11), Interest::WRITABLE).unwrap();
    let evs = poll_events(&mut reactor, LONG);
    assert!(evs.iter().any(|e| e.token() == Token(11) && e.is_writable()));
    assert!(!evs.iter().any(|e| e.token() == Token(10)));
    w.write_all(b"data").unwrap();
    let evs = poll_events(&mut reactor, LONG);
    assert!(evs.iter().any(|e| e.token() == Token(10) && e.is_readable()));
}

#[test]
fn deregistered_descriptor_reports_nothing() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    reactor.deregister(b.as_raw_fd()).unwrap();
    a.write_all(b"late").unwrap();
    assert!(poll_events(&mut reactor, Duration::from_millis(20)).is_empty());
}
