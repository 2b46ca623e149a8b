//! The notifier: wakes from other threads, coalescing, never lost.

use simul_reactor::{Events, Instant, Reactor};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

#[test]
fn many_wakes_before_one_wait_are_one_event() {
    let mut reactor = Reactor::new().unwrap();
    let n = reactor.notifier();
    for _ in 0..1000 {
        n.wake().unwrap();
    }
    let mut events = Events::with_capacity(8);
    reactor.poll(&mut events, None).unwrap();
    assert!(events.woken());
    assert!(events.is_empty(), "the notifier's record is never handed out");
    // Coalesced: the next look finds nothing pending.
    reactor.poll(&mut events, Some(Instant::ZERO)).unwrap();
    assert!(!events.woken());
}

#[test]
fn wake_from_another_thread_interrupts_a_blocking_wait() {
    let mut reactor = Reactor::new().unwrap();
    let n = reactor.notifier();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        n.wake().unwrap();
    });
    let mut events = Events::with_capacity(8);
    // No deadline: only the wake can end this wait.
    reactor.poll(&mut events, None).unwrap();
    assert!(events.woken());
    t.join().unwrap();
}

/// Many threads publish work and wake; the reactor thread must see every
/// item, and must never block while an item is unseen (a lost wake would
/// hang this test; the watchdog turns that into a failure).
#[test]
fn no_lost_wakeups_under_contention() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 20_000;
    let mut reactor = Reactor::new().unwrap();
    let published = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let mut handles = Vec::new();
    for _ in 0..THREADS {
        let n = reactor.notifier();
        let published = published.clone();
        let start = start.clone();
        handles.push(std::thread::spawn(move || {
            start.wait();
            for i in 0..PER_THREAD {
                published.fetch_add(1, Ordering::SeqCst);
                n.wake().unwrap();
                if i % 1024 == 0 {
                    std::thread::yield_now();
                }
            }
        }));
    }
    let mut events = Events::with_capacity(8);
    let mut seen = 0;
    let watchdog = std::time::Instant::now();
    while seen < THREADS * PER_THREAD {
        // Only block when we have seen everything published so far: then a
        // wake must be on its way for anything published later.
        let now_published = published.load(Ordering::SeqCst);
        if now_published == seen {
            // A generous real-time bound instead of None, so a lost wake
            // fails the test rather than hanging it.
            let deadline = reactor.now() + Duration::from_secs(10);
            reactor.poll(&mut events, Some(deadline)).unwrap();
            assert!(
                events.woken() || published.load(Ordering::SeqCst) > seen,
                "a wake was lost: {seen} seen, nothing new after 10 s"
            );
        }
        seen = published.load(Ordering::SeqCst).max(seen);
        assert!(watchdog.elapsed() < Duration::from_secs(60), "took too long");
    }
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn notifier_outliving_its_reactor_is_harmless() {
    let reactor = Reactor::new().unwrap();
    let n = reactor.notifier();
    drop(reactor);
    n.wake().unwrap();
    n.wake().unwrap();
}

#[test]
fn saturating_the_notifier_still_wakes() {
    let mut reactor = Reactor::new().unwrap();
    let n = reactor.notifier();
    let mut events = Events::with_capacity(8);
    for round in 0..1000 {
        for _ in 0..100 {
            n.wake().unwrap();
        }
        reactor.poll(&mut events, None).unwrap();
        assert!(events.woken(), "round {round}");
    }
}
