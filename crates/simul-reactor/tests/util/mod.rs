//! Helpers shared by the reactor's integration tests.
#![allow(dead_code)]

use simul_reactor::{Event, Events, Instant, Reactor};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Polls until at least one event arrives or `limit` of real time passes;
/// returns everything collected in that poll.
pub(crate) fn poll_events(reactor: &mut Reactor, limit: Duration) -> Vec<Event> {
    let mut events = Events::with_capacity(1024);
    let deadline = reactor.now() + limit;
    loop {
        reactor.poll(&mut events, Some(deadline)).expect("poll");
        if !events.is_empty() || reactor.now() >= deadline {
            return events.iter().collect();
        }
    }
}

/// One non-blocking look: what is ready right now.
pub(crate) fn poll_now(reactor: &mut Reactor) -> Vec<Event> {
    let mut events = Events::with_capacity(1024);
    reactor.poll(&mut events, Some(Instant::ZERO)).expect("poll");
    events.iter().collect()
}

/// A tiny xorshift PRNG, so randomised tests are reproducible without a
/// crate: the same seed gives the same sequence. The seed must not be 0.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The next pseudo-random number.
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A pseudo-random number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Opens socket pairs until one end gets descriptor number `num`; returns
/// (that end, its peer). The pairs opened on the way stay open in `keep`.
pub(crate) fn reuse(
    num: RawFd,
    keep: &mut Vec<(UnixStream, UnixStream)>,
) -> (UnixStream, UnixStream) {
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
