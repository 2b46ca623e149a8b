//! Real-clock waits below a millisecond are honoured and never early.
//! Lateness is measured by `examples/timer_lateness.rs`, not asserted.

use simul_reactor::{Events, Reactor};
use std::time::Duration;

#[test]
fn sub_millisecond_deadlines_are_never_early() {
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(8);
    for micros in [1u64, 50, 100, 250, 900, 1500] {
        for _ in 0..10 {
            let deadline = reactor.now() + Duration::from_micros(micros);
            reactor.poll(&mut events, Some(deadline)).unwrap();
            assert!(events.is_empty());
            assert!(reactor.now() >= deadline, "woke early for a {micros} µs wait");
        }
    }
}

#[test]
fn a_past_deadline_returns_at_once() {
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(8);
    let start = std::time::Instant::now();
    reactor.poll(&mut events, Some(simul_reactor::Instant::ZERO)).unwrap();
    // Wide margin: this is "did not sleep", not a speed measurement.
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn huge_real_deadline_is_interrupted_by_a_wake() {
    let mut reactor = Reactor::new().unwrap();
    let n = reactor.notifier();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        n.wake().unwrap();
    });
    let mut events = Events::with_capacity(8);
    // Ten years (and Instant::MAX) must neither overflow nor fail.
    let far = reactor.now() + Duration::from_secs(10 * 365 * 24 * 3600);
    reactor.poll(&mut events, Some(far)).unwrap();
    assert!(events.woken());
    t.join().unwrap();
    let n = reactor.notifier();
    n.wake().unwrap();
    reactor.poll(&mut events, Some(simul_reactor::Instant::MAX)).unwrap();
    assert!(events.woken());
}
