//! Ten thousand registered sockets in one poller, all reported.

use simul_reactor::{Events, Interest, Reactor, Token};
use std::collections::HashSet;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

#[test]
fn ten_thousand_sockets() {
    const PAIRS: usize = 5_000; // 10,000 descriptors
    let mut reactor = Reactor::new().unwrap();
    let mut pairs = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let (a, b) = UnixStream::pair().unwrap();
        reactor.register(b.as_raw_fd(), Token(i), Interest::READABLE).unwrap();
        reactor.register(a.as_raw_fd(), Token(PAIRS + i), Interest::READABLE).unwrap();
        pairs.push((a, b));
    }
    // Every other pair talks: exactly those tokens must come back, each
    // once, over as many polls as the event buffer needs.
    let mut expected = HashSet::new();
    for (i, (a, _)) in pairs.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        (&*a).write_all(b"x").unwrap();
        expected.insert(Token(i));
    }
    let mut seen = HashSet::new();
    let mut events = Events::with_capacity(256);
    let deadline = reactor.now() + Duration::from_secs(20);
    while seen.len() < expected.len() && reactor.now() < deadline {
        reactor.poll(&mut events, Some(deadline)).unwrap();
        for ev in events.iter() {
            assert!(ev.is_readable());
            assert!(seen.insert(ev.token()), "{:?} reported twice", ev.token());
        }
    }
    assert_eq!(seen, expected);
}
