//! Reliability item 1 for the callback loop: a wake storm through
//! `LoopHandle`, the loop's only way in from other threads.
//!
//! The "units" are counters kept on the loop's thread. Four threads each
//! call `call_soon_threadsafe` the same number of times for every unit,
//! rotating through every kind of handle another thread can hold: its own
//! clone, one clone shared by all four, and a clone made for one call and
//! dropped right after. A fifth thread waits for the four and then calls
//! `LoopHandle::stop` (the other thread-safe entry point), which ends the
//! run: calls run in the order they reached the mailbox, so every earlier
//! call must have run by then. The loop runs while the storm goes on and
//! blocks in its reactor whenever it has caught up, so it depends on each
//! call's wake.
//!
//! Checked: every unit's counter ends at exactly its share × 4, the total
//! at exactly units × wakes; each thread's calls ran in the order it made
//! them, all on the loop's thread; the run ended by the `stop`, not by the
//! watchdog timer (which would mean the loop slept with calls queued: a
//! lost wake); as many open descriptors at the end as at the start.
//!
//! CI size: 1,000 units × 100 calls, 2 repeats. `SIMUL_FULL=1`: 10,000
//! units × 1,000 calls (10M), 20 repeats (run it with `--release`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use simul_callback::{EventLoop, LoopHandle};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

const THREADS: usize = 4;

/// (units, calls per unit, repeats).
fn sizes() -> (usize, u32, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (10_000, 1_000, 20) } else { (1_000, 100, 2) }
}

/// What the calls record, on the loop's thread only.
#[derive(Default)]
struct Tally {
    /// Calls run, per unit.
    per_unit: Vec<u32>,
    /// The sequence number each thread's next call must carry.
    next: [u32; THREADS],
    /// Calls that arrived out of their thread's order.
    out_of_order: u64,
}

thread_local! {
    /// Set on the loop's thread for the length of a storm: a call that ran
    /// anywhere else finds nothing here.
    static TALLY: RefCell<Option<Tally>> = const { RefCell::new(None) };
}

/// Calls that ran on a thread other than the loop's.
static FOREIGN: AtomicUsize = AtomicUsize::new(0);

/// The call every thread posts: unit `unit` gets one more, and it is call
/// number `seq` of thread `thread`.
fn count(unit: u32, thread: u8, seq: u32) {
    TALLY.with_borrow_mut(|tally| {
        let Some(tally) = tally else {
            FOREIGN.fetch_add(1, Ordering::Relaxed);
            return;
        };
        tally.per_unit[unit as usize] += 1;
        let next = &mut tally.next[usize::from(thread)];
        if *next != seq {
            tally.out_of_order += 1;
        }
        *next = seq.wrapping_add(1);
    });
}

/// One storm on `lp`; returns the tally.
fn storm(lp: &mut EventLoop, units: usize, calls: u32) -> Tally {
    let per_thread = calls / THREADS as u32;
    TALLY.set(Some(Tally { per_unit: vec![0; units], ..Tally::default() }));
    let shared = Arc::new(lp.handle());
    let start = Arc::new(Barrier::new(THREADS));
    let stormers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (shared, start) = (shared.clone(), start.clone());
            let own: LoopHandle = lp.handle();
            std::thread::spawn(move || {
                start.wait();
                let thread = t as u8;
                let mut seq = 0u32;
                for round in 0..per_thread as usize {
                    for unit in 0..units as u32 {
                        let call = move |_: &mut EventLoop| count(unit, thread, seq);
                        match (round + unit as usize + t) % 3 {
                            0 => own.call_soon_threadsafe(call).unwrap(),
                            1 => shared.call_soon_threadsafe(call).unwrap(),
                            _ => {
                                let once = own.clone();
                                once.call_soon_threadsafe(call).unwrap();
                            }
                        }
                        seq += 1;
                    }
                }
            })
        })
        .collect();
    drop(shared);
    let closer = {
        let h = lp.handle();
        std::thread::spawn(move || {
            for t in stormers {
                t.join().unwrap();
            }
            h.stop().unwrap();
        })
    };
    // Only a lost wake can leave the loop asleep this long: the storm
    // itself takes a few seconds at the full size in a release build.
    let watchdog_fired = Rc::new(RefCell::new(false));
    let fired = watchdog_fired.clone();
    let watchdog = lp.call_later(Duration::from_secs(120), move |lp| {
        *fired.borrow_mut() = true;
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert!(!*watchdog_fired.borrow(), "the loop slept for 120 s with calls queued: a lost wake");
    watchdog.cancel(lp);
    closer.join().unwrap();
    TALLY.take().unwrap()
}

#[test]
fn every_threadsafe_call_from_four_threads_runs_once_in_order_and_none_is_lost() {
    let (units, calls, repeats) = sizes();
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    for repeat in 0..repeats {
        let tally = storm(&mut lp, units, calls);
        assert_eq!(FOREIGN.load(Ordering::Relaxed), 0, "a call ran off the loop's thread");
        assert_eq!(tally.out_of_order, 0, "repeat {repeat}: a thread's calls ran out of order");
        for (unit, &n) in tally.per_unit.iter().enumerate() {
            assert_eq!(n, calls, "repeat {repeat}: unit {unit}");
        }
        let total: u64 = tally.per_unit.iter().map(|&n| u64::from(n)).sum();
        assert_eq!(total, units as u64 * u64::from(calls), "repeat {repeat}");
        assert_eq!(tally.next, [calls / THREADS as u32 * units as u32; THREADS]);
        println!("repeat {repeat}: {total} calls ran");
    }
    drop(lp);
    // The loop's descriptors are closed.
    assert_no_leaks(&fds);
}
