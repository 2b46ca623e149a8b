//! Helpers shared by the reactor's integration tests.
#![allow(dead_code)]

use simul_reactor::{Event, Events, Instant, Reactor};
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

/// How many file descriptors this process has open (Linux: /proc).
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}
