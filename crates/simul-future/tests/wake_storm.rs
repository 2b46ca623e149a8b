//! Reliability item 1 at the catalogue's size: a wake storm. Every task
//! is woken the same number of times by each of four other threads, by
//! every wake method (`wake_by_ref`, `wake` on a clone, and a clone
//! dropped unused between them). A task completes only when its counter
//! shows every wake was sent, so a lost wake would leave it stuck (and the
//! runtime would then report a deadlock, not hang); the counters add up
//! to exactly tasks × wakes.
//!
//! CI size: 1,000 tasks × 400 wakes, 2 repeats. `SIMUL_FULL=1`: 10,000
//! tasks × 1,000 wakes (10M), 20 repeats (run it with `--release`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use simul_future::{Runtime, spawn, yield_now};

const THREADS: u64 = 4;

/// (tasks, wakes per task, repeats).
fn sizes() -> (usize, u64, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (10_000, 1_000, 20) } else { (1_000, 400, 2) }
}

/// Pending until its counter reaches `target`; hands out its waker on the
/// first poll and counts its polls.
struct Stormed {
    seen: Arc<AtomicU64>,
    target: u64,
    polls: u64,
    waker_out: Option<std::sync::mpsc::Sender<Waker>>,
}

impl Future for Stormed {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        self.polls += 1;
        if let Some(tx) = self.waker_out.take() {
            tx.send(cx.waker().clone()).unwrap();
        }
        if self.seen.load(Ordering::Acquire) == self.target {
            Poll::Ready(self.polls)
        } else {
            Poll::Pending
        }
    }
}

/// One storm; returns (sum of counters, total polls).
fn storm(rt: &mut Runtime, tasks: usize, wakes: u64) -> (u64, u64) {
    let per_thread = wakes / THREADS;
    let counters: Vec<Arc<AtomicU64>> = (0..tasks).map(|_| Arc::default()).collect();
    let sum_of = counters.clone();
    let polls = rt
        .block_on(async move {
            let (tx, rx) = std::sync::mpsc::channel::<Waker>();
            let handles: Vec<_> = counters
                .iter()
                .map(|seen| {
                    spawn(Stormed {
                        seen: seen.clone(),
                        target: per_thread * THREADS,
                        polls: 0,
                        waker_out: Some(tx.clone()),
                    })
                })
                .collect();
            yield_now().await; // every task polled once: its waker sent
            let wakers: Arc<Vec<Waker>> = Arc::new(rx.try_iter().collect());
            assert_eq!(wakers.len(), tasks);
            let counters = Arc::new(counters);
            let threads: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (wakers, counters) = (wakers.clone(), counters.clone());
                    std::thread::spawn(move || {
                        for round in 0..per_thread {
                            for (w, seen) in wakers.iter().zip(counters.iter()) {
                                seen.fetch_add(1, Ordering::Release);
                                match round % 3 {
                                    0 => w.wake_by_ref(),
                                    1 => {
                                        // By value: the clone is consumed.
                                        let by_value = w.clone();
                                        by_value.wake();
                                    }
                                    _ => {
                                        drop(w.clone()); // a clone that never wakes
                                        w.wake_by_ref();
                                    }
                                }
                            }
                        }
                    })
                })
                .collect();
            drop(wakers); // only the threads hold wakers now
            let mut polls = 0;
            for h in handles {
                polls += h.await.unwrap();
            }
            for t in threads {
                t.join().unwrap();
            }
            polls
        })
        .unwrap();
    (sum_of.iter().map(|c| c.load(Ordering::Relaxed)).sum(), polls)
}

#[test]
fn every_wake_from_four_threads_is_counted_and_none_is_lost() {
    let (tasks, wakes, repeats) = sizes();
    let mut rt = Runtime::new().unwrap();
    for repeat in 0..repeats {
        let (sum, polls) = storm(&mut rt, tasks, wakes);
        assert_eq!(sum, tasks as u64 * wakes, "repeat {repeat}");
        // Coalesced: never more polls than wakes (plus the first poll),
        // and at least two per task (the first and the finishing one).
        assert!(polls >= 2 * tasks as u64 && polls <= sum + tasks as u64, "{polls} polls");
        println!("repeat {repeat}: {sum} wakes, {polls} polls");
    }
}
