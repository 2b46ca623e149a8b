//! [`Runtime`]: the single-threaded executor on the simul reactor.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll};
use std::time::Duration;

use simul_reactor::trace::{self, Source, TraceKind, Unit};
use simul_reactor::{Clock, Events, Instant, Notifier, Reactor, TimerKey, TimerQueue};

use crate::blocking::BlockingPool;
use crate::io_source::IoSources;
use crate::run_queue::RunQueue;
use crate::sync::{Arc, AtomicBool, Mutex, Ordering, PoisonError};
use crate::task::cells::CellCache;
use crate::task::{
    Header, INJECTED, Polled, REFS, TaskCell, WaitReason, Waiter, header, release_local,
    release_shared, state,
};
use crate::{Deadlock, JoinHandle, RuntimeError, StuckTask, waker};

/// How many tasks the loop polls before it looks at timers, other
/// threads' wakes and I/O again. See [`Runtime`]'s fairness guarantee.
pub const BUDGET: usize = 64;

#[cfg(not(loom))]
thread_local! {
    /// The core of the runtime whose `block_on` runs on this thread (or
    /// which is being dropped), or null.
    static CURRENT: Cell<*const Core> = const { Cell::new(ptr::null()) };
}
// Loom's threads share one OS thread, so it has its own thread-locals
// (whose macro takes no `const` initialiser).
#[cfg(loom)]
loom::thread_local! {
    /// As above.
    static CURRENT: Cell<*const Core> = Cell::new(ptr::null());
}

/// The core of the runtime running on this thread, if any.
///
/// The reference is valid while that `block_on` (or drop) runs, which
/// outlasts every caller inside it; callers must not keep it.
#[inline]
pub(crate) fn current() -> Option<&'static Core> {
    let core = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: CURRENT is non-null only while an `Enter` guard of a live
    // core is in scope on this thread (set in `Enter::new`, restored on
    // drop), and every use is inside that scope.
    unsafe { core.as_ref() }
}

/// Marks this thread as running `core` until dropped.
struct Enter {
    /// What CURRENT held before.
    previous: *const Core,
}

impl Enter {
    fn new(core: &Core) -> Enter {
        let previous = CURRENT.with(|c| c.replace(core));
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// A task pointer that may cross threads inside the injection queue.
struct Injected(NonNull<Header>);

// SAFETY: other threads only carry the pointer; the header's thread-local
// parts are touched by the runtime after draining the queue on its own
// thread, and its shared reference is atomic.
unsafe impl Send for Injected {}

/// Tasks woken from other threads, waiting for the loop.
struct Injection {
    /// Each entry holds a shared reference on its task.
    tasks: Vec<Injected>,
    /// The runtime is gone: wakes are dropped.
    closed: bool,
}

/// The part of a runtime other threads reach, through wakers.
pub(crate) struct Shared {
    /// Wakes from other threads.
    injection: Mutex<Injection>,
    /// Whether `injection` may be non-empty: the loop reads this (a plain
    /// load) instead of locking on every turn.
    pending: AtomicBool,
    /// Interrupts the reactor's wait.
    notifier: Notifier,
    /// Set when the runtime is dropped (before its core is freed).
    pub(crate) closed: AtomicBool,
}

impl Shared {
    /// Queues `ptr` for the loop and wakes the reactor. Consumes one
    /// shared reference on `ptr`. Callers set the task's
    /// [`INJECTED`] bit first and call this only if it was clear
    /// (`waker::inject`).
    pub(crate) fn inject(&self, ptr: NonNull<Header>) {
        let mut q = self.injection.lock().unwrap_or_else(PoisonError::into_inner);
        if q.closed {
            drop(q);
            release_shared(ptr);
            return;
        }
        q.tasks.push(Injected(ptr));
        drop(q);
        if !self.pending.swap(true, Ordering::AcqRel) {
            // The reactor gone or the OS refusing: nothing a waker could
            // report to anyone; the queue entry stays for the next turn.
            let _ = self.notifier.wake();
        }
    }
}

/// Every unfinished task, for deadlock reports and teardown.
///
/// A vector with tombstones: a task's `slot` is its index, and removing
/// it writes `None` there, touching no other task (a swap-remove would
/// touch the moved task's header: a cache miss per completion with many
/// tasks). The vector is compacted when three quarters are tombstones.
struct LiveTasks {
    /// Tasks by slot; `None` where one was removed.
    slots: Vec<Option<NonNull<Header>>>,
    /// How many entries are `Some`.
    live: usize,
}

impl LiveTasks {
    fn insert(&mut self, ptr: NonNull<Header>) {
        // Compaction keeps the list under four tombstones per live task,
        // so the index fits (and `remove` checks the entry anyway).
        header(ptr).slot.set(self.slots.len() as u32);
        self.slots.push(Some(ptr));
        self.live += 1;
    }

    fn remove(&mut self, ptr: NonNull<Header>) {
        let slot = header(ptr).slot.get() as usize;
        if let Some(entry) = self.slots.get_mut(slot)
            && *entry == Some(ptr)
        {
            *entry = None;
            self.live -= 1;
        }
        if self.live == 0 {
            self.slots.clear();
        } else if self.slots.len() >= 64 && self.live * 4 < self.slots.len() {
            self.slots.retain(Option::is_some);
            for (i, p) in self.slots.iter().flatten().enumerate() {
                header(*p).slot.set(i as u32);
            }
        }
    }

    /// The live task in the highest slot, dropping trailing tombstones.
    fn last(&mut self) -> Option<NonNull<Header>> {
        while let Some(last) = self.slots.last() {
            match last {
                Some(p) => return Some(*p),
                None => {
                    self.slots.pop();
                }
            }
        }
        None
    }

    fn iter(&self) -> impl Iterator<Item = NonNull<Header>> + '_ {
        self.slots.iter().flatten().copied()
    }
}

/// Names a task for a diagnostic.
fn describe(ptr: NonNull<Header>, root: NonNull<Header>) -> String {
    let h = header(ptr);
    if ptr == root {
        "block_on's future".to_string()
    } else {
        format!("task #{} spawned at {}", h.id, h.location)
    }
}

/// Counts of what the runtime noticed; see [`Runtime::diagnostics`].
///
/// # Examples
///
/// ```
/// let rt = simul_future::Runtime::new()?;
/// assert_eq!(rt.diagnostics(), simul_future::Diagnostics::default());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// Polls that returned `Pending` while keeping no way to be woken
    /// (each is also printed to stderr in debug builds).
    pub lost_wakeups: u64,
    /// Polls longer than the slow-poll threshold (debug builds only;
    /// each is printed to stderr).
    pub slow_polls: u64,
    /// Panics caught in the `wake` or `drop` of a waker simul did not make
    /// (a hand-made one, another executor's), run by simul on this
    /// runtime's thread: by the loop (a timer firing, readiness, a task
    /// finishing), by a channel, queue, event or lock handing over, or by
    /// a leaf future replacing or unregistering it. Each is caught where
    /// simul runs it, so the other wake-ups go on and nothing unwinds out
    /// of `block_on`; the panic hook reports it as usual.
    pub waker_panics: u64,
}

/// The runtime's thread-local state. Boxed, so tasks can point at it.
pub(crate) struct Core {
    /// Shared with wakers and tasks.
    pub(crate) shared: Arc<Shared>,
    /// Tasks to poll, in order. Entries borrow the runtime's own
    /// reference on a task (tasks here are live, or complete with that
    /// reference not yet given back).
    run_queue: RunQueue,
    /// Polls since the reactor was last asked for I/O events; while work
    /// stays ready it is asked every [`BUDGET`] polls.
    polls_since_io: Cell<usize>,
    /// Every live task (not complete).
    tasks: RefCell<LiveTasks>,
    /// The header standing for `block_on`'s future.
    root: Cell<NonNull<Header>>,
    /// The next task id.
    next_id: Cell<u64>,
    /// The runtime is being dropped: new tasks are cancelled at once.
    closing: Cell<bool>,
    /// Where the loop waits.
    pub(crate) reactor: RefCell<Reactor>,
    /// Registered descriptors, their readiness and waiters.
    pub(crate) io: RefCell<IoSources>,
    /// The reactor's clock (a copy, read without borrowing the reactor).
    clock: Clock,
    /// Sleeping futures, by deadline; each entry wakes its waiter.
    timers: RefCell<TimerQueue<Waiter>>,
    /// Waiters of due timers, collected before waking any (a wake may
    /// run foreign code, which must not find the queue borrowed).
    fired: RefCell<Vec<Waiter>>,
    /// Buffer for the reactor's events.
    events: RefCell<Events>,
    /// Worker threads for `spawn_blocking`.
    pub(crate) blocking: BlockingPool,
    /// What the runtime noticed.
    diagnostics: RefCell<Diagnostics>,
    /// A poll longer than this is reported (debug builds).
    slow_poll_threshold: Cell<Duration>,
    /// Memory of finished tasks, for the next spawns.
    pub(crate) cells: RefCell<CellCache>,
    /// Spare buffer for draining the injection queue without allocating.
    drained: RefCell<Vec<Injected>>,
    /// This runtime in the trace: its tasks are `Unit::new(source, id)`,
    /// `block_on`'s future is id 0.
    source: Source,
}

impl Core {
    /// The address identifying this runtime's `Shared`.
    #[inline]
    pub(crate) fn shared_ptr(&self) -> *const Shared {
        Arc::as_ptr(&self.shared)
    }

    /// A number naming this runtime and no other in this process, not
    /// even one created after it is dropped (unlike an address, which the
    /// allocator hands out again).
    #[inline]
    pub(crate) fn id(&self) -> Source {
        self.source
    }

    /// The time on the runtime's clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Adds a timer that wakes `waiter` at `deadline`.
    pub(crate) fn add_timer(&self, deadline: Instant, waiter: Waiter) -> TimerKey {
        self.timers.borrow_mut().insert(deadline, waiter)
    }

    /// Moves a queued timer to `deadline`, keeping its waiter; `false` if
    /// the key is stale (the timer fired or was cancelled).
    pub(crate) fn reset_timer(&self, key: TimerKey, deadline: Instant) -> bool {
        self.timers.borrow_mut().reset(key, deadline)
    }

    /// Removes a timer (a stale key is ignored).
    pub(crate) fn cancel_timer(&self, key: TimerKey) {
        let waiter = self.timers.borrow_mut().cancel(key);
        // Dropped after the borrow ends: a foreign waker's drop is
        // foreign code.
        drop(waiter);
    }

    /// Wakes the waiters of every timer due now; returns how many.
    #[inline]
    fn fire_timers(&self) -> usize {
        // No timer, no clock read: a clock read is a system call where the
        // vDSO is unavailable, and a loop of yields should not pay it.
        if self.timers.borrow().is_empty() {
            return 0;
        }
        self.fire_due_timers()
    }

    /// [`fire_timers`](Self::fire_timers) with timers pending.
    #[inline(never)]
    fn fire_due_timers(&self) -> usize {
        let now = self.now();
        let mut fired = self.fired.borrow_mut();
        {
            let mut timers = self.timers.borrow_mut();
            while let Some((_, waiter)) = timers.pop_due(now) {
                fired.push(waiter);
            }
        }
        let n = fired.len();
        let batch = std::mem::take(&mut *fired);
        drop(fired);
        let mut batch = batch;
        for waiter in batch.drain(..) {
            waiter.wake();
        }
        // Keep the allocation for the next turn.
        *self.fired.borrow_mut() = batch;
        n
    }

    /// Counts a panic caught in a foreign waker's `wake` or `drop`.
    pub(crate) fn note_waker_panic(&self) {
        if let Ok(mut d) = self.diagnostics.try_borrow_mut() {
            d.waker_panics += 1;
        }
    }

    /// Records `kind` for the task at `ptr`, when a recording runs (one
    /// relaxed load otherwise: the header is not even read).
    #[inline]
    pub(crate) fn trace(&self, ptr: NonNull<Header>, kind: TraceKind) {
        if trace::enabled() {
            trace::record(&self.clock, Unit::new(self.source, header(ptr).id), kind);
        }
    }

    /// Records the end of a poll that returned `Pending`: what the task
    /// waits for (the last [`note_wait`](crate::task::note_wait) of the
    /// poll), and `Woken` at once if it woke itself meanwhile (a wake
    /// during its own poll is not recorded by the waker, so that the
    /// order reads Running, Suspended, Woken).
    #[inline]
    fn trace_pending(&self, ptr: NonNull<Header>) {
        if trace::enabled() {
            let h = header(ptr);
            self.trace(ptr, TraceKind::Suspended(h.waiting_on.get().to_trace()));
            if h.state.get() & state::SCHEDULED != 0 {
                self.trace(ptr, TraceKind::Woken);
            }
        }
    }

    /// Appends a task to the run queue (its SCHEDULED bit is set).
    #[inline]
    pub(crate) fn push_ready(&self, ptr: NonNull<Header>) {
        self.run_queue.push_back(ptr);
    }

    #[inline]
    fn pop_ready(&self) -> Option<NonNull<Header>> {
        self.run_queue.pop_front()
    }

    /// Creates a task for `future` and queues it.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        // Two local holders: the runtime's list and the JoinHandle.
        let bits = state::SCHEDULED | state::HANDLE;
        let ptr = TaskCell::allocate(Some(future), self, bits, 2, id, location);
        if self.closing.get() {
            // Spawned from a destructor while the runtime shuts down: the
            // task will never run.
            let h = header(ptr);
            h.state.set(state::HANDLE | state::RUNNING);
            // SAFETY: a fresh task of this runtime, on its thread, not polled.
            unsafe { (h.vtable.cancel)(ptr) };
            h.state.set(state::HANDLE | state::COMPLETE);
            release_local(ptr);
        } else {
            self.tasks.borrow_mut().insert(ptr);
            self.push_ready(ptr);
            self.trace(ptr, TraceKind::Created);
        }
        JoinHandle::new(ptr)
    }

    /// Polls one task popped from the run queue.
    fn run_task(&self, ptr: NonNull<Header>) {
        let h = header(ptr);
        let s = h.state.get();
        if s & state::COMPLETE != 0 {
            // It completed while queued; the queue's entry was the last
            // use of the runtime's reference.
            h.state.set(s & !state::SCHEDULED);
            release_local(ptr);
            return;
        }
        h.state.set((s & !state::SCHEDULED) | state::RUNNING);
        let done = if s & state::CANCELLED != 0 {
            // SAFETY: a live task of this runtime, on its thread.
            unsafe { (h.vtable.cancel)(ptr) };
            Some(TraceKind::Cancelled)
        } else {
            h.waiting_on.set(WaitReason::Unknown);
            // SAFETY: the runtime's reference keeps the task alive during
            // the poll; the borrowed waker is never dropped through the
            // vtable.
            let waker = unsafe { waker::borrowed(ptr) };
            let mut cx = Context::from_waker(&waker);
            let started = self.slow_poll_clock();
            self.trace(ptr, TraceKind::Running);
            // SAFETY: live, on its thread, and RUNNING guards re-entry
            // (a task is only polled from here).
            let polled = unsafe { (h.vtable.poll)(ptr, &mut cx) };
            self.check_slow_poll(started, ptr);
            match polled {
                Polled::Ready => Some(TraceKind::Finished),
                Polled::Panicked => Some(TraceKind::Panicked),
                Polled::Pending if h.state.get() & state::CANCELLED != 0 => {
                    // Aborted during its own poll: drop it at this suspension.
                    // SAFETY: as above.
                    unsafe { (h.vtable.cancel)(ptr) };
                    Some(TraceKind::Cancelled)
                }
                Polled::Pending => {
                    self.check_lost_wakeup(ptr);
                    self.trace_pending(ptr);
                    None
                }
            }
        };
        h.state.set(h.state.get() & !state::RUNNING);
        if let Some(end) = done {
            self.trace(ptr, end);
            self.complete(ptr);
        }
    }

    /// The start of a poll, for the slow-poll check (debug builds only).
    #[inline]
    fn slow_poll_clock(&self) -> Option<std::time::Instant> {
        cfg!(debug_assertions).then(std::time::Instant::now)
    }

    /// Reports a poll of `ptr` that took longer than the threshold.
    fn check_slow_poll(&self, started: Option<std::time::Instant>, ptr: NonNull<Header>) {
        let Some(started) = started else { return };
        let took = started.elapsed();
        if took >= self.slow_poll_threshold.get() {
            self.diagnostics.borrow_mut().slow_polls += 1;
            eprintln!(
                "simul-future: slow poll: {} took {took:?} in one poll (threshold {:?}); \
                 blocking work belongs in spawn_blocking",
                describe(ptr, self.root.get()),
                self.slow_poll_threshold.get(),
            );
        }
    }

    /// Reports a task that returned `Pending` keeping no way to be woken:
    /// not queued, no waker clone anywhere, and no local holder besides
    /// the runtime's list and its `JoinHandle`. Nothing can ever poll it
    /// again: a lost wakeup, certain, not a guess.
    fn check_lost_wakeup(&self, ptr: NonNull<Header>) {
        let h = header(ptr);
        let s = h.state.get();
        if s & (state::SCHEDULED | state::CANCELLED) != 0 || Self::outside_refs(ptr) > 0 {
            return;
        }
        let expected = 1 + u32::from(s & state::HANDLE != 0);
        if h.local.get() > expected {
            return;
        }
        self.diagnostics.borrow_mut().lost_wakeups += 1;
        if cfg!(debug_assertions) {
            eprintln!(
                "simul-future: lost wakeup: {} returned Pending without keeping its waker; \
                 nothing can ever wake it",
                describe(ptr, self.root.get()),
            );
        }
    }

    /// Marks a task whose result is stored as complete: wakes its joiner,
    /// leaves the live list, and gives back the runtime's reference (now,
    /// or when its queue entry is popped).
    fn complete(&self, ptr: NonNull<Header>) {
        let h = header(ptr);
        let mut s = h.state.get() | state::COMPLETE;
        h.state.set(s);
        if s & state::HANDLE == 0 {
            // SAFETY: a task of this runtime, on its thread, not running.
            unsafe { (h.vtable.drop_output)(ptr) };
            s |= state::CLOSED;
            h.state.set(s);
        }
        self.tasks.borrow_mut().remove(ptr);
        if let Some(waiter) = h.take_join_waiter() {
            waiter.wake();
        }
        if h.state.get() & state::SCHEDULED == 0 {
            release_local(ptr);
        }
    }

    /// Moves tasks woken by other threads onto the run queue.
    #[inline]
    fn drain_injected(&self) {
        // A plain load on x86; the swap below synchronises with the
        // pushers' `swap(true)`.
        if self.shared.pending.load(Ordering::Relaxed) {
            self.drain_pending_injected();
        }
    }

    /// [`drain_injected`](Self::drain_injected) with wakes pending.
    #[inline(never)]
    fn drain_pending_injected(&self) {
        self.shared.pending.swap(false, Ordering::AcqRel);
        let mut drained = self.drained.borrow_mut();
        {
            let mut q = self.shared.injection.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut q.tasks, &mut *drained);
        }
        for Injected(ptr) in drained.drain(..) {
            // Cleared before scheduling: a wake from now on queues the
            // task again (polled once more), one before it is covered by
            // this schedule. See `INJECTED`.
            header(ptr).refs.fetch_and(!INJECTED, Ordering::AcqRel);
            waker::schedule(self, ptr);
            release_shared(ptr);
        }
    }

    /// One visit to the world outside the run queue: other threads'
    /// wakes and the reactor. Blocks only when nothing is ready.
    #[inline]
    fn turn(&self, root_location: &'static Location<'static>) -> Result<(), RuntimeError> {
        self.drain_injected();
        self.fire_timers();
        let idle = self.run_queue.is_empty();
        if !idle {
            // Ready work remains. Every BUDGET polls, with descriptors
            // registered, look at the reactor without blocking so I/O is
            // not starved; with none, nothing can be missed (other
            // threads' wakes were just drained, due timers fired), so skip
            // the system call.
            if self.polls_since_io.get() >= BUDGET && !self.io.borrow().is_empty() {
                self.polls_since_io.set(0);
                self.poll_reactor(Some(Instant::ZERO))?;
            }
            return Ok(());
        }
        self.turn_idle(root_location)
    }

    /// The rest of [`turn`](Self::turn) when the run queue is empty: wait
    /// in the reactor (or report a deadlock).
    #[inline(never)]
    fn turn_idle(&self, root_location: &'static Location<'static>) -> Result<(), RuntimeError> {
        self.polls_since_io.set(0);
        // Going idle: give cached task memory back to the allocator.
        self.cells.borrow_mut().clear();
        let mut deadline = self.timers.borrow().next_deadline();
        // Under the virtual clock, work on the blocking pool takes no
        // virtual time: wait for it (its wake comes through the notifier)
        // instead of jumping to the next timer while it is still running.
        if deadline.is_some()
            && self.blocking.in_flight() > 0
            && self.reactor.borrow().clock().is_virtual()
        {
            deadline = None;
        }
        if deadline.is_none()
            && let Some(stuck) = self.find_deadlock(root_location)
        {
            return Err(RuntimeError::Deadlock(stuck));
        }
        self.poll_reactor(deadline)?;
        self.drain_injected();
        self.fire_timers();
        Ok(())
    }

    /// Waits in the reactor until `deadline` and wakes the tasks whose
    /// descriptors became ready.
    fn poll_reactor(&self, deadline: Option<Instant>) -> io::Result<()> {
        let mut events = self.events.borrow_mut();
        self.reactor.borrow_mut().poll(&mut events, deadline)?;
        let mut woken = std::mem::take(&mut *self.fired.borrow_mut());
        {
            let mut io = self.io.borrow_mut();
            for event in events.iter() {
                io.dispatch(&event, &mut woken);
            }
        }
        drop(events);
        for waiter in woken.drain(..) {
            waiter.wake();
        }
        *self.fired.borrow_mut() = woken;
        Ok(())
    }

    /// Shared references on a task not accounted for by the local
    /// holders: live waker clones and queue entries.
    fn outside_refs(ptr: NonNull<Header>) -> usize {
        let h = header(ptr);
        let refs = (h.refs.load(Ordering::Acquire) & REFS) as usize;
        refs - usize::from(h.local.get() > 0)
    }

    /// With nothing ready and no timer, decides whether anything could
    /// still wake a task. Conservative: any live waker clone of a task or
    /// of the root (which another thread, or a future simul does not
    /// know, might use) means "maybe", and so does an injected wake.
    fn find_deadlock(&self, root_location: &'static Location<'static>) -> Option<Deadlock> {
        if self.shared.pending.load(Ordering::Acquire)
            || self.io.borrow().has_waiters()
            || self.blocking.in_flight() > 0
        {
            return None;
        }
        let root = self.root.get();
        let tasks = self.tasks.borrow();
        if Self::outside_refs(root) > 0 || tasks.iter().any(|t| Self::outside_refs(t) > 0) {
            return None;
        }
        let mut stuck = vec![StuckTask {
            id: None,
            location: root_location,
            waiting_on: header(root).waiting_on.get().to_string(),
        }];
        stuck.extend(tasks.iter().map(|t| {
            let h = header(t);
            StuckTask {
                id: Some(h.id),
                location: h.location,
                waiting_on: h.waiting_on.get().to_string(),
            }
        }));
        stuck[1..].sort_by_key(|t| t.id);
        Some(Deadlock { stuck })
    }
}

/// A single-threaded executor for futures, on a [`Reactor`].
///
/// [`block_on`](Runtime::block_on) drives one future to completion on
/// the calling thread; while it waits, the tasks [`spawn`](fn@crate::spawn)ed
/// on the runtime run too. Tasks need not be `Send`: they never leave
/// this thread. Their wakers are `Send + Sync` and may be used anywhere.
///
/// ```text
///   +--> round: poll each task that is ready now, once (at most BUDGET);
///   |      what they wake, themselves included, waits for the next round
///   |                                                             |
///   |                                                             v
///   +-- drain other threads' wakes, fire due timers; every BUDGET polls
///       look at I/O without blocking; if nothing is ready, wait in the
///       reactor (until I/O, a wake or the next timer); if nothing can
///       ever wake anything, return Err(Deadlock) instead of waiting forever
/// ```
///
/// **Fairness.** Polling is first-in first-out, and a task woken while
/// it is polled (as [`yield_now`](fn@crate::yield_now) does) goes to the
/// back of the queue, so `n` ready tasks are each polled once every `n`
/// polls. A round is the tasks ready when it starts, at most [`BUDGET`]
/// of them; between rounds the loop drains wakes from other threads and
/// fires due timers, so a timer that falls due while tasks spin waits
/// for at most one round (as in asyncio, where `await asyncio.sleep(0)`
/// lets due timers in at once). I/O is looked at without blocking every
/// `BUDGET` polls while work stays ready, and whenever the queue runs
/// dry, so readiness waits for at most `BUDGET` polls.
///
/// **Panics** in a task are caught: the task completes with
/// [`JoinError::Panic`](crate::JoinError::Panic), the runtime goes on. A
/// panic in `block_on`'s own future propagates to its caller. A waker
/// not made by simul may panic too: in `clone`, called by a leaf future
/// (a sleep, a socket, a channel) while the task polls it, the panic is
/// that task's, and the leaf keeps nothing registered; in `wake` or
/// `drop`, run by simul (a timer firing, readiness, a queue handing over,
/// a job ending on a worker thread), it is caught where it happens, the
/// other wake-ups go on, and [`Diagnostics::waker_panics`] counts it.
///
/// **Dropping** the runtime drops every unfinished task's future (their
/// `JoinHandle`s then report cancellation); wakes that arrive later are
/// ignored.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, spawn, yield_now};
///
/// let mut rt = Runtime::new()?;
/// let sum = rt.block_on(async {
///     let a = spawn(async { yield_now().await; 20 });
///     let b = spawn(async { 22 });
///     a.await.unwrap() + b.await.unwrap()
/// })?;
/// assert_eq!(sum, 42);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub struct Runtime {
    /// Boxed so that tasks and the thread-local context can point at it.
    core: Box<Core>,
    /// Tasks and their state stay on this thread.
    _not_send: PhantomData<*const ()>,
}

impl Runtime {
    /// A runtime on the real clock.
    ///
    /// # Errors
    ///
    /// What [`Reactor::new`] reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { 1 + 1 })?, 2);
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Runtime::with_clock(Clock::real())
    }

    /// A runtime on `clock`. Under [`Clock::new_virtual`], waiting for a
    /// timer takes no real time: the clock jumps to the deadline.
    ///
    /// Work on other threads takes no virtual time either: while a
    /// [`spawn_blocking`](crate::spawn_blocking) job is running, the
    /// runtime waits for it before jumping to the next timer, so its
    /// result arrives at the virtual instant it was asked for and a
    /// program's figures do not depend on how fast the machine is. (A
    /// job that itself waits for the runtime's timers would wait for
    /// ever: on the virtual clock, charge time with
    /// [`Clock::block_for`](simul_reactor::Clock::block_for) instead.)
    ///
    /// # Errors
    ///
    /// What [`Reactor::with_clock`] reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::Runtime;
    /// use simul_reactor::Clock;
    ///
    /// let rt = Runtime::with_clock(Clock::new_virtual())?;
    /// assert!(rt.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_clock(clock: Clock) -> io::Result<Runtime> {
        let reactor = Reactor::with_clock(clock)?;
        let shared = Arc::new(Shared {
            injection: Mutex::new(Injection { tasks: Vec::new(), closed: false }),
            pending: AtomicBool::new(false),
            notifier: reactor.notifier(),
            closed: AtomicBool::new(false),
        });
        let clock = reactor.clock().clone();
        let notifier = reactor.notifier();
        let core = Box::new(Core {
            shared,
            clock,
            timers: RefCell::new(TimerQueue::new()),
            fired: RefCell::new(Vec::new()),
            run_queue: RunQueue::with_capacity(256),
            polls_since_io: Cell::new(0),
            tasks: RefCell::new(LiveTasks { slots: Vec::new(), live: 0 }),
            root: Cell::new(NonNull::dangling()),
            next_id: Cell::new(1),
            closing: Cell::new(false),
            reactor: RefCell::new(reactor),
            io: RefCell::new(IoSources::default()),
            events: RefCell::new(Events::with_capacity(256)),
            drained: RefCell::new(Vec::new()),
            source: Source::next(),
            cells: RefCell::new(CellCache::new()),
            diagnostics: RefCell::new(Diagnostics::default()),
            slow_poll_threshold: Cell::new(Duration::from_millis(100)),
            blocking: BlockingPool::new(notifier),
        });
        let root = TaskCell::<std::future::Pending<()>>::allocate(
            None,
            &core,
            state::ROOT,
            1,
            0,
            Location::caller(),
        );
        core.root.set(root);
        Ok(Runtime { core, _not_send: PhantomData })
    }

    /// The runtime's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = simul_future::Runtime::new()?;
    /// assert!(!rt.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clock(&self) -> Clock {
        self.core.clock.clone()
    }

    /// What the runtime noticed so far: lost wakeups (always counted)
    /// and slow polls (debug builds).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Runtime, spawn};
    /// use std::{future::Future, pin::Pin, task::{Context, Poll}};
    ///
    /// /// Pending forever, and keeps no waker: a bug.
    /// struct Forgetful;
    /// impl Future for Forgetful {
    ///     type Output = ();
    ///     fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> { Poll::Pending }
    /// }
    ///
    /// let mut rt = Runtime::new()?;
    /// let _ = rt.block_on(async { spawn(Forgetful).await }); // a deadlock report
    /// assert_eq!(rt.diagnostics().lost_wakeups, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn diagnostics(&self) -> Diagnostics {
        *self.core.diagnostics.borrow()
    }

    /// Sets the slow-poll threshold (default 100 ms): in debug builds a
    /// poll that takes longer is reported on stderr with the task's spawn
    /// location, and counted in [`diagnostics`](Runtime::diagnostics).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = simul_future::Runtime::new()?;
    /// rt.set_slow_poll_threshold(Duration::from_secs(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_slow_poll_threshold(&self, threshold: Duration) {
        self.core.slow_poll_threshold.set(threshold);
    }

    /// Spawns a task on this runtime from outside it; it starts running
    /// at the next [`block_on`](Runtime::block_on). Inside the runtime,
    /// the free function [`spawn`](fn@crate::spawn) does the same.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// let handle = rt.spawn(async { "done" });
    /// assert_eq!(rt.block_on(handle)?.unwrap(), "done");
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(future, Location::caller())
    }

    /// Runs `future` to completion on this thread, running spawned tasks
    /// meanwhile, and returns its output.
    ///
    /// Tasks still unfinished when `future` completes stay in the runtime
    /// and go on at the next `block_on` (or are cancelled when the
    /// runtime is dropped).
    ///
    /// # Errors
    ///
    /// * [`RuntimeError::Deadlock`]: `future` is pending and nothing can
    ///   ever wake it or any task (see [`Deadlock`]); the report lists
    ///   every stuck task. `future` is dropped; the tasks stay.
    /// * [`RuntimeError::Nested`]: called from inside a running
    ///   `block_on` on this thread (which would block the outer loop).
    /// * [`RuntimeError::Io`]: the reactor's wait failed.
    ///
    /// # Panics
    ///
    /// If `future` itself panics (a spawned task's panic is caught and
    /// returned through its `JoinHandle` instead).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Runtime, RuntimeError};
    ///
    /// let mut rt = Runtime::new()?;
    /// // Awaiting a future nobody will ever wake is a deadlock, reported:
    /// let err = rt.block_on(std::future::pending::<()>()).unwrap_err();
    /// assert!(matches!(err, RuntimeError::Deadlock(_)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&mut self, future: F) -> Result<F::Output, RuntimeError> {
        let location = Location::caller();
        if current().is_some() {
            return Err(RuntimeError::Nested);
        }
        let core: &Core = &self.core;
        let _enter = Enter::new(core);
        let mut future = pin!(future);
        let root = core.root.get();
        if trace::enabled() {
            core.trace(root, TraceKind::Created);
            trace::name(Unit::new(core.source, header(root).id), "main");
        }
        // Marked RUNNING while polled, so that the wake of a root woken
        // by its own poll is recorded after its suspension (as a task's).
        let h = header(root);
        h.state.set(h.state.get() | state::RUNNING);
        waker::schedule(core, root);
        h.state.set(h.state.get() & !state::RUNNING);
        // SAFETY: the root header lives as long as the runtime; the
        // borrowed waker is never dropped through the vtable.
        let root_waker: ManuallyDrop<_> = unsafe { waker::borrowed(root) };
        let mut root_cx = Context::from_waker(&root_waker);
        loop {
            // One round: the tasks ready now (at most BUDGET). What they
            // wake, themselves included, waits for the next round, after
            // due timers and other threads' wakes have joined the queue.
            let round = core.run_queue.len().min(BUDGET);
            core.polls_since_io.set(core.polls_since_io.get() + round);
            for _ in 0..round {
                let Some(ptr) = core.pop_ready() else { break };
                if ptr == root {
                    h.state.set((h.state.get() & !state::SCHEDULED) | state::RUNNING);
                    h.waiting_on.set(WaitReason::Unknown);
                    let started = core.slow_poll_clock();
                    core.trace(root, TraceKind::Running);
                    let poll =
                        catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut root_cx)));
                    h.state.set(h.state.get() & !state::RUNNING);
                    core.check_slow_poll(started, root);
                    match poll {
                        Ok(Poll::Ready(output)) => {
                            core.trace(root, TraceKind::Finished);
                            return Ok(output);
                        }
                        Ok(Poll::Pending) => {
                            core.check_lost_wakeup(root);
                            core.trace_pending(root);
                        }
                        Err(payload) => {
                            core.trace(root, TraceKind::Panicked);
                            resume_unwind(payload);
                        }
                    }
                } else {
                    core.run_task(ptr);
                }
            }
            if let Err(e) = core.turn(location) {
                // `future` is dropped unfinished.
                core.trace(root, TraceKind::Cancelled);
                return Err(e);
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let core: &Core = &self.core;
        // Wakes from destructors below are local and harmless.
        let _enter = Enter::new(core);
        core.closing.set(true);
        loop {
            let Some(ptr) = core.tasks.borrow_mut().last() else { break };
            let h = header(ptr);
            h.state.set(h.state.get() | state::RUNNING);
            // SAFETY: a live task of this runtime, on its thread, not
            // being polled (no block_on runs: we hold `&mut self`).
            unsafe { (h.vtable.cancel)(ptr) };
            h.state.set(h.state.get() & !state::RUNNING);
            core.trace(ptr, TraceKind::Cancelled);
            core.complete(ptr);
        }
        // Timers hold waiters (task references and foreign wakers).
        let timers = std::mem::take(&mut *core.timers.borrow_mut());
        drop(timers);
        let root = core.root.get();
        while let Some(ptr) = core.pop_ready() {
            let h = header(ptr);
            h.state.set(h.state.get() & !state::SCHEDULED);
            if ptr != root {
                // Complete (all are by now) with the runtime's reference
                // left for the queue entry.
                release_local(ptr);
            }
        }
        // Registered descriptors' waiters hold task references.
        let sources = std::mem::take(&mut *core.io.borrow_mut());
        drop(sources);
        core.shared.closed.store(true, Ordering::Release);
        core.blocking.shutdown();
        let leftover = {
            let mut q = core.shared.injection.lock().unwrap_or_else(PoisonError::into_inner);
            q.closed = true;
            std::mem::take(&mut q.tasks)
        };
        for Injected(ptr) in leftover {
            release_shared(ptr);
        }
        let h = header(root);
        h.state.set(state::ROOT | state::COMPLETE);
        release_local(root);
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("tasks", &self.core.tasks.borrow().live)
            .field("ready", &self.core.run_queue.len())
            .finish()
    }
}
