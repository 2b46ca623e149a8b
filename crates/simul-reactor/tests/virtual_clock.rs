//! The virtual clock: jumps to deadlines, is not held back by idle
//! sockets, charges blocking work, and still reports real I/O.

use simul_reactor::{Clock, Events, Instant, Interest, Reactor, Token};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

fn virtual_reactor() -> Reactor {
    Reactor::with_clock(Clock::new_virtual()).unwrap()
}

#[test]
fn poll_jumps_straight_to_the_deadline() {
    let mut reactor = virtual_reactor();
    let mut events = Events::with_capacity(8);
    let wall = std::time::Instant::now();
    let mut t = Instant::ZERO;
    // The chess simul's sequential exhibition: 12 hours in 1,440 jumps.
    for _ in 0..24 * 60 {
        t = t + Duration::from_secs(30);
        reactor.poll(&mut events, Some(t)).unwrap();
        assert_eq!(reactor.now(), t, "exactly the deadline, not a nanosecond more");
        assert!(events.is_empty());
    }
    assert_eq!(reactor.now().since_origin(), Duration::from_secs(12 * 3600));
    assert!(wall.elapsed() < Duration::from_secs(5), "virtual hours must not take real time");
}

#[test]
fn idle_registered_sockets_do_not_stop_time() {
    let mut reactor = virtual_reactor();
    let mut pairs = Vec::new();
    for i in 0..100 {
        let (a, b) = UnixStream::pair().unwrap();
        reactor.register(b.as_raw_fd(), Token(i), Interest::READABLE).unwrap();
        pairs.push((a, b));
    }
    let mut events = Events::with_capacity(8);
    let deadline = Instant::ZERO + Duration::from_secs(3600);
    reactor.poll(&mut events, Some(deadline)).unwrap();
    assert_eq!(reactor.now(), deadline);
}

#[test]
fn ready_io_is_reported_before_time_moves() {
    let mut reactor = virtual_reactor();
    let (mut a, b) = UnixStream::pair().unwrap();
    reactor.register(b.as_raw_fd(), Token(7), Interest::READABLE).unwrap();
    a.write_all(b"move").unwrap();
    let mut events = Events::with_capacity(8);
    reactor.poll(&mut events, Some(Instant::ZERO + Duration::from_secs(60))).unwrap();
    assert_eq!(events.iter().next().unwrap().token(), Token(7));
    assert_eq!(reactor.now(), Instant::ZERO, "I/O was ready: no jump");
}

#[test]
fn without_a_deadline_a_virtual_reactor_waits_for_real_io() {
    let mut reactor = virtual_reactor();
    let (mut a, b) = UnixStream::pair().unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        a.write_all(b"x").unwrap();
        a
    });
    let mut events = Events::with_capacity(8);
    reactor.poll(&mut events, None).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(reactor.now(), Instant::ZERO, "real waiting costs no virtual time");
    drop(t.join().unwrap());
}

#[test]
fn blocking_work_is_charged_to_the_clock() {
    let reactor = virtual_reactor();
    let clock = reactor.clock().clone();
    clock.block_for(Duration::from_secs(4));
    assert_eq!(reactor.now(), Instant::ZERO + Duration::from_secs(4));
    // Clones share one time.
    let other = reactor.clock().clone();
    other.advance(Duration::from_millis(1)).unwrap();
    assert_eq!(clock.now(), Instant::ZERO + Duration::from_millis(4001));
}

#[test]
fn a_past_deadline_does_not_move_time_back() {
    let mut reactor = virtual_reactor();
    reactor.clock().advance(Duration::from_secs(10)).unwrap();
    let mut events = Events::with_capacity(8);
    reactor.poll(&mut events, Some(Instant::ZERO + Duration::from_secs(1))).unwrap();
    assert_eq!(reactor.now(), Instant::ZERO + Duration::from_secs(10));
}

#[test]
fn huge_durations_saturate() {
    let reactor = virtual_reactor();
    reactor.clock().block_for(Duration::MAX);
    assert_eq!(reactor.now(), Instant::MAX);
    reactor.clock().block_for(Duration::from_secs(1));
    assert_eq!(reactor.now(), Instant::MAX);
    assert_eq!(Instant::from_nanos(5) + Duration::MAX, Instant::MAX);
}
