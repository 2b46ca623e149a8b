//! Reliability item 1 at the catalogue's size: a wake storm. Every green
//! thread parks in a loop until its counter shows every unpark was sent,
//! while four OS threads bump the counters and unpark the threads by every
//! way an [`Unparker`] is used: `unpark` on the handle the thread gave
//! out, `unpark` on a fresh clone that is dropped after it (the by-value
//! pattern: a handle moved somewhere, used once and dropped), and a clone
//! dropped unused before an `unpark` (a dropped clone must not make the
//! thread look unwakeable). The hub has no other cross-thread wake-up:
//! `offload` and everything else use this one door.
//!
//! A lost wake-up would leave a thread parked with its counter short;
//! once the OS threads and their unparkers are gone nobody could wake it,
//! and main's join reports a deadlock instead of hanging. The counters add
//! up to exactly threads × unparks, and no thread returns from `park`
//! more often than it was unparked (coalesced).
//!
//! CI size: 1,000 green threads × 400 unparks, 2 repeats. `SIMUL_FULL=1`:
//! 10,000 × 1,000 (10M), 20 repeats (run it with `--release`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use simul_green::{Error, Hub, Unparker};

const OS_THREADS: u64 = 4;

/// (green threads, unparks per green thread, repeats).
fn sizes() -> (usize, u64, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (10_000, 1_000, 20) } else { (1_000, 400, 2) }
}

/// One storm in `hub`; returns (sum of the counters, parks in all).
fn storm(hub: &Hub, threads: usize, unparks: u64) -> (u64, u64) {
    let per_os_thread = unparks / OS_THREADS;
    let target = per_os_thread * OS_THREADS;
    hub.run(move || {
        let counters: Arc<Vec<AtomicU64>> =
            Arc::new((0..threads).map(|_| AtomicU64::new(0)).collect());
        let (tx, rx) = mpsc::channel::<Unparker>();
        let greens: Vec<_> = (0..threads)
            .map(|i| {
                let (counters, tx) = (counters.clone(), tx.clone());
                simul_green::spawn(move || -> Result<u64, Error> {
                    tx.send(simul_green::unparker()?).unwrap();
                    drop(tx);
                    let mut parks = 0;
                    // Every bump is followed by an unpark: the target is
                    // reached with no unpark left unseen.
                    while counters[i].load(Ordering::Acquire) < target {
                        simul_green::park()?;
                        parks += 1;
                    }
                    Ok(parks)
                })
            })
            .collect::<Result<_, _>>()
            .unwrap();
        drop(tx);
        // Every green thread runs once: it hands over its unparker and parks.
        simul_green::yield_now().unwrap();
        let unparkers: Arc<Vec<Unparker>> = Arc::new(rx.try_iter().collect());
        assert_eq!(unparkers.len(), threads);
        let os: Vec<_> = (0..OS_THREADS)
            .map(|_| {
                let (unparkers, counters) = (unparkers.clone(), counters.clone());
                std::thread::spawn(move || {
                    for round in 0..per_os_thread {
                        for (u, seen) in unparkers.iter().zip(counters.iter()) {
                            seen.fetch_add(1, Ordering::Release);
                            match round % 3 {
                                0 => u.unpark().unwrap(),
                                1 => {
                                    let by_value = u.clone();
                                    by_value.unpark().unwrap();
                                    drop(by_value);
                                }
                                _ => {
                                    drop(u.clone()); // a clone that never unparks
                                    u.unpark().unwrap();
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        drop(unparkers); // only the OS threads hold unparkers now
        let mut parks = 0;
        for (i, g) in greens.into_iter().enumerate() {
            let p = g.join().unwrap().unwrap_or_else(|e| panic!("green thread {i}: {e}"));
            assert!((1..=target).contains(&p), "green thread {i} returned from park {p} times");
            parks += p;
        }
        for t in os {
            t.join().unwrap();
        }
        (counters.iter().map(|c| c.load(Ordering::Relaxed)).sum(), parks)
    })
    .unwrap()
}

#[test]
fn every_unpark_from_four_threads_is_counted_and_none_is_lost() {
    let (threads, unparks, repeats) = sizes();
    let hub = Hub::builder().stack_size(32 * 1024).build().unwrap();
    for repeat in 0..repeats {
        let (sum, parks) = storm(&hub, threads, unparks);
        assert_eq!(sum, threads as u64 * unparks, "repeat {repeat}");
        // Coalesced: never more returns from park than unparks.
        assert!(parks <= sum, "repeat {repeat}: {parks} parks for {sum} unparks");
        println!("repeat {repeat}: {sum} unparks, {parks} returns from park");
    }
}
