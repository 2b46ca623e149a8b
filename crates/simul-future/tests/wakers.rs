//! Hand-made wakers: clone, drop, double wakes, wakes after the end, and
//! wakes from other threads.

mod util;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use simul_future::{Runtime, spawn, yield_now};
use util::Parked;

type Probes = (Rc<RefCell<u32>>, Rc<RefCell<Option<Waker>>>, Rc<RefCell<bool>>);

fn parked() -> (Parked, Probes) {
    let p = Parked { polls: Rc::default(), waker: Rc::default(), done: Rc::default() };
    let (polls, waker, done) = (p.polls.clone(), p.waker.clone(), p.done.clone());
    (p, (polls, waker, done))
}

#[test]
fn wakers_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Waker>();
}

#[test]
fn two_wakes_before_a_poll_give_one_poll() {
    let mut rt = Runtime::new().unwrap();
    let (fut, (polls, waker, _done)) = parked();
    rt.block_on(async move {
        let task = spawn(fut);
        yield_now().await;
        assert_eq!(*polls.borrow(), 1);
        let w = waker.borrow().clone().unwrap();
        let w2 = w.clone();
        w.wake_by_ref();
        w2.wake(); // by value, second wake: coalesced
        w.wake_by_ref();
        yield_now().await;
        yield_now().await;
        assert_eq!(*polls.borrow(), 2, "three wakes in one round, one poll");
        drop(w);
        task.abort();
    })
    .unwrap();
}

#[test]
fn clones_and_drops_in_any_order_keep_the_task_alive() {
    let mut rt = Runtime::new().unwrap();
    let (fut, (polls, waker, done)) = parked();
    let kept = rt
        .block_on(async move {
            let task = spawn(fut);
            yield_now().await;
            let w = waker.borrow_mut().take().unwrap();
            let clones: Vec<Waker> = (0..100).map(|_| w.clone()).collect();
            drop(w);
            let kept = clones[37].clone();
            drop(clones);
            *done.borrow_mut() = true;
            kept.wake_by_ref();
            task.await.unwrap();
            assert_eq!(*polls.borrow(), 2);
            kept
        })
        .unwrap();
    // The task is finished and freed from the runtime; the waker still
    // holds its header. Waking it does nothing; dropping it frees it.
    kept.wake_by_ref();
    rt.block_on(yield_now()).unwrap();
    drop(rt);
    kept.wake_by_ref(); // after the runtime is gone: ignored
    kept.wake();
}

#[test]
fn wake_during_own_poll_polls_once_more_later() {
    struct SelfWaking {
        polls: u32,
        depth: Rc<RefCell<u32>>,
    }
    impl Future for SelfWaking {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            *self.depth.borrow_mut() += 1;
            assert_eq!(*self.depth.borrow(), 1, "polled re-entrantly");
            self.polls += 1;
            let out = if self.polls == 1000 {
                Poll::Ready(self.polls)
            } else {
                // Woken twice while running: still exactly one more poll.
                cx.waker().wake_by_ref();
                let by_value = cx.waker().clone();
                by_value.wake();
                Poll::Pending
            };
            *self.depth.borrow_mut() -= 1;
            out
        }
    }
    let mut rt = Runtime::new().unwrap();
    let depth = Rc::new(RefCell::new(0));
    let polls = rt.block_on(async move { spawn(SelfWaking { polls: 0, depth }).await }).unwrap();
    assert_eq!(polls.unwrap(), 1000);
}

#[test]
fn many_wakes_from_another_thread_during_one_round_give_one_poll() {
    let mut rt = Runtime::new().unwrap();
    let (fut, (polls, waker, _done)) = parked();
    rt.block_on(async move {
        let task = spawn(fut);
        yield_now().await;
        let w = waker.borrow().clone().unwrap();
        // The loop is blocked in this poll while the thread wakes: all
        // 100 wakes are queued before the loop looks.
        std::thread::spawn(move || {
            for _ in 0..100 {
                w.wake_by_ref();
            }
        })
        .join()
        .unwrap();
        // Other threads' wakes are collected at least every BUDGET polls.
        for _ in 0..2 * simul_future::BUDGET {
            yield_now().await;
        }
        assert_eq!(*polls.borrow(), 2);
        task.abort();
    })
    .unwrap();
}

/// Four threads wake one task 10,000 times each (half by reference, half
/// by value on a clone). The task finishes only when it has seen every
/// increment, so a lost wake would leave it stuck: with every waker
/// dropped, the runtime would then report a deadlock rather than hang.
#[test]
fn four_threads_ten_thousand_wakes_each_none_lost() {
    const THREADS: u64 = 4;
    const WAKES: u64 = 10_000;
    struct Counter {
        seen: Arc<AtomicU64>,
        waker_out: Option<std::sync::mpsc::Sender<Waker>>,
        polls: u64,
    }
    impl Future for Counter {
        type Output = u64;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
            self.polls += 1;
            if let Some(tx) = self.waker_out.take() {
                for _ in 0..THREADS {
                    tx.send(cx.waker().clone()).unwrap();
                }
            }
            if self.seen.load(Ordering::Acquire) == THREADS * WAKES {
                Poll::Ready(self.polls)
            } else {
                Poll::Pending
            }
        }
    }
    for _ in 0..3 {
        let mut rt = Runtime::new().unwrap();
        let seen = Arc::new(AtomicU64::new(0));
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (seen, rx) = (seen.clone(), rx.clone());
                std::thread::spawn(move || {
                    let w = rx.lock().unwrap().recv().unwrap();
                    for i in 0..WAKES {
                        seen.fetch_add(1, Ordering::Release);
                        if i % 2 == 0 {
                            w.wake_by_ref()
                        } else {
                            let by_value = w.clone();
                            by_value.wake()
                        }
                    }
                })
            })
            .collect();
        let polls = rt
            .block_on(async move {
                spawn(Counter { seen, waker_out: Some(tx), polls: 0 }).await.unwrap()
            })
            .unwrap();
        for t in threads {
            t.join().unwrap();
        }
        assert!((2..=THREADS * WAKES + 1).contains(&polls), "{polls} polls");
    }
}

/// The wake storm: 1,000 tasks, each woken 100 times by each of 4 threads
/// (alternating wake_by_ref and wake on a clone). Every task finishes only
/// when its atomic counter shows all 400 wakes were sent, so a lost wake
/// would leave it stuck; once the threads are gone with their wakers, the
/// runtime would report that as a deadlock instead of hanging.
#[test]
fn wake_storm_from_four_threads() {
    const TASKS: usize = 1_000;
    const THREADS: u64 = 4;
    const WAKES: u64 = 100;
    struct Stormed {
        seen: Arc<AtomicU64>,
        waker_out: Option<std::sync::mpsc::Sender<Waker>>,
    }
    impl Future for Stormed {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if let Some(tx) = self.waker_out.take() {
                tx.send(cx.waker().clone()).unwrap();
            }
            if self.seen.load(Ordering::Acquire) == THREADS * WAKES {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }
    let mut rt = Runtime::new().unwrap();
    let counters: Vec<Arc<AtomicU64>> = (0..TASKS).map(|_| Arc::default()).collect();
    let done = rt
        .block_on(async move {
            let (tx, rx) = std::sync::mpsc::channel::<Waker>();
            let handles: Vec<_> = counters
                .iter()
                .map(|seen| spawn(Stormed { seen: seen.clone(), waker_out: Some(tx.clone()) }))
                .collect();
            yield_now().await; // every task polled once: its waker sent
            let wakers: Arc<Vec<Waker>> = Arc::new(rx.try_iter().collect());
            assert_eq!(wakers.len(), TASKS);
            let counters = Arc::new(counters);
            let threads: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (wakers, counters) = (wakers.clone(), counters.clone());
                    std::thread::spawn(move || {
                        for round in 0..WAKES {
                            for (w, seen) in wakers.iter().zip(counters.iter()) {
                                seen.fetch_add(1, Ordering::Release);
                                if round % 2 == 0 {
                                    w.wake_by_ref();
                                } else {
                                    let by_value = w.clone();
                                    by_value.wake();
                                }
                            }
                        }
                    })
                })
                .collect();
            drop(wakers); // only the threads hold wakers now
            let mut done = 0;
            for h in handles {
                h.await.unwrap();
                done += 1;
            }
            for t in threads {
                t.join().unwrap();
            }
            done
        })
        .unwrap();
    assert_eq!(done, TASKS);
}
