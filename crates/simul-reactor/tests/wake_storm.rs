//! Reliability item 1 for the reactor: a wake storm on the `Notifier`.
//!
//! The reactor's "units" are work items published by other threads the way
//! a scheduler's do: a thread adds one to a unit's pending count, queues the
//! unit in a mailbox if the count was zero, then calls `Notifier::wake`.
//! Four threads each wake every unit the same number of times. The reactor
//! thread takes the mailbox only after a poll that reported `woken` (and
//! whenever it found work last time), and blocks only when the mailbox was
//! empty: the notifier's contract (whatever was published before a wake is
//! seen after the poll that reports it) is all that keeps it from sleeping
//! on queued work.
//!
//! `Notifier::wake` is the notifier's only wake method; it is called through
//! each kind of handle a scheduler hands out: the thread's own clone, one
//! clone shared by all four threads, and a clone made for one wake and
//! dropped right after (so the `Arc` inside is cloned and dropped under
//! contention).
//!
//! Checked: every unit's count ends at exactly 4 × its share, the total at
//! exactly units × wakes; no wake is lost, even for a while: each thread
//! counts the wakes it has finished, and a wait that ends without a wake-up
//! (after 5 s: a wait is only bounded so that a lost wake fails the test
//! instead of hanging it) must have begun with every finished wake's work
//! already taken; never more wake-ups than wakes; as many open descriptors
//! at the end as at the start.
//!
//! CI size: 1,000 units × 100 wakes, 2 repeats. `SIMUL_FULL=1`: 10,000
//! units × 1,000 wakes (10M), 20 repeats (run it with `--release`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use simul_reactor::{Events, Notifier, Reactor};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

const THREADS: usize = 4;

/// (units, wakes per unit, repeats).
fn sizes() -> (usize, u32, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (10_000, 1_000, 20) } else { (1_000, 100, 2) }
}

/// What the waking threads and the reactor thread share.
struct Mailbox {
    /// Wakes not yet taken by the reactor thread, per unit.
    pending: Vec<AtomicU32>,
    /// Units whose pending count went from zero to one, not yet taken.
    queued: Mutex<Vec<u32>>,
    /// Per waking thread: how many of its `wake` calls have returned.
    /// Each is written by its thread only (on its own cache line).
    finished: Vec<Padded>,
}

/// A counter alone on its cache line, so that the threads' counters do not
/// slow each other down.
#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

impl Mailbox {
    /// Publishes one wake of `unit`; the caller wakes the reactor after.
    fn publish(&self, unit: usize) {
        if self.pending[unit].fetch_add(1, Ordering::AcqRel) == 0 {
            self.queued.lock().unwrap().push(unit as u32);
        }
    }

    /// Takes every queued unit's pending wakes into `seen`; returns how
    /// many wakes that was.
    fn take(&self, seen: &mut [u32], buf: &mut Vec<u32>) -> u64 {
        std::mem::swap(&mut *self.queued.lock().unwrap(), buf);
        let mut taken = 0;
        for unit in buf.drain(..) {
            let n = self.pending[unit as usize].swap(0, Ordering::AcqRel);
            seen[unit as usize] += n;
            taken += u64::from(n);
        }
        taken
    }

    /// How many wakes have returned, over all threads.
    fn finished(&self) -> u64 {
        self.finished.iter().map(|c| c.0.load(Ordering::Acquire)).sum()
    }
}

/// One storm on a fresh reactor; returns the wake-ups the reactor reported.
fn storm(units: usize, wakes: u32) -> u64 {
    let per_thread = wakes / THREADS as u32;
    let mut reactor = Reactor::new().unwrap();
    let mailbox = Arc::new(Mailbox {
        pending: (0..units).map(|_| AtomicU32::new(0)).collect(),
        queued: Mutex::new(Vec::new()),
        finished: (0..THREADS).map(|_| Padded::default()).collect(),
    });
    let shared = Arc::new(reactor.notifier());
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (mailbox, shared, start) = (mailbox.clone(), shared.clone(), start.clone());
            let own: Notifier = reactor.notifier();
            std::thread::spawn(move || {
                start.wait();
                let mut done = 0u64;
                for round in 0..per_thread as usize {
                    for unit in 0..units {
                        mailbox.publish(unit);
                        match (round + unit + t) % 3 {
                            0 => own.wake().unwrap(),
                            1 => shared.wake().unwrap(),
                            _ => {
                                let once = own.clone();
                                once.wake().unwrap();
                            }
                        }
                        done += 1;
                        mailbox.finished[t].0.store(done, Ordering::Release);
                    }
                }
            })
        })
        .collect();
    drop(shared);

    let expected = units as u64 * u64::from(per_thread) * THREADS as u64;
    let mut seen = vec![0u32; units];
    let mut buf = Vec::new();
    let mut total = 0u64;
    let mut woken = 0u64;
    let mut events = Events::with_capacity(8);
    loop {
        total += mailbox.take(&mut seen, &mut buf);
        if total == expected {
            break;
        }
        // Read after the take and before the wait: every wake counted here
        // returned before the wait began, so its work is either taken
        // already or announced by a wake-up this wait must report.
        let finished = mailbox.finished();
        // Bounded only so that a lost wake fails the test instead of
        // hanging it; with no wake lost the wait ends long before.
        let deadline = reactor.now() + Duration::from_secs(5);
        reactor.poll(&mut events, Some(deadline)).unwrap();
        assert!(events.is_empty(), "nothing is registered but the notifier");
        if events.woken() {
            woken += 1;
        } else {
            assert!(
                total >= finished,
                "a wake was lost: {finished} wakes had returned but only {total} were \
                 taken, and the reactor waited 5 s without a wake-up"
            );
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    for (unit, &n) in seen.iter().enumerate() {
        assert_eq!(n, per_thread * THREADS as u32, "unit {unit}");
    }
    assert_eq!(seen.iter().map(|&n| u64::from(n)).sum::<u64>(), expected);
    assert!(mailbox.queued.lock().unwrap().is_empty(), "no work left behind");
    woken
}

#[test]
fn every_published_wake_from_four_threads_is_seen_and_none_is_lost() {
    let (units, wakes, repeats) = sizes();
    let fds = FdSnapshot::take();
    for repeat in 0..repeats {
        let woken = storm(units, wakes);
        let sent = units as u64 * u64::from(wakes);
        // Coalesced: never more wake-ups than wakes, and at least one.
        assert!(woken >= 1 && woken <= sent, "repeat {repeat}: {woken} wake-ups for {sent} wakes");
        println!("repeat {repeat}: {sent} wakes seen, {woken} wake-ups");
    }
    // Every reactor's descriptors are closed.
    assert_no_leaks(&fds);
}
