//! Loom: a task's reference count (`Header::refs`, with its `INJECTED`
//! bit) frees the task exactly once, whatever other threads do with its
//! wakers while the runtime runs, drains their wakes, and drops its own
//! holders (issue 10; catalogue items 3 and 22, proved for small models
//! instead of sampled by stress tests).
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
//! `INJECTED` (the last model spins: "exceeded maximum number of
//! branches"). Not covered: the memory ordering of the free (the task's
//! memory is not loom-tracked, only its `Arc<Shared>`), and races between
//! two tasks' injections (`Shared::pending`), which need a model with two
//! remote threads.
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

/// Runs one model: a runtime spawns a `Handoff` task; the root polls it
/// once, then either lets the runtime drop it unfinished (`ready_after =
/// u32::MAX`: the runtime cancels the task and drops its holders while
/// the other thread uses the waker) or spins until the other thread's
/// wake has been drained and the task polled to completion.
fn model(remote: Remote, ready_after: u32) {
    loom::model(move || {
        let thread: Rc<Mutex<Option<JoinHandle<()>>>> = Rc::default();
        let polls = Arc::new(AtomicU32::new(0));
        let drops = Rc::new(AtomicUsize::new(0));
        let task = Handoff {
            remote,
            thread: thread.clone(),
            polls: polls.clone(),
            ready_after,
            drops: drops.clone(),
        };
        let mut rt = Runtime::new().unwrap();
        rt.block_on(async {
            let handle = spawn(task);
            yield_now().await;
            assert_eq!(polls.load(Ordering::Acquire), 1, "the task ran once");
            if ready_after != u32::MAX {
                // Wait for the other thread's wake without blocking the
                // runtime in the reactor.
                while polls.load(Ordering::Acquire) <= ready_after {
                    loom::thread::yield_now();
                    yield_now().await;
                }
                handle.await.unwrap();
            }
        })
        .unwrap();
        drop(rt);
        let other = thread.lock().unwrap().take().expect("the task started the thread");
        other.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1, "the future is dropped exactly once");
        // Leaving the model: loom checks every `Arc<Shared>` (one per task
        // header, one per runtime) was dropped, each exactly once.
    });
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

#[test]
fn runtime_dropped_while_another_thread_clones_wakes_and_drops() {
    model(clone_wake_wake_by_ref_drop, u32::MAX);
}

#[test]
fn runtime_dropped_while_another_thread_drops_the_last_waker() {
    model(just_drop, u32::MAX);
}

#[test]
fn wakes_from_another_thread_drained_by_the_loop_then_the_task_completes() {
    model(wake_by_ref_then_wake, 1);
}

#[test]
fn a_wake_from_another_thread_after_a_drain_is_not_coalesced_away() {
    model(wake_after_each_poll, 2);
}
