//! Loom: a task's reference count (`Header::refs`, with its `INJECTED`
//! bit) frees the task exactly once, whatever other threads do with its
//! wakers while the runtime runs, drains their wakes, and drops its own
//! holders (issue 10; the cross-thread parts of catalogue items 1, 3 and
//! 22, proved for small models instead of sampled by stress tests).
//!
//! Built only under `RUSTFLAGS="--cfg loom"` (`scripts/loom.sh`). The code
//! under test is the crate's own: `Runtime`, `spawn`, the waker vtable
//! (`clone`, `wake`, `wake_by_ref`, `drop`), `release_shared`, the
//! injection queue and `Runtime`'s drop, with their atomics, `Arc` and
//! lock taken from loom (`src/sync.rs`), and simul-reactor's notifier's
//! `pending` flag too (its eventfd is real: a write, never a wait).
//!
//! How "freed exactly once" is checked: every task header holds an
//! `Arc<Shared>` (a loom `Arc` here). Loom fails an execution that ends
//! with a loom `Arc` still alive ("Arc leaked": a task never freed), and
//! a task freed twice drops that `Arc` twice (loom's count goes below
//! zero, or the allocator aborts on the double free). The future's own
//! destructor counts too: it must run exactly once.
//!
//! The models never let the runtime block in the reactor (a real
//! `epoll_wait` would stop every loom thread, all of which run on one OS
//! thread): the root task yields (and tells loom it is spinning) instead
//! of waiting.
//!
//! Checked by breaking the code on purpose (each caught): an owned wake
//! that finds `INJECTED` set keeping its reference, a by-reference wake
//! taking none for its queue entry (double free: the allocator aborts),
//! the drain not releasing the entry's reference, `release_shared`
//! counting the `INJECTED` bit, `Runtime`'s drop or a closed queue not
//! releasing entries (all "Arc leaked"), and the drain never clearing
//! `INJECTED`, or clearing `Shared::pending` after taking the queue
//! instead of before (the wake-after-drain and two-thread models spin:
//! "exceeded maximum number of branches"). Not covered: the memory
//! ordering of the free (the task's memory is not loom-tracked, only its
//! `Arc<Shared>`). The one-thread models are exhaustive; the two-thread
//! model is bounded to 4 preemptions.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::sync::atomic::AtomicU32;
use loom::thread::JoinHandle;
use simul_future::{Runtime, spawn, yield_now};

/// The preemption bound for the two-thread model (`LOOM_MAX_PREEMPTIONS`
/// overrides it).
const PREEMPTIONS: usize = 4;

/// What the other thread does with its waker (it may watch the task's
/// poll count).
type Remote = fn(Waker, &AtomicU32);

/// A task that, on its first poll, hands a clone of its waker to a new
/// loom thread running `remote`, then stays pending until `ready_after`
/// polls (never, with `u32::MAX`).
struct Handoff {
    remote: Remote,
    thread: Rc<Mutex<Option<JoinHandle<()>>>>,
    polls: Arc<AtomicU32>,
    ready_after: u32,
    drops: Rc<AtomicUsize>,
}

impl Future for Handoff {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let n = self.polls.fetch_add(1, Ordering::AcqRel) + 1;
        if n == 1 {
            let waker = cx.waker().clone();
            let (remote, polls) = (self.remote, self.polls.clone());
            *self.thread.lock().unwrap() = Some(loom::thread::spawn(move || remote(waker, &polls)));
        }
        if n > self.ready_after { Poll::Ready(()) } else { Poll::Pending }
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs one model: a runtime spawns one `Handoff` task per entry of
/// `remotes` (each with its own other thread); the root polls them once,
/// then either lets the runtime drop them unfinished (`ready_after =
/// u32::MAX`: the runtime cancels the tasks and drops its holders while
/// the other threads use the wakers) or spins until the other threads'
/// wakes have been drained and every task polled to completion.
fn model(remotes: &'static [Remote], ready_after: u32) {
    // One other thread is explored exhaustively; with two, schedules are
    // bounded to PREEMPTIONS preemptions (86,000 executions, ~7 s in
    // release; unbounded did not finish in 10 minutes).
    let mut builder = loom::model::Builder::new();
    if remotes.len() > 1 && builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(PREEMPTIONS);
    }
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let count = executions.clone();
    builder.check(move || {
        count.fetch_add(1, Ordering::Relaxed);
        let tasks: Vec<_> = remotes
            .iter()
            .map(|&remote| Handoff {
                remote,
                thread: Rc::default(),
                polls: Arc::new(AtomicU32::new(0)),
                ready_after,
                drops: Rc::new(AtomicUsize::new(0)),
            })
            .collect();
        let probes: Vec<_> =
            tasks.iter().map(|t| (t.thread.clone(), t.polls.clone(), t.drops.clone())).collect();
        let mut rt = Runtime::new().unwrap();
        rt.block_on(async {
            let handles: Vec<_> = tasks.into_iter().map(spawn).collect();
            yield_now().await;
            for (_, polls, _) in &probes {
                assert_eq!(polls.load(Ordering::Acquire), 1, "each task ran once");
            }
            if ready_after != u32::MAX {
                // Wait for the other threads' wakes without blocking the
                // runtime in the reactor.
                while probes
                    .iter()
                    .any(|(_, polls, _)| polls.load(Ordering::Acquire) <= ready_after)
                {
                    loom::thread::yield_now();
                    yield_now().await;
                }
                for handle in handles {
                    handle.await.unwrap();
                }
            }
        })
        .unwrap();
        drop(rt);
        for (thread, _, drops) in probes {
            let other = thread.lock().unwrap().take().expect("the task started the thread");
            other.join().unwrap();
            assert_eq!(drops.load(Ordering::Relaxed), 1, "each future is dropped exactly once");
        }
        // Leaving the model: loom checks every `Arc<Shared>` (one per task
        // header, one per runtime) was dropped, each exactly once.
    });
    println!("loom explored {} executions", executions.load(Ordering::Relaxed));
}

/// The other thread clones, wakes by value, wakes by reference and drops.
fn clone_wake_wake_by_ref_drop(waker: Waker, _: &AtomicU32) {
    let clone = waker.clone();
    waker.wake();
    clone.wake_by_ref();
    drop(clone);
}

/// The other thread only drops its waker: the last holder may be it.
fn just_drop(waker: Waker, _: &AtomicU32) {
    drop(waker);
}

/// A wake by reference, then one by value (coalesced on `INJECTED`,
/// releasing the waker's reference, or queued again with it after the
/// loop cleared the bit).
fn wake_by_ref_then_wake(waker: Waker, _: &AtomicU32) {
    waker.wake_by_ref();
    waker.wake();
}

/// Each wake sent once the task's poll has begun is followed by another
/// poll: waits for poll 1 to begin, wakes, waits for poll 2, wakes. If
/// the loop kept the `INJECTED` bit set after draining, the second wake
/// would be coalesced into nothing and the task never polled a third
/// time: the model then spins until loom gives up ("exceeded maximum
/// number of branches").
fn wake_after_each_poll(waker: Waker, polls: &AtomicU32) {
    for round in 1..=2 {
        while polls.load(Ordering::Acquire) < round {
            loom::thread::yield_now();
        }
        waker.wake_by_ref();
    }
}

/// One wake by reference once the task's first poll has begun.
fn wake_once_after_first_poll(waker: Waker, polls: &AtomicU32) {
    while polls.load(Ordering::Acquire) < 1 {
        loom::thread::yield_now();
    }
    waker.wake_by_ref();
}

#[test]
fn runtime_dropped_while_another_thread_clones_wakes_and_drops() {
    model(&[clone_wake_wake_by_ref_drop], u32::MAX);
}

#[test]
fn runtime_dropped_while_another_thread_drops_the_last_waker() {
    model(&[just_drop], u32::MAX);
}

#[test]
fn wakes_from_another_thread_drained_by_the_loop_then_the_task_completes() {
    model(&[wake_by_ref_then_wake], 1);
}

#[test]
fn a_wake_from_another_thread_after_a_drain_is_not_coalesced_away() {
    model(&[wake_after_each_poll], 2);
}

/// Two tasks woken from two threads, one wake each after its first poll:
/// the second thread's push may land while the loop is draining the
/// first's. The loop must clear `Shared::pending` before it takes the
/// queue, or that push (finding `pending` still set, so not waking the
/// reactor) stays queued with `pending` clear, unseen: the model spins.
#[test]
fn two_threads_inject_while_the_loop_drains() {
    model(&[wake_once_after_first_poll, wake_once_after_first_poll], 1);
}
