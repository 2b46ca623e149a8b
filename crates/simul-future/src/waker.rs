//! Wakers made by hand on [`RawWakerVTable`].
//!
//! A [`Waker`] is two words: a data pointer and a table of four functions
//! (`clone`, `wake`, `wake_by_ref`, `drop`). Here the data pointer is the
//! task's [`Header`], and the four functions below are the whole story of
//! how a future gets polled again.
//!
//! # The two roads of a wake
//!
//! ```text
//!   wake() on the runtime's thread,          wake() on any other thread,
//!   inside its block_on                      or outside block_on
//!        |                                        |
//!        v                                        v
//!   state has SCHEDULED or COMPLETE?         set the INJECTED bit in refs;
//!     yes: nothing to do (coalesced)         was it set? yes: nothing to do
//!     no:  set SCHEDULED,                      (already queued: coalesced)
//!          push on the run queue             no: refs += 1 (the queue's
//!          (no atomics, no lock)             hold), lock the injection
//!                                            queue, push the task, unlock,
//!                                            Notifier::wake() (one syscall
//!                                            per batch, coalesced)
//!                                                 |
//!                                                 v
//!                                     the loop drains the queue on its
//!                                     thread, clears INJECTED and takes
//!                                     the left-hand road
//! ```
//!
//! Only the runtime's thread ever reads or writes a task's state bits, so
//! a wake from another thread cannot race with a poll: it is a message.
//! Coalescing happens on the `SCHEDULED` bit, so a task woken twice (from
//! anywhere) before its next poll is polled once; woken during its poll,
//! it is polled once more afterwards, never re-entrantly; woken after it
//! finished, nothing happens. Wakes from other threads coalesce before
//! that, on the [`INJECTED`] bit: a task has at most one entry in the
//! injection queue, so millions of wakes sent while the loop is busy take
//! no memory (reliability item 3, `tests/wake_saturation.rs`).
//!
//! `clone` and `drop` count in the header's atomic `refs`: a waker may be
//! dropped on any thread. The waker handed to a future in `poll` is
//! borrowed (it owns no reference), so a future that only calls
//! `cx.waker().wake_by_ref()` costs no atomic at all.

use std::ptr::{self, NonNull};
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::runtime::{self, Core};
use crate::sync::{Arc, Ordering};
use crate::task::{Header, INJECTED, REFS, header, release_shared, state};

/// The table of every task waker. A `static`, so its address identifies
/// simul's wakers ([`local_task`]).
pub(crate) static VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// The borrowed waker for polling `ptr`: it owns no reference, so it must
/// not be dropped through the vtable (wrap it in `ManuallyDrop`).
///
/// # Safety
/// `ptr` is a live task and stays live while the waker (or a clone's
/// creation from it) is in use.
pub(crate) unsafe fn borrowed(ptr: NonNull<Header>) -> std::mem::ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE);
    // SAFETY: VTABLE's functions uphold the RawWaker contract for a task
    // pointer; the caller keeps the task alive.
    std::mem::ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// The current runtime's core if this thread is inside the `block_on` of
/// the runtime that owns `ptr`.
#[inline]
pub(crate) fn owner_core(ptr: NonNull<Header>) -> Option<&'static Core> {
    let core = runtime::current()?;
    // Compare `Shared` allocations: each task keeps its runtime's alive,
    // so the address cannot have been reused by another runtime.
    ptr::eq(core.shared_ptr(), Arc::as_ptr(&header(ptr).shared)).then_some(core)
}

/// The task behind `waker`, if it is a task of the runtime running on
/// this thread (and so may be handled through its local state).
#[inline]
pub(crate) fn local_task(waker: &Waker) -> Option<NonNull<Header>> {
    if !ptr::eq(waker.vtable(), &VTABLE) {
        return None;
    }
    let ptr = NonNull::new(waker.data().cast_mut().cast::<Header>())?;
    owner_core(ptr).map(|_| ptr)
}

/// Wakes `ptr` without consuming a reference (the caller holds one).
#[inline]
pub(crate) fn wake_task(ptr: NonNull<Header>) {
    match owner_core(ptr) {
        Some(core) => schedule(core, ptr),
        None => inject(ptr, false),
    }
}

/// The right-hand road: queues `ptr` for its runtime unless it is queued
/// already (its [`INJECTED`] bit set). `owned`: the caller hands over a
/// reference it holds (a wake by value), which the queue entry keeps or
/// which is released here; otherwise the entry takes a new one.
fn inject(ptr: NonNull<Header>, owned: bool) {
    let h = header(ptr);
    // AcqRel: the release publishes what the waker wrote before waking to
    // the loop's clearing of the bit; see INJECTED.
    if h.refs.fetch_or(INJECTED, Ordering::AcqRel) & INJECTED != 0 {
        if owned {
            release_shared(ptr);
        }
        return;
    }
    if !owned {
        h.refs.fetch_add(1, Ordering::Relaxed);
    }
    h.shared.inject(ptr);
}

/// The left-hand road: mark and queue, unless already queued or done.
#[inline]
pub(crate) fn schedule(core: &Core, ptr: NonNull<Header>) {
    let h = header(ptr);
    let s = h.state.get();
    if s & (state::SCHEDULED | state::COMPLETE) == 0 {
        h.state.set(s | state::SCHEDULED);
        core.push_ready(ptr);
        // A task woken by its own poll is recorded when the poll ends,
        // after its Suspended (`Core::trace_pending`).
        if s & state::RUNNING == 0 {
            core.trace(ptr, simul_reactor::trace::TraceKind::Woken);
        }
    }
}

/// # Safety
/// `data` is a task header the calling waker holds a reference on.
unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a reference, so the header is
    // alive.
    let h = unsafe { &*data.cast::<Header>() };
    // Relaxed suffices to take a reference from one we already hold (as
    // `Arc::clone`); abort, as `Arc` does before it wraps, long before the
    // count could reach the INJECTED bit.
    if h.refs.fetch_add(1, Ordering::Relaxed) & REFS > REFS / 2 {
        std::process::abort();
    }
    RawWaker::new(data, &VTABLE)
}

/// # Safety
/// As [`clone_waker`]; consumes the waker's reference.
unsafe fn wake(data: *const ()) {
    // SAFETY: a live waker's data is a non-null header pointer.
    let ptr = unsafe { NonNull::new_unchecked(data.cast_mut().cast::<Header>()) };
    match owner_core(ptr) {
        Some(core) => {
            schedule(core, ptr);
            release_shared(ptr);
        }
        // Hand our reference over to the queue entry (or drop it).
        None => inject(ptr, true),
    }
}

/// # Safety
/// As [`clone_waker`].
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: a live waker's data is a non-null header pointer.
    wake_task(unsafe { NonNull::new_unchecked(data.cast_mut().cast::<Header>()) });
}

/// # Safety
/// As [`clone_waker`]; consumes the waker's reference.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: a live waker's data is a non-null header pointer.
    release_shared(unsafe { NonNull::new_unchecked(data.cast_mut().cast::<Header>()) });
}
