//! Reliability item 3 for futures: wake saturation. Four threads wake one
//! task millions of times, with no wait in between, while the runtime's
//! thread is busy inside a poll and cannot look: the wakes coalesce (the
//! task is polled once for them all), they take no memory per wake (a
//! queue entry per wake would grow without bound for as long as the loop
//! is busy), and afterwards a single wake from another thread still ends
//! the runtime's blocking wait.
//!
//! CI size: 100,000 wakes per round, 3 rounds. `SIMUL_FULL=1`:
//! 10,000,000.
//!
//! One test function, so nothing else allocates while it measures.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use simul_future::{BUDGET, Runtime, spawn, yield_now};
use simul_testkit::alloc::{Counting, peak, reset_peak};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn wakes() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000_000 } else { 100_000 }
}

const THREADS: u64 = 4;
const ROUNDS: u32 = 3;

/// Pending until `finish` is set; counts its polls, hands its waker out
/// at the first one, and wakes whoever watches it at each.
struct Target {
    polls: Arc<AtomicU64>,
    finish: Arc<AtomicBool>,
    waker_out: Option<mpsc::Sender<Waker>>,
    watcher: Arc<Mutex<Option<Waker>>>,
}

impl Future for Target {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if let Some(out) = self.waker_out.take() {
            out.send(cx.waker().clone()).unwrap();
        }
        if let Some(w) = self.watcher.lock().unwrap().take() {
            w.wake();
        }
        if self.finish.load(Ordering::Acquire) { Poll::Ready(()) } else { Poll::Pending }
    }
}

/// `n` wakes from `THREADS` threads at once, half by reference and half
/// by value on a fresh clone, while the caller blocks the loop.
fn storm(waker: &Waker, n: u64) {
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let w = waker.clone();
            std::thread::spawn(move || {
                for i in 0..n / THREADS {
                    if i % 2 == 0 {
                        w.wake_by_ref();
                    } else {
                        // By value: the wake hands its own reference over
                        // (or, coalesced, gives it back).
                        let clone = w.clone();
                        clone.wake();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn millions_of_wakes_from_other_threads_coalesce_take_no_memory_and_later_wakes_still_wake() {
    let n = wakes();
    // The runtime runs on its own thread so that a lost late wake (a
    // runtime asleep for ever) fails the test instead of hanging it.
    let (done_tx, done_rx) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let mut rt = Runtime::new().unwrap();
        let polls = Arc::new(AtomicU64::new(0));
        let finish = Arc::new(AtomicBool::new(false));
        let (waker_tx, waker_rx) = mpsc::channel();
        let watcher = Arc::new(Mutex::new(None));
        let target = Target {
            polls: polls.clone(),
            finish: finish.clone(),
            waker_out: Some(waker_tx),
            watcher: watcher.clone(),
        };
        let mut peaks = Vec::new();
        rt.block_on(async {
            let task = spawn(target);
            yield_now().await;
            assert_eq!(polls.load(Ordering::Relaxed), 1);
            let waker = waker_rx.recv().unwrap();
            for round in 0..ROUNDS {
                let before = polls.load(Ordering::Relaxed);
                // Inside one poll of `block_on`'s future: the loop is busy
                // and sees none of the wakes until the storm is over.
                let base = reset_peak();
                storm(&waker, n);
                peaks.push(peak() - base);
                // Other threads' wakes are collected at least every BUDGET
                // polls; give the loop many chances to poll it again.
                for _ in 0..4 * BUDGET {
                    yield_now().await;
                }
                let polled = polls.load(Ordering::Relaxed) - before;
                assert_eq!(polled, 1, "round {round}: {n} wakes gave {polled} polls");

                // The loop now idles in its wait (nothing ready, no timer):
                // one wake from another thread, a little later, must end it.
                let late = waker.clone();
                let last = round + 1 == ROUNDS;
                let f = finish.clone();
                let t = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    f.store(last, Ordering::Release);
                    late.wake();
                });
                // Nothing is ready until the late wake: the loop blocks in
                // its wait (the watcher's waker, kept by the target, and
                // the late waker mean it cannot report a deadlock).
                let before = polls.load(Ordering::Relaxed);
                PolledSince { polls: &polls, before, watcher: &watcher }.await;
                t.join().unwrap();
            }
            drop(waker);
            task.await.unwrap();
        })
        .unwrap();
        done_tx.send((peaks, polls.load(Ordering::Relaxed))).unwrap();
    });
    let (peaks, polls) = done_rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the runtime never woke from a late wake (or the storm took 2 minutes)");
    runner.join().unwrap();
    // One poll at the start, then per round one for the storm and one for
    // the late wake.
    assert_eq!(polls, 1 + 2 * u64::from(ROUNDS));
    // No memory per wake: threads' own bookkeeping only, whatever n is.
    for (round, peak) in peaks.iter().enumerate() {
        assert!(
            *peak < 256 << 10,
            "round {round}: {n} wakes took {peak} bytes of heap at the peak"
        );
    }
}

/// Ready once the target has been polled more than `before` times;
/// until then it leaves its waker in `watcher`, which the target wakes.
struct PolledSince<'a> {
    polls: &'a AtomicU64,
    before: u64,
    watcher: &'a Mutex<Option<Waker>>,
}

impl Future for PolledSince<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polls.load(Ordering::Relaxed) > self.before {
            return Poll::Ready(());
        }
        *self.watcher.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}
