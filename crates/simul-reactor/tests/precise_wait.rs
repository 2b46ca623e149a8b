//! Real-clock waits below a millisecond are honoured, never early, and
//! made asleep (no busy loop). Lateness is measured by
//! `examples/timer_lateness.rs`, not asserted.

mod util;

use simul_reactor::{Events, Reactor};
use simul_testkit::cpu::thread_cpu_ticks;
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

/// Item 9: a thousand sub-millisecond waits, 360 ms asked in all. A
/// reactor that spun to reach a deadline precisely would burn at least
/// that much CPU (36 ticks of 10 ms); one that sleeps in the kernel burns
/// a few syscalls' worth per wait. The bound is half of what spinning
/// would cost, so a loaded machine (or strace in `scripts/eintr.sh`)
/// does not fail it.
#[test]
fn many_sub_millisecond_waits_are_never_early_and_do_not_spin() {
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut asked = Duration::ZERO;
    let before = thread_cpu_ticks();
    for _ in 0..200 {
        for micros in [50u64, 100, 250, 500, 900] {
            let wait = Duration::from_micros(micros);
            let deadline = reactor.now() + wait;
            reactor.poll(&mut events, Some(deadline)).unwrap();
            assert!(events.is_empty());
            assert!(reactor.now() >= deadline, "woke early for a {micros} µs wait");
            asked += wait;
        }
    }
    let (Some(before), Some(after)) = (before, thread_cpu_ticks()) else {
        return; // no per-thread CPU times here: the never-early half ran
    };
    let spin_ticks = (asked.as_millis() / 10) as u64;
    assert_eq!(spin_ticks, 36);
    let ticks = after - before;
    assert!(ticks < spin_ticks / 2, "{ticks} ticks of CPU for {asked:?} of waits: a busy loop");
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
