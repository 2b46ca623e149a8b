//! Hang-up, half-close and error events.

mod util;

use simul_reactor::{Interest, Reactor, Token};
use std::io::Write;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;
use util::poll_events;

const LONG: Duration = Duration::from_secs(5);

#[test]
fn peer_close_is_read_closed_and_write_closed() {
    let mut reactor = Reactor::new().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::BOTH).unwrap();
    // The first event is "writable" for a fresh socket.
    let _ = poll_events(&mut reactor, LONG);
    drop(a);
    let evs = poll_events(&mut reactor, LONG);
    let ev = evs.iter().find(|e| e.token() == Token(1)).expect("an event for the hang-up");
    assert!(ev.is_read_closed(), "{ev:?}");
    assert!(ev.is_write_closed(), "{ev:?}");
    assert!(ev.is_readable(), "EOF is readable: read() returns 0: {ev:?}");
}

#[test]
fn half_close_is_read_closed_only() {
    let mut reactor = Reactor::new().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let evs = poll_events(&mut reactor, LONG);
    assert_eq!(evs.len(), 1);
    assert!(evs[0].is_read_closed());
    assert!(!evs[0].is_write_closed(), "we can still write back: {:?}", evs[0]);
    (&b).write_all(b"still talking").unwrap();
}

#[test]
fn pipe_write_end_errors_when_reader_goes() {
    let mut reactor = Reactor::new().unwrap();
    let (r, w) = std::io::pipe().unwrap();
    reactor.register(w.as_raw_fd(), Token(2), Interest::WRITABLE).unwrap();
    let _ = poll_events(&mut reactor, LONG); // writable at first
    drop(r);
    let evs = poll_events(&mut reactor, LONG);
    let ev = evs.iter().find(|e| e.token() == Token(2)).expect("an event");
    assert!(ev.is_error(), "{ev:?}");
    assert!(ev.is_write_closed(), "{ev:?}");
}
