//! Tasks: a spawned future in one heap allocation, with a header the
//! runtime, the `JoinHandle` and every waker point at.
//!
//! ```text
//!   NonNull<Header> ──► +──────────── TaskCell<F> (one Box) ────────────+
//!   (run queue, waker,  │ Header: refs, local, state, vtable, shared ... │
//!    JoinHandle, ...)   │ Stage<F>: Running(F) | Finished(result) | ... │
//!                       +─────────────────────────────────────────────────+
//! ```
//!
//! The header is `#[repr(C)]` first in the cell, so a pointer to the cell
//! is a pointer to the header, and code that does not know `F` (the run
//! queue, the waker) works through the header and its [`TaskVTable`].
//!
//! # Two reference counts
//!
//! A single-threaded executor should not pay for atomics, yet a waker is
//! `Send + Sync` and may be cloned and dropped on any thread. So the
//! holders are split in two:
//!
//! * **Local holders** live on the runtime's thread only: the runtime's
//!   list of live tasks, the `JoinHandle`, and the [`TaskRef`]s that
//!   simul's own futures keep instead of a cloned waker (a timer entry, a
//!   join waiter). They are counted in `local`, a plain `Cell`.
//! * **Shared holders** are wakers (clones) and entries in the cross-thread
//!   injection queue, counted in the atomic `refs`, which also holds
//!   *one* reference on behalf of all local holders while `local > 0`.
//!
//! The allocation is freed when `refs` reaches zero, on whichever thread
//! that happens. Spawning and joining a task therefore costs one atomic
//! decrement, when the last local holder goes.

pub(crate) mod cells;
pub(crate) mod state;
mod wait;

pub(crate) use wait::{WaitCell, WaitReason};

use std::alloc::Layout;
use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, Waker};

use crate::JoinError;
use crate::runtime::{Core, Shared};
use crate::sync::{Arc, AtomicU32, Ordering, fence};

/// The type-erased operations on a [`TaskCell<F>`], one static table per
/// future type.
pub(crate) struct TaskVTable {
    /// Polls the future once.
    pub(crate) poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Polled,
    /// Drops the future in place and stores `JoinError::Cancelled`.
    pub(crate) cancel: unsafe fn(NonNull<Header>),
    /// Moves the stored result into `*out`, a `Poll<Result<T, JoinError>>`.
    pub(crate) read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the stored result, if any.
    pub(crate) drop_output: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
}

/// The part of a task every holder can see without knowing its future's
/// type.
///
/// # Invariant
///
/// The `Cell` fields (and the stage after it) are read and written only
/// on the thread that owns the runtime: the runtime, its `JoinHandle`s and
/// [`TaskRef`]s are `!Send`, and a waker touches them only after checking
/// that it runs inside this task's runtime on this thread
/// ([`crate::waker`]). Other threads touch `refs` and `shared` only.
pub(crate) struct Header {
    /// Shared holders (waker clones, the injection-queue entry) plus one
    /// for the local holders while `local > 0`, in the low 31 bits
    /// ([`REFS`]); the task is freed when they reach zero. The top bit is
    /// [`INJECTED`].
    ///
    /// 32 bits, so that with `local`, `state` and `slot` it fills one
    /// 16-byte line: the header is 72 bytes, and a spawned `sleep` fits a
    /// 128-byte allocation (144 in an `async` block). Cloning a waker aborts before the count could
    /// reach the flag (as `Arc` aborts before it wraps), which needs a
    /// billion live clones; every other increment is bounded: one per
    /// local holder, and one for the single injection-queue entry.
    pub(crate) refs: AtomicU32,
    /// Local holders: the runtime's list while the task is live, the
    /// `JoinHandle`, and [`TaskRef`]s.
    pub(crate) local: Cell<u32>,
    /// Bits from [`state`].
    pub(crate) state: Cell<u32>,
    /// Index in the runtime's list of live tasks (fewer than four billion
    /// tasks can be alive: each takes at least 72 bytes).
    pub(crate) slot: Cell<u32>,
    /// The owning runtime's thread-safe part: the injection queue and the
    /// reactor's notifier. Kept alive by every task, so a waker used after
    /// the runtime is gone still has somewhere (closed) to go.
    pub(crate) shared: Arc<Shared>,
    /// Operations that know the future's type.
    pub(crate) vtable: &'static TaskVTable,
    /// Where `spawn` was called, for diagnostics.
    pub(crate) location: &'static Location<'static>,
    /// A number unique within the runtime, for diagnostics.
    pub(crate) id: u64,
    /// Who awaits the `JoinHandle`; woken when the task completes.
    ///
    /// # Invariant
    ///
    /// Initialised exactly when [`state::JOIN_WAITER`] is set. (An
    /// `Option<Waiter>` would take 24 bytes: `Waiter` has no spare niche.)
    /// Use [`Header::take_join_waiter`] and [`Header::set_join_waiter`].
    join_waiter: UnsafeCell<MaybeUninit<Waiter>>,
    /// What the task waits on, for deadlock reports.
    pub(crate) waiting_on: WaitCell,
}

impl Header {
    /// Takes the `JoinHandle`'s waiter, if one is stored. Owner thread only.
    #[inline]
    pub(crate) fn take_join_waiter(&self) -> Option<Waiter> {
        let s = self.state.get();
        if s & state::JOIN_WAITER == 0 {
            return None;
        }
        self.state.set(s & !state::JOIN_WAITER);
        let slot: *const MaybeUninit<Waiter> = self.join_waiter.get();
        // SAFETY: the bit was set, so the slot is initialised (the
        // field's invariant); clearing the bit first hands ownership of
        // the value to us. Owner thread only, so no one else touches it.
        Some(unsafe { slot.cast::<Waiter>().read() })
    }

    /// Stores the `JoinHandle`'s waiter, dropping the one stored before.
    /// Owner thread only.
    #[inline]
    pub(crate) fn set_join_waiter(&self, waiter: Waiter) {
        drop(self.take_join_waiter());
        let slot: *mut MaybeUninit<Waiter> = self.join_waiter.get();
        // SAFETY: the slot is uninitialised (the bit is clear after the
        // take), and only the owner thread touches it.
        unsafe { slot.cast::<Waiter>().write(waiter) };
        self.state.set(self.state.get() | state::JOIN_WAITER);
    }
}

impl Drop for Header {
    fn drop(&mut self) {
        // Normally empty by now (a task completing or losing its handle
        // takes its waiter); drop one that is left rather than leak it.
        drop(self.take_join_waiter());
    }
}

/// How one poll of a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Polled {
    /// The future returned `Pending`.
    Pending,
    /// It returned `Ready`: its output is stored.
    Ready,
    /// It (or its destructor) panicked: the panic is stored.
    Panicked,
}

/// What a task's future has become.
enum Stage<F: Future> {
    /// Still running (or not started).
    Running(F),
    /// Finished: the result waits for the `JoinHandle`.
    Finished(Result<F::Output, JoinError>),
    /// The result was taken or dropped, or this is the root's header.
    Consumed,
}

/// A task: header and future in one allocation.
#[repr(C)]
pub(crate) struct TaskCell<F: Future> {
    /// First, so that a `*TaskCell<F>` is a `*Header`.
    header: Header,
    /// The future, then its result. Pinned: the cell never moves.
    stage: UnsafeCell<Stage<F>>,
}

impl<F: Future> TaskCell<F> {
    const VTABLE: TaskVTable = TaskVTable {
        poll: Self::poll,
        cancel: Self::cancel,
        read_output: Self::read_output,
        drop_output: Self::drop_output,
        dealloc: Self::dealloc,
    };

    /// Allocates a task for `future`, with the given state bits and
    /// `local` local holders, and returns its header.
    pub(crate) fn allocate(
        future: Option<F>,
        core: &Core,
        state: u32,
        local: u32,
        id: u64,
        location: &'static Location<'static>,
    ) -> NonNull<Header> {
        let cell = TaskCell {
            header: Header {
                refs: AtomicU32::new(1),
                local: Cell::new(local),
                state: Cell::new(state),
                slot: Cell::new(u32::MAX),
                shared: core.shared.clone(),
                vtable: &Self::VTABLE,
                location,
                id,
                join_waiter: UnsafeCell::new(MaybeUninit::uninit()),
                waiting_on: WaitCell::new(),
            },
            stage: UnsafeCell::new(match future {
                Some(f) => Stage::Running(f),
                None => Stage::Consumed,
            }),
        };
        let layout = Layout::new::<TaskCell<F>>();
        let reused = core.cells.try_borrow_mut().ok().and_then(|mut c| c.take(layout));
        match reused {
            Some(block) => {
                let block = block.cast::<TaskCell<F>>();
                // SAFETY: a cached block is an empty allocation of exactly
                // this layout (`CellCache`'s invariant).
                unsafe { block.as_ptr().write(cell) };
                block.cast()
            }
            None => NonNull::from(Box::leak(Box::new(cell))).cast(),
        }
    }

    /// The stage of the task at `ptr`.
    ///
    /// # Safety
    /// `ptr` is a live `TaskCell<F>`, used on its runtime's thread, with
    /// no other reference to the stage alive while the result is used.
    unsafe fn stage<'a>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
        // SAFETY: the caller guarantees a live TaskCell<F>.
        let cell = unsafe { ptr.cast::<TaskCell<F>>().as_ref() };
        // SAFETY: the caller guarantees exclusive access on the owner thread.
        unsafe { &mut *cell.stage.get() }
    }

    /// # Safety
    /// `ptr` is a live `TaskCell<F>`, on its runtime's thread, not polled
    /// re-entrantly.
    unsafe fn poll(ptr: NonNull<Header>, cx: &mut Context<'_>) -> Polled {
        // SAFETY: the caller guarantees a live TaskCell<F> and exclusive
        // access on the owner thread.
        let stage = unsafe { Self::stage(ptr) };
        let Stage::Running(future) = stage else { return Polled::Ready };
        // SAFETY: the cell is boxed and never moved until it is freed, and
        // the future is dropped in place (`finish`), so it stays pinned.
        let future = unsafe { Pin::new_unchecked(future) };
        let result = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Polled::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::Panic(payload)),
        };
        // SAFETY: as above; `finish` drops the future in place.
        if unsafe { Self::finish(ptr, result) } { Polled::Panicked } else { Polled::Ready }
    }

    /// Drops the running future in place and stores `result` (or the
    /// panic of the future's destructor); `true` when what it stored is a
    /// panic.
    ///
    /// # Safety
    /// As [`poll`](Self::poll), with the stage `Running`.
    unsafe fn finish(ptr: NonNull<Header>, result: Result<F::Output, JoinError>) -> bool {
        // SAFETY: caller's guarantee.
        let stage: *mut Stage<F> = unsafe { Self::stage(ptr) };
        // Drop in place (never move a pinned future). If the destructor
        // panics, the remaining fields are still dropped by the unwinding
        // glue, and the slot counts as dropped: overwrite it without a drop.
        // SAFETY: `stage` is valid and initialised, dropped exactly once here.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe { ptr::drop_in_place(stage) }));
        let result = match dropped {
            Ok(()) => result,
            Err(payload) => Err(JoinError::Panic(payload)),
        };
        let panicked = matches!(result, Err(JoinError::Panic(_)));
        // SAFETY: the old value was dropped just above.
        unsafe { ptr::write(stage, Stage::Finished(result)) };
        panicked
    }

    /// # Safety
    /// As [`poll`](Self::poll).
    unsafe fn cancel(ptr: NonNull<Header>) {
        // SAFETY: caller's guarantee.
        let stage = unsafe { Self::stage(ptr) };
        if matches!(stage, Stage::Running(_)) {
            // SAFETY: caller's guarantee; the stage is `Running`.
            let _ = unsafe { Self::finish(ptr, Err(JoinError::Cancelled)) };
        }
    }

    /// # Safety
    /// As [`poll`](Self::poll); `out` points at a
    /// `Poll<Result<F::Output, JoinError>>`.
    unsafe fn read_output(ptr: NonNull<Header>, out: *mut ()) {
        // SAFETY: caller's guarantee.
        let stage = unsafe { Self::stage(ptr) };
        // Moving the result out is fine: only the future was pinned.
        if let Stage::Finished(result) = std::mem::replace(stage, Stage::Consumed) {
            // SAFETY: the caller says `out` has this type.
            unsafe { *out.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(result) };
        }
    }

    /// # Safety
    /// As [`poll`](Self::poll).
    unsafe fn drop_output(ptr: NonNull<Header>) {
        // SAFETY: caller's guarantee.
        let stage = unsafe { Self::stage(ptr) };
        if let Stage::Finished(result) = std::mem::replace(stage, Stage::Consumed) {
            // A panicking destructor of an output nobody wants must not
            // take the runtime down.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(result)));
        }
    }

    /// # Safety
    /// `ptr` came from [`allocate`](Self::allocate) and no holder is left.
    unsafe fn dealloc(ptr: NonNull<Header>) {
        let cell = ptr.cast::<TaskCell<F>>();
        // On the runtime's own thread, keep the memory for the next spawn.
        if let Some(core) = crate::waker::owner_core(ptr)
            && let Ok(mut cells) = core.cells.try_borrow_mut()
        {
            // SAFETY: the last reference is gone, so nobody else sees the
            // cell; its stage is `Consumed` (see below). Dropped in place
            // once, then the block is empty.
            unsafe { ptr::drop_in_place(cell.as_ptr()) };
            let layout = Layout::new::<TaskCell<F>>();
            // SAFETY: allocated by the global allocator with this layout
            // (by `Box::new`, or reused from the cache), and now empty.
            if !unsafe { cells.put(layout, cell.cast()) } {
                // SAFETY: as above; the cache refused it, so free it here.
                unsafe { std::alloc::dealloc(cell.as_ptr().cast(), layout) };
            }
            return;
        }
        // SAFETY: allocated with the layout of a `Box<TaskCell<F>>` (by
        // `Box::new` or reused from the cache), freed once. The stage is
        // `Consumed` by now (local holders are gone only after the future
        // and output were dropped on the owner thread), so nothing `!Send`
        // is dropped here.
        drop(unsafe { Box::from_raw(cell.as_ptr()) });
    }
}

/// Borrows the header behind `ptr`.
///
/// The pointer must be a live task; every caller holds a reference.
#[inline]
pub(crate) fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: callers pass pointers they hold a reference on (local,
    // shared, or the run queue's borrowed one), so the header is alive.
    unsafe { ptr.as_ref() }
}

/// Adds a local holder. Owner thread only.
#[inline]
pub(crate) fn acquire_local(ptr: NonNull<Header>) {
    let h = header(ptr);
    let n = h.local.get();
    if n == 0 {
        // The local holders had given back their shared reference (the
        // task was done); a live waker kept the header, take one again.
        h.refs.fetch_add(1, Ordering::Relaxed);
    }
    h.local.set(n + 1);
}

/// Drops a local holder; the last one gives back the shared reference.
/// Owner thread only.
#[inline]
pub(crate) fn release_local(ptr: NonNull<Header>) {
    let h = header(ptr);
    let n = h.local.get() - 1;
    h.local.set(n);
    if n == 0 {
        release_shared(ptr);
    }
}

/// The bit of [`Header::refs`] saying that the task has an entry in its
/// runtime's injection queue (a wake from another thread) that the loop
/// has not drained yet. Set by the waking thread, which pushes the entry
/// only if the bit was clear; cleared by the loop just before it
/// schedules the task for that entry. So however many wakes other threads
/// send while the loop is busy, the task has one entry and one reference
/// held for it: the queue does not grow with the wakes, and the count
/// cannot be run up by them.
///
/// A wake that finds the bit set does nothing more: the loop has not yet
/// cleared it, so it will schedule the task after this wake, and the poll
/// that follows sees what the waker published before waking (the loop's
/// clearing read-modify-write acquires the waker's release).
pub(crate) const INJECTED: u32 = 1 << 31;

/// The reference count proper in [`Header::refs`]: all but [`INJECTED`].
pub(crate) const REFS: u32 = !INJECTED;

/// Drops a shared reference, freeing the task when it was the last.
#[inline]
pub(crate) fn release_shared(ptr: NonNull<Header>) {
    // The last reference may go with INJECTED still set, where the
    // runtime was gone and dropped the entry without draining it.
    if header(ptr).refs.fetch_sub(1, Ordering::Release) & REFS == 1 {
        // Synchronise with every other holder's release before freeing.
        fence(Ordering::Acquire);
        // SAFETY: that was the last reference of any kind.
        unsafe { (header(ptr).vtable.dealloc)(ptr) };
    }
}

/// A local holder of a task: simul's own futures keep one instead of a
/// cloned `Waker` when the waker is a task of the current runtime, which
/// saves the atomic increment and lets deadlock detection know where
/// every wake can come from.
pub(crate) struct TaskRef {
    /// The task; `!Send` through `NonNull`.
    ptr: NonNull<Header>,
}

impl TaskRef {
    /// A new holder of `ptr`. Owner thread only.
    pub(crate) fn new(ptr: NonNull<Header>) -> TaskRef {
        acquire_local(ptr);
        TaskRef { ptr }
    }

    /// The task.
    pub(crate) fn ptr(&self) -> NonNull<Header> {
        self.ptr
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        release_local(self.ptr);
    }
}

/// Someone to wake: a task of this runtime, held locally, or any other
/// waker (from another executor, or a hand-made one in a test).
pub(crate) enum Waiter {
    /// A task of the current runtime.
    Task(TaskRef),
    /// Anything else.
    Other(ForeignWaker),
}

impl Waiter {
    /// The waiter for the task polling with `cx`.
    ///
    /// # Panics
    ///
    /// If cloning a foreign waker panics: the panic is the polling
    /// future's (its task ends with `JoinError::Panic`), and callers make
    /// it before they change any state, so nothing is left half-registered.
    pub(crate) fn from_cx(cx: &Context<'_>) -> Waiter {
        match crate::waker::local_task(cx.waker()) {
            Some(ptr) => Waiter::Task(TaskRef::new(ptr)),
            None => Waiter::Other(ForeignWaker(ManuallyDrop::new(cx.waker().clone()))),
        }
    }

    /// Whether waking `self` wakes the task polling with `cx`.
    pub(crate) fn will_wake(&self, cx: &Context<'_>) -> bool {
        match self {
            Waiter::Task(t) => crate::waker::local_task(cx.waker()) == Some(t.ptr()),
            Waiter::Other(w) => w.0.will_wake(cx.waker()),
        }
    }

    /// Wakes it.
    pub(crate) fn wake(self) {
        match self {
            Waiter::Task(t) => crate::waker::wake_task(t.ptr()),
            Waiter::Other(w) => w.wake(),
        }
    }
}

/// A waker simul did not make, kept by a leaf future or the runtime.
///
/// Its `wake` and `drop` run foreign code, and simul runs them from
/// places a panic must not unwind out of: the loop firing a batch of
/// timers or dispatching readiness (the rest of the batch would never be
/// woken, and the panic would leave `block_on`), an `Event::set` waking
/// its waiters in turn, a destructor. So a panic there is caught, counted
/// in [`Diagnostics::waker_panics`](crate::Diagnostics::waker_panics)
/// when it happens on a runtime's thread, and otherwise ignored: the
/// waker was given its chance to wake its task, and nobody else could act
/// on the failure. (The panic hook has already reported it.)
pub(crate) struct ForeignWaker(ManuallyDrop<Waker>);

impl ForeignWaker {
    /// Wakes it, catching a panic.
    fn wake(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped or used again, so the waker is
        // taken out exactly once.
        let waker = unsafe { ManuallyDrop::take(&mut this.0) };
        contain_waker_panic(move || waker.wake());
    }
}

impl Drop for ForeignWaker {
    fn drop(&mut self) {
        // SAFETY: in `drop`, the waker is taken out exactly once and the
        // field is never used again.
        let waker = unsafe { ManuallyDrop::take(&mut self.0) };
        contain_waker_panic(move || drop(waker));
    }
}

/// Runs a foreign waker's `wake` or `drop`, catching a panic; see
/// [`ForeignWaker`].
fn contain_waker_panic(f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err()
        && let Some(core) = crate::runtime::current()
    {
        core.note_waker_panic();
    }
}

/// Records, for deadlock reports, what the task polling with `cx` waits
/// on. Does nothing for wakers that are not this runtime's tasks.
#[inline]
pub(crate) fn note_wait(cx: &Context<'_>, reason: WaitReason) {
    if let Some(ptr) = crate::waker::local_task(cx.waker()) {
        header(ptr).waiting_on.set(reason);
    }
}

/// A panic payload as text, for messages.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod layout {
    use std::mem::size_of;

    /// Bytes per sleeping task is one of the crate's targets (half of
    /// tokio's): the header must stay at 72 bytes and a `Sleep` at 48, so
    /// that a spawned `sleep` and a spawned `async` block awaiting one
    /// (56 bytes, and a stage tag) fit malloc chunks of 128 and 144 bytes
    /// (glibc adds 8 bytes and rounds up to 16: cells of at most 120 and
    /// 136 bytes).
    #[test]
    fn a_spawned_sleep_fits_128_bytes_and_one_in_an_async_block_144() {
        fn cell_size<F: std::future::Future>(_: &F) -> usize {
            size_of::<super::TaskCell<F>>()
        }
        assert_eq!(size_of::<super::Header>(), 72);
        assert_eq!(size_of::<crate::Sleep>(), 48);
        assert_eq!(size_of::<super::TaskCell<crate::Sleep>>(), 120);
        let in_async = async { crate::sleep(std::time::Duration::from_secs(1)).await };
        assert!(
            cell_size(&in_async) <= 136,
            "{} bytes, future {}",
            cell_size(&in_async),
            std::mem::size_of_val(&in_async)
        );
    }
}
