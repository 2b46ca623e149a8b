//! Reliability item 2 at the catalogue's size: wakes that arrive while the
//! task is being polled, from the task itself and from another thread.
//! The task is never polled concurrently or inline from `wake()` (a flag
//! set for the length of each poll would see it), and every wake during a
//! poll gives exactly one more poll: wakes coalesce, none is lost.
//!
//! CI size: 20,000 wakes each way. `SIMUL_FULL=1`: 1,000,000 (run it
//! with `--release`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};

use simul_future::Runtime;

fn wakes() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 1_000_000 } else { 20_000 }
}

/// Set for the length of every poll; a second poll starting while it is
/// set (inline from `wake`, or on another thread) fails the test.
#[derive(Default)]
struct InPoll(AtomicBool);

impl InPoll {
    fn enter(&self) {
        assert!(!self.0.swap(true, Ordering::SeqCst), "polled while being polled");
    }
    fn leave(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Wakes itself (`wake_by_ref`, then `wake` on a clone, in turn) in every
/// poll until it has been polled `target` times.
struct SelfWaking {
    in_poll: Arc<InPoll>,
    polls: u64,
    target: u64,
}

impl Future for SelfWaking {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        self.in_poll.enter();
        self.polls += 1;
        let done = self.polls == self.target;
        if !done {
            // Twice: the second wake coalesces with the first.
            if self.polls.is_multiple_of(2) {
                cx.waker().wake_by_ref();
                cx.waker().wake_by_ref();
            } else {
                // By value: each clone is consumed by its wake.
                let (a, b) = (cx.waker().clone(), cx.waker().clone());
                a.wake();
                b.wake();
            }
        }
        self.in_poll.leave();
        if done { Poll::Ready(self.polls) } else { Poll::Pending }
    }
}

/// In every poll, asks a helper thread to wake it and waits until that
/// wake has been made, all before returning `Pending`.
struct WokenFromAfar {
    in_poll: Arc<InPoll>,
    polls: u64,
    target: u64,
    ask: mpsc::Sender<Waker>,
    made: Arc<AtomicU64>,
}

impl Future for WokenFromAfar {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        self.in_poll.enter();
        self.polls += 1;
        let done = self.polls == self.target;
        if !done {
            let before = self.made.load(Ordering::Acquire);
            self.ask.send(cx.waker().clone()).unwrap();
            // The helper wakes us while this poll is still running.
            while self.made.load(Ordering::Acquire) == before {
                std::hint::spin_loop();
            }
        }
        self.in_poll.leave();
        if done { Poll::Ready(self.polls) } else { Poll::Pending }
    }
}

#[test]
fn a_task_waking_itself_is_polled_once_more_per_poll_and_never_inline() {
    let n = wakes();
    let mut rt = Runtime::new().unwrap();
    let in_poll = Arc::new(InPoll::default());
    let task = rt.spawn(SelfWaking { in_poll, polls: 0, target: n + 1 });
    let polls = rt.block_on(task).unwrap().unwrap();
    // n polls woke the task (twice each), and each gave exactly one more.
    assert_eq!(polls, n + 1);
}

#[test]
fn a_wake_from_another_thread_during_the_poll_gives_exactly_one_more_poll() {
    let n = wakes();
    let (ask, asked) = mpsc::channel::<Waker>();
    let made = Arc::new(AtomicU64::new(0));
    let helper = {
        let made = made.clone();
        std::thread::spawn(move || {
            for (i, waker) in asked.into_iter().enumerate() {
                if i % 2 == 0 {
                    waker.wake_by_ref()
                } else {
                    waker.wake()
                }
                made.fetch_add(1, Ordering::Release);
            }
        })
    };
    let mut rt = Runtime::new().unwrap();
    let in_poll = Arc::new(InPoll::default());
    let task = WokenFromAfar { in_poll, polls: 0, target: n + 1, ask, made: made.clone() };
    let task = rt.spawn(task);
    let polls = rt.block_on(task).unwrap().unwrap();
    helper.join().unwrap(); // the task, and with it the sender, is gone
    assert_eq!(made.load(Ordering::Relaxed), n);
    assert_eq!(polls, n + 1, "one poll per wake");
}
