//! A descriptor closed without being deregistered leaves no registration
//! behind: when its number is reused, the new file is unregistered.
//!
//! On epoll the kernel forgets the registration by itself. On kqueue the
//! selector keeps its own registry (to refuse double registration, which
//! kqueue does not) and must notice such stale entries by asking the
//! kernel. The same sequence must give the same answers on both.

use simul_reactor::{Events, Interest, Reactor, Token};
use std::io::{ErrorKind, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Polls until `limit` has passed, collecting every event's token.
fn tokens_within(reactor: &mut Reactor, limit: Duration) -> Vec<Token> {
    let mut events = Events::with_capacity(16);
    let deadline = reactor.now() + limit;
    let mut seen = Vec::new();
    while reactor.now() < deadline {
        reactor.poll(&mut events, Some(deadline)).unwrap();
        seen.extend(events.iter().map(|e| e.token()));
    }
    seen
}

/// Opens socket pairs until one end gets descriptor number `num`; returns
/// (that end, its peer). The pairs opened on the way stay open in `keep`.
fn reuse(num: RawFd, keep: &mut Vec<(UnixStream, UnixStream)>) -> (UnixStream, UnixStream) {
    loop {
        let (c, d) = UnixStream::pair().unwrap();
        if c.as_raw_fd() == num {
            return (c, d);
        }
        if d.as_raw_fd() == num {
            return (d, c);
        }
        keep.push((c, d));
        assert!(keep.len() < 1000, "descriptor number {num} never reused");
    }
}

#[test]
fn a_reused_descriptor_number_starts_unregistered() {
    let mut reactor = Reactor::new().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let num = b.as_raw_fd();
    reactor.register(num, Token(1), Interest::BOTH).unwrap();
    drop(b);
    drop(a);

    let mut keep = Vec::new();
    let (mine, mut peer) = reuse(num, &mut keep);
    mine.set_nonblocking(true).unwrap();

    // Not registered: deregister and reregister both say so...
    let e = reactor.deregister(num).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = reactor.reregister(num, Token(2), Interest::READABLE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    // ...and the failed reregister did not register it on the quiet.
    peer.write_all(b"unwatched").unwrap();
    assert_eq!(tokens_within(&mut reactor, Duration::from_millis(50)), []);

    // Registering the new file works, reports under the new token (the
    // data written above makes it readable at once), and a second
    // registration is refused: the live registration is seen as such.
    reactor.register(num, Token(3), Interest::READABLE).unwrap();
    let e = reactor.register(num, Token(4), Interest::READABLE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let seen = tokens_within(&mut reactor, Duration::from_millis(50));
    assert!(!seen.is_empty() && seen.iter().all(|&t| t == Token(3)), "{seen:?}");

    // The refused registration changed nothing: a new edge still reports
    // under token 3.
    peer.write_all(b"more").unwrap();
    let seen = tokens_within(&mut reactor, Duration::from_millis(50));
    assert!(!seen.is_empty() && seen.iter().all(|&t| t == Token(3)), "{seen:?}");

    reactor.deregister(num).unwrap();
    let e = reactor.deregister(num).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}
