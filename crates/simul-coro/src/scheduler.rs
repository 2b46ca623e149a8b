//! [`Scheduler`]: the trampoline that runs coroutines yielding [`Trap`]s.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::mem;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use simul_reactor::trace::{self as shared, Source, Unit};
use simul_reactor::{
    Clock, Event, Events, Instant, Interest, Reactor, TimerKey, TimerQueue, Token,
};

use crate::driver::Driver;
use crate::net::{Direction, IoHandle, WaitOutcome};
use crate::{
    Coroutine, CoroutineState, Deadlock, JoinError, Reply, RunError, Task, TaskId, TraceEvent,
    TraceKind, Trap, TrapKind, Wait,
};

/// The trampoline: runs coroutines that yield [`Trap`]s, carries each
/// command out, and resumes the coroutine with the [`Reply`].
///
/// A *trampoline* because control always bounces back here: a coroutine
/// never calls another coroutine's `resume`, never sleeps, never waits
/// for a socket. It returns a command and the scheduler decides who runs
/// next. This is asyncio before `async def` (`yield from` all the way
/// down to a future the loop understood) and curio today.
///
/// Every task is in exactly one state:
///
/// ```text
///            spawn
///              |
///              v            Woke / Io / Joined
///   +--> +----------+ <-----------------------------+
///   |    |  Ready   |                               |
///   |    +----------+                               |
///   |         | popped from the FIFO run queue      |
///   |         v                                     |
///   |    +----------+  Sleep ----> Sleeping{timer} -+
///   |    | Running  |  Readable/Writable -> Io{fd} -+
///   |    +----------+  Join(live) -> Joining{task} -+
///   |     |  |   |     Park -> Parked -- Unpark ----+
///   |     |  |   |
///   +-----+  |   +-- Spawn / Cancel / Detach / Now / CurrentTask / Unpark /
///  YieldNow  |       Join(finished) / Readable|Writable(owned fd, bit set):
///            |       answered at once, resumed again in the same turn
///            v
///   Finished(result)  -- returned, panicked, failed or cancelled;
///            |           kept until joined, taken or detached, then the slot is freed
///            v
///          (free)
/// ```
///
/// **One turn** of the loop runs the tasks that were ready when the turn
/// began, in FIFO order (a task that yields during the turn goes to the
/// back and runs next turn, as in asyncio), then asks the reactor for I/O
/// events and due timers, non-blocking if anything is ready, otherwise
/// waiting until the earliest timer. I/O wake-ups are queued before timer
/// wake-ups; timers with the same deadline fire in the order they were set.
///
/// **Clocks.** On [`Clock::new_virtual`] a turn with nothing ready jumps
/// time to the next timer, so tests of timing are exact. Tasks waiting
/// only on descriptors, with no timer pending, make the reactor block on
/// the OS even under the virtual clock: only I/O can make progress.
///
/// **Descriptors.** Two kinds, told apart by the descriptor number:
///
/// * *Owned*: the descriptor of a socket object of [`net`](crate::net)
///   ([`net::TcpStream`](crate::net::TcpStream),
///   [`net::TcpListener`](crate::net::TcpListener)). It was registered
///   once, edge-triggered for both directions, when the object was made,
///   and the scheduler keeps its readiness bits (see the module docs). A
///   wait whose bit is set is answered at once; otherwise the task is
///   filed under the registration and woken by the next event. No
///   `epoll_ctl` per wait: [`poller_updates`](Scheduler::poller_updates)
///   counts two per socket, at creation and at drop. Dropping the object
///   while a task waits on it wakes that task with `ConnectionAborted`.
/// * *Plain*: any other descriptor a task yields. The wait registers it
///   (token = the descriptor number) and the wake-up deregisters it, as
///   curio does: two `epoll_ctl` calls per wait, and in exchange nothing
///   needs to be kept per descriptor, and a readiness that happened while
///   nobody waited is not lost (a fresh registration reports the current
///   state). Close a plain descriptor only when no task waits on it: the
///   kernel drops a closed descriptor from the poller silently, and its
///   waiter would wait forever.
///
/// Either way one reader and one writer may wait on a descriptor at a
/// time; a second in the same direction gets `ResourceBusy`.
///
/// **Traps answered at once loop.** A coroutine that yields immediate traps
/// forever (`Now`, `Spawn`, ...) never gives up the turn, like Python code
/// that never reaches an `await`: it starves everyone else.
///
/// **Failures stay inside their task.** Each resume runs under
/// `catch_unwind`: a panicking coroutine is dropped and its joiner gets
/// [`JoinError::Panicked`]; the other tasks go on. A cancelled task is
/// dropped at once, wherever it waits, and its joiner gets
/// [`JoinError::Cancelled`].
///
/// **Deadlock.** When tasks remain but nothing is ready, no timer is
/// pending and no descriptor is awaited, nothing can ever resume anyone:
/// [`run`](Scheduler::run) returns [`RunError::Deadlock`] listing who
/// waits to join whom, instead of sleeping forever.
///
/// **One result type per scheduler.** Every task of a `Scheduler<T>`
/// returns a `T`, because a joiner is resumed with
/// [`Reply::Joined`]`(Result<T, _>)` and a coroutine's input type is fixed
/// when it is written. Python has no such limit (a generator returns any
/// object); the future style has none either, because its `JoinHandle<R>`
/// carries each task's type and the executor stores results type-erased.
/// The trampoline keeps the simpler table and leaves three ways around it:
///
/// * an enum of the results the program has (`enum Out { Count(u64),
///   Name(String) }`): typed, and a `match` at each join;
/// * `T = ()`, the tasks reporting through shared state (`Rc<RefCell<_>>`),
///   as the examples do;
/// * `T = Box<dyn Any>`: any result, recovered with `downcast` where it
///   is joined (below); a wrong guess is a `downcast` error, not a
///   compile error, which is exactly Python's deal.
///
/// ```
/// use simul_coro::{CoroutineState::*, Reply, Scheduler, from_fn};
/// use std::any::Any;
///
/// type AnyResult = Box<dyn Any>;
/// let mut s = Scheduler::<AnyResult>::with_clock(simul_reactor::Clock::new_virtual())?;
/// let count = s.spawn(from_fn(|_: Reply<AnyResult>| Ok(Complete(Box::new(3_u64) as AnyResult))));
/// let name = s.spawn(from_fn(|_: Reply<AnyResult>| Ok(Complete(Box::new("Judit") as AnyResult))));
/// s.run_all()?;
/// let count = s.take_result(count).expect("finished")?.downcast::<u64>().expect("a u64");
/// let name = s.take_result(name).expect("finished")?.downcast::<&str>().expect("a &str");
/// assert_eq!((*count, *name), (3, "Judit"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Examples
///
/// Two tasks taking turns, on the virtual clock:
///
/// ```
/// use simul_coro::{CoroutineState::*, Reply, Scheduler, Trap, from_fn};
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let mut s = Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
/// for name in ["a", "b"] {
///     let log = log.clone();
///     let mut step = 0;
///     s.spawn(from_fn(move |_: Reply<()>| {
///         step += 1;
///         log.borrow_mut().push(format!("{name}{step}"));
///         Ok(if step < 3 { Yielded(Trap::Sleep(Duration::from_secs(1))) } else { Complete(()) })
///     }));
/// }
/// s.run_all()?;
/// assert_eq!(*log.borrow(), ["a1", "b1", "a2", "b2", "a3", "b3"]);
/// assert_eq!(s.now().since_origin(), Duration::from_secs(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Scheduler<T = ()> {
    /// Where the scheduler waits (the reactor), and the readiness of the
    /// descriptors that socket objects registered; shared with them.
    driver: Rc<Driver>,
    /// The reactor's clock, kept here so it can be lent out while the
    /// reactor sits in its `RefCell`.
    clock: Clock,
    /// Waiters of dropped sockets, taken out of the driver to be woken;
    /// kept to reuse its allocation.
    orphans: Vec<(TaskId, RawFd)>,
    /// Tasks woken by one event of an owned descriptor; kept to reuse
    /// its allocation.
    woken: Vec<TaskId>,
    /// Buffer for one poll's events.
    events: Events,
    /// The events of the last poll, copied out of `events` so tasks can be
    /// woken while iterating; kept to reuse its allocation.
    fired: Vec<Event>,
    /// The task table, indexed by [`TaskId::slot`].
    slots: Vec<Slot<T>>,
    /// Vacant slots, reused last-in first-out.
    free: Vec<u32>,
    /// The run queue. May hold stale ids (of tasks cancelled while ready);
    /// they are skipped when popped.
    ///
    /// # Invariant
    /// A task whose state is `Ready` appears here exactly once.
    ready: VecDeque<TaskId>,
    /// Sleeping tasks, earliest deadline first, equal deadlines in the
    /// order they were set. A cancelled task's timer is removed at once.
    ///
    /// # Invariant
    /// A task is in here exactly while its state is `Sleeping`, under the
    /// key stored in that state.
    timers: TimerQueue<TaskId>,
    /// Who waits on which plain descriptor (one no socket object owns).
    ///
    /// # Invariant
    /// A plain descriptor is registered in the reactor exactly while it
    /// has an entry here, with the interest of its waiters, under the
    /// token of its number.
    fd_waits: HashMap<RawFd, FdWaiters>,
    /// Tasks spawned and not yet finished.
    alive: usize,
    /// The main task's result, set when it finishes during [`Scheduler::run`].
    main_result: Option<Result<T, JoinError>>,
    /// Recorded events, when tracing is on.
    trace: Option<Vec<TraceEvent>>,
    /// This scheduler in the shared trace: a task's [`Unit`] is this and
    /// its [`TaskId::number`].
    source: Source,
}

/// One entry of the task table.
struct Slot<T> {
    /// Bumped each time the slot is freed, so old ids go stale.
    generation: u32,
    /// The task, or `None` when the slot is vacant.
    task: Option<TaskEntry<T>>,
}

/// A task's coroutine and where it stands.
struct TaskEntry<T> {
    /// The coroutine; `None` while it is being resumed (it is moved out so
    /// the scheduler can be borrowed mutably meanwhile) and once finished.
    coroutine: Option<Task<T>>,
    /// What the task waits for.
    state: State<T>,
    /// Who receives the result.
    joiner: Joiner,
}

/// What a task waits for.
enum State<T> {
    /// In the run queue; to be resumed with this reply.
    Ready(Reply<T>),
    /// Being resumed right now.
    Running,
    /// Waiting for its timer.
    Sleeping { key: TimerKey },
    /// Waiting for readiness of this descriptor.
    Io { fd: RawFd },
    /// Waiting for this task to finish.
    Joining(TaskId),
    /// Waiting for an `Unpark`.
    Parked,
    /// Done; the result waits for a joiner.
    Finished(Result<T, JoinError>),
}

/// Who receives a task's result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Joiner {
    /// Nobody yet: the result is kept in the slot.
    Nobody,
    /// This task, which is in `State::Joining`.
    Task(TaskId),
    /// [`Scheduler::run`]: this is the main task.
    Run,
    /// Nobody: the task was detached and its result is dropped.
    Detached,
}

/// The tasks waiting on one descriptor, one per direction.
#[derive(Default)]
struct FdWaiters {
    /// Waits for readability.
    reader: Option<TaskId>,
    /// Waits for writability.
    writer: Option<TaskId>,
}

impl FdWaiters {
    /// The interest covering the waiters, `None` when there are none.
    fn interest(&self) -> Option<Interest> {
        match (self.reader.is_some(), self.writer.is_some()) {
            (true, true) => Some(Interest::BOTH),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        }
    }
}

/// What to do with a task after one of its traps.
enum Next<T> {
    /// Resume it again at once with this reply.
    Again(Reply<T>),
    /// It waits; put the coroutine back.
    Suspend,
    /// It cancelled itself: drop it.
    CancelSelf,
}

impl<T: 'static> Scheduler<T> {
    /// A scheduler on a new reactor with the real clock.
    ///
    /// # Errors
    ///
    /// As [`Reactor::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// assert!(!s.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Scheduler<T>> {
        Ok(Scheduler::with_reactor(Reactor::new()?))
    }

    /// A scheduler on a new reactor with `clock`.
    ///
    /// # Errors
    ///
    /// As [`Reactor::with_clock`].
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_coro::Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
    /// assert!(s.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_clock(clock: Clock) -> io::Result<Scheduler<T>> {
        Ok(Scheduler::with_reactor(Reactor::with_clock(clock)?))
    }

    /// A scheduler on `reactor`. Descriptors it watches must not be
    /// registered in `reactor` by anyone else.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = simul_reactor::Reactor::new()?;
    /// let s = simul_coro::Scheduler::<()>::with_reactor(r);
    /// assert_eq!(s.live_tasks(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_reactor(reactor: Reactor) -> Scheduler<T> {
        let clock = reactor.clock().clone();
        Scheduler {
            driver: Rc::new(Driver::new(reactor)),
            clock,
            orphans: Vec::new(),
            woken: Vec::new(),
            events: Events::with_capacity(256),
            fired: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            timers: TimerQueue::new(),
            fd_waits: HashMap::new(),
            alive: 0,
            main_result: None,
            trace: None,
            source: Source::next(),
        }
    }

    /// The scheduler's clock. Clone it into a task that models blocking
    /// work with [`Clock::block_for`].
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_coro::Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
    /// let clock = s.clock().clone();
    /// clock.block_for(std::time::Duration::from_secs(5));
    /// assert_eq!(s.now().since_origin().as_secs(), 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current time on the scheduler's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_coro::Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
    /// assert_eq!(s.now(), simul_reactor::Instant::ZERO);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The handle the socket objects of [`net`](crate::net) are made
    /// with: they register their descriptor with this scheduler's reactor
    /// once, through it, and deregister when dropped.
    ///
    /// # Examples
    ///
    /// See [`net::IoHandle`](crate::net::IoHandle).
    pub fn io_handle(&self) -> IoHandle {
        IoHandle { driver: self.driver.clone() }
    }

    /// How many times the poller's registrations were changed (register,
    /// reregister, deregister: one `epoll_ctl` each on Linux) by this
    /// scheduler and the sockets made with its [`io_handle`](Scheduler::io_handle).
    /// A socket object costs two over its life; a wait on a plain
    /// descriptor costs two (register, then deregister at the wake-up).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{CoroutineState::*, Reply, Scheduler, Trap, from_fn};
    /// use std::os::fd::AsRawFd;
    ///
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let fd = a.as_raw_fd();
    /// let mut s = Scheduler::<()>::new()?;
    /// s.run(from_fn(move |r: Reply<()>| match r {
    ///     Reply::Start => Ok(Yielded(Trap::Writable(fd))), // room to write: woken at once
    ///     _ => Ok(Complete(())),
    /// }))?;
    /// assert_eq!(s.poller_updates(), 2); // a plain descriptor: per wait
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn poller_updates(&self) -> u64 {
        self.driver.poller_updates()
    }

    /// Turns recording of [`TraceEvent`]s on or off. Turning it on clears
    /// what was recorded.
    ///
    /// # Examples
    ///
    /// See [`TraceEvent`].
    pub fn record_trace(&mut self, on: bool) {
        self.trace = on.then(Vec::new);
    }

    /// The events recorded so far (empty when tracing is off).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_coro::Scheduler::<()>::new()?;
    /// assert!(s.trace().is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn trace(&self) -> &[TraceEvent] {
        self.trace.as_deref().unwrap_or(&[])
    }

    /// Task `id` as the shared [trace](simul_reactor::trace) knows it: this
    /// scheduler's [`Source`] and the id's [`number`](TaskId::number).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{CoroutineState::Complete, Reply, Scheduler, from_fn};
    /// use simul_reactor::trace::Recording;
    ///
    /// let mut s = Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
    /// let recording = Recording::start()?;
    /// let id = s.spawn(from_fn(|_: Reply<()>| Ok(Complete(()))));
    /// s.run_all()?;
    /// let trace = recording.finish();
    /// assert!(trace.events().iter().all(|e| e.unit == s.unit(id)));
    /// assert_eq!(trace.name(s.unit(id)), "task 0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unit(&self, id: TaskId) -> Unit {
        Unit::new(self.source, id.number())
    }

    /// How many tasks have been spawned and not finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{CoroutineState::Complete, Reply, Scheduler, from_fn};
    /// let mut s = Scheduler::<()>::new()?;
    /// s.spawn(from_fn(|_: Reply<()>| Ok(Complete(()))));
    /// assert_eq!(s.live_tasks(), 1);
    /// s.run_all()?;
    /// assert_eq!(s.live_tasks(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn live_tasks(&self) -> usize {
        self.alive
    }

    /// Adds a task; it first runs (resumed with [`Reply::Start`]) on the
    /// next turn, after the tasks already ready.
    ///
    /// # Examples
    ///
    /// See [`TaskId`].
    pub fn spawn<C>(&mut self, coroutine: C) -> TaskId
    where
        C: Coroutine<Reply<T>, Yield = Trap<T>, Return = T> + 'static,
    {
        self.spawn_boxed(Box::new(coroutine))
    }

    /// Takes the result of a finished task that nobody joined. `None`
    /// while it is still running, or when the id is stale.
    ///
    /// # Examples
    ///
    /// See [`TaskId`].
    pub fn take_result(&mut self, id: TaskId) -> Option<Result<T, JoinError>> {
        let entry = self.entry_mut(id)?;
        if !matches!(entry.state, State::Finished(_)) {
            return None;
        }
        let State::Finished(result) = mem::replace(&mut entry.state, State::Running) else {
            return None;
        };
        self.free_slot(id);
        Some(result)
    }

    /// Runs `main` and every task it spawns until `main` completes, and
    /// returns its result (`asyncio.run` / `curio.run`).
    ///
    /// Other tasks still suspended when `main` completes stay in the
    /// scheduler: a later `run` or [`run_all`](Scheduler::run_all)
    /// continues them, dropping the scheduler drops them.
    ///
    /// # Errors
    ///
    /// * [`RunError::Main`]: `main` panicked, failed, or was cancelled.
    /// * [`RunError::Deadlock`]: `main` can never finish; it is then
    ///   dropped (its joiners see it cancelled).
    /// * [`RunError::Io`]: the reactor's wait failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{CoroutineState::*, Reply, Scheduler, Trap, from_fn};
    /// use std::time::Duration;
    ///
    /// let mut s = Scheduler::<u64>::with_clock(simul_reactor::Clock::new_virtual())?;
    /// let main = from_fn(|r: Reply<u64>| match r {
    ///     Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_millis(1500)))),
    ///     Reply::Woke => Ok(Yielded(Trap::Now)),
    ///     Reply::Now(t) => Ok(Complete(t.as_nanos() / 1_000_000)),
    ///     _ => Err(simul_coro::ResumeError::UnexpectedInput { expected: "Woke or Now" }),
    /// });
    /// assert_eq!(s.run(main)?, 1500);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run<C>(&mut self, main: C) -> Result<T, RunError>
    where
        C: Coroutine<Reply<T>, Yield = Trap<T>, Return = T> + 'static,
    {
        let id = self.spawn(main);
        if let Some(entry) = self.entry_mut(id) {
            entry.joiner = Joiner::Run;
        }
        self.main_result = None;
        if let Err(e) = self.drive(true) {
            self.cancel(id);
            self.main_result = None;
            return Err(e);
        }
        match self.main_result.take() {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(RunError::Main(e)),
            None => Err(RunError::Main(JoinError::NoSuchTask)),
        }
    }

    /// Runs every spawned task until all have finished. Results of tasks
    /// nobody joined stay available through
    /// [`take_result`](Scheduler::take_result).
    ///
    /// # Errors
    ///
    /// [`RunError::Deadlock`] when tasks remain that can never be resumed
    /// (they stay in the scheduler); [`RunError::Io`] when the reactor's
    /// wait failed. A task that panics is not an error here: its result is
    /// [`JoinError::Panicked`].
    ///
    /// # Examples
    ///
    /// See [`Scheduler`].
    pub fn run_all(&mut self) -> Result<(), RunError> {
        self.drive(false)
    }

    /// The loop. With `until_main`, stops as soon as the main task's result
    /// is in; otherwise when no task is alive.
    fn drive(&mut self, until_main: bool) -> Result<(), RunError> {
        let done = |s: &Scheduler<T>| {
            if until_main { s.main_result.is_some() } else { s.alive == 0 }
        };
        loop {
            if done(self) {
                return Ok(());
            }
            // Only the tasks ready at the start of the turn: a task that
            // yields now runs next turn, after I/O has been looked at.
            self.wake_orphans();
            for _ in 0..self.ready.len() {
                let Some(id) = self.ready.pop_front() else { break };
                self.run_ready(id);
                self.wake_orphans();
                if done(self) {
                    return Ok(());
                }
            }
            let deadline =
                if self.ready.is_empty() { self.next_deadline() } else { Some(self.now()) };
            if deadline.is_none()
                && self.fd_waits.is_empty()
                && !self.driver.sources.borrow().has_waiters()
            {
                return Err(RunError::Deadlock(self.deadlock()));
            }
            self.driver.poll(&mut self.events, deadline)?;
            let mut fired = mem::take(&mut self.fired);
            fired.clear();
            fired.extend(self.events.iter());
            for event in &fired {
                self.fd_ready(*event);
            }
            self.fired = fired;
            self.fire_timers();
        }
    }

    /// Resumes a task popped from the run queue, if it is still ready.
    fn run_ready(&mut self, id: TaskId) {
        let Some(entry) = self.entry_mut(id) else { return };
        if !matches!(entry.state, State::Ready(_)) {
            return; // cancelled while queued
        }
        let State::Ready(reply) = mem::replace(&mut entry.state, State::Running) else { return };
        match entry.coroutine.take() {
            Some(coroutine) => self.resume(id, coroutine, reply),
            None => self.finish(id, Err(JoinError::NoSuchTask)),
        }
    }

    /// Resumes `coroutine` (task `id`) with `input`, and again for as long
    /// as its traps are answered at once.
    fn resume(&mut self, id: TaskId, mut coroutine: Task<T>, mut input: Reply<T>) {
        // Once per turn: traps answered at once keep the task running.
        self.note(id, shared::TraceKind::Running);
        loop {
            self.record(id, TraceKind::Resumed);
            // AssertUnwindSafe: after a panic the coroutine is dropped
            // without being resumed again, so no broken state is observed.
            let step = panic::catch_unwind(AssertUnwindSafe(|| coroutine.resume(input)));
            match step {
                Ok(Ok(CoroutineState::Yielded(trap))) => {
                    self.record(id, TraceKind::Yielded(TrapKind::of(&trap)));
                    match self.trap(id, trap) {
                        Next::Again(reply) => input = reply,
                        Next::Suspend => {
                            if let Some(entry) = self.entry_mut(id) {
                                entry.coroutine = Some(coroutine);
                            }
                            return;
                        }
                        Next::CancelSelf => {
                            drop_quietly(coroutine);
                            self.finish(id, Err(JoinError::Cancelled));
                            return;
                        }
                    }
                }
                Ok(Ok(CoroutineState::Complete(value))) => {
                    drop_quietly(coroutine);
                    self.finish(id, Ok(value));
                    return;
                }
                Ok(Err(e)) => {
                    drop_quietly(coroutine);
                    self.finish(id, Err(JoinError::Failed(e)));
                    return;
                }
                Err(payload) => {
                    drop_quietly(coroutine);
                    self.finish(id, Err(JoinError::Panicked(panic_message(payload.as_ref()))));
                    return;
                }
            }
        }
    }

    /// Carries out `trap` for the running task `id`.
    fn trap(&mut self, id: TaskId, trap: Trap<T>) -> Next<T> {
        match trap {
            Trap::Sleep(d) => {
                let deadline = self.now().saturating_add(d);
                let key = self.timers.insert(deadline, id);
                self.set_state(id, State::Sleeping { key });
                self.note(id, shared::TraceKind::Suspended(shared::Wait::Timer(deadline)));
                Next::Suspend
            }
            Trap::YieldNow => {
                // The hottest trap: one check for both steps. Suspended
                // before Woken: the lane shows the yield, then the wait in
                // the run queue.
                if shared::enabled() {
                    self.note(id, shared::TraceKind::Suspended(shared::Wait::Yield));
                    self.note(id, shared::TraceKind::Woken);
                }
                self.make_ready(id, Reply::Woke);
                Next::Suspend
            }
            Trap::Readable(fd) => self.wait_fd(id, fd, true),
            Trap::Writable(fd) => self.wait_fd(id, fd, false),
            Trap::Spawn(task) => Next::Again(Reply::Spawned(self.spawn_boxed(task))),
            Trap::Join(target) => self.join(id, target),
            Trap::Cancel(target) if target == id => Next::CancelSelf,
            Trap::Cancel(target) => Next::Again(Reply::Cancelled(self.cancel(target))),
            Trap::Now => Next::Again(Reply::Now(self.now())),
            Trap::CurrentTask => Next::Again(Reply::CurrentTask(id)),
            Trap::Park => {
                self.set_state(id, State::Parked);
                self.note(id, shared::TraceKind::Suspended(shared::Wait::Sync));
                Next::Suspend
            }
            Trap::Detach(target) => Next::Again(Reply::Detached(self.detach(target))),
            Trap::Unpark(target) => {
                let parked =
                    matches!(self.entry(target), Some(TaskEntry { state: State::Parked, .. }));
                if parked {
                    self.wake(target, Reply::Woke);
                }
                Next::Again(Reply::Unparked(parked))
            }
        }
    }

    /// `Join(target)` from task `id`.
    fn join(&mut self, id: TaskId, target: TaskId) -> Next<T> {
        if target == id {
            return Next::Again(Reply::Joined(Err(JoinError::JoinSelf)));
        }
        let Some(entry) = self.entry_mut(target) else {
            return Next::Again(Reply::Joined(Err(JoinError::NoSuchTask)));
        };
        if entry.joiner != Joiner::Nobody {
            return Next::Again(Reply::Joined(Err(JoinError::AlreadyJoined)));
        }
        if matches!(entry.state, State::Finished(_)) {
            let result = match self.take_result(target) {
                Some(result) => result,
                None => Err(JoinError::NoSuchTask),
            };
            return Next::Again(Reply::Joined(result));
        }
        entry.joiner = Joiner::Task(id);
        self.set_state(id, State::Joining(target));
        self.note(id, shared::TraceKind::Suspended(shared::Wait::Join));
        Next::Suspend
    }

    /// Task `id` waits on `fd` in one direction: filed under the socket
    /// object's registration if one owns `fd` (answered at once if its
    /// readiness bit is set), else registered for this one wait.
    fn wait_fd(&mut self, id: TaskId, fd: RawFd, read: bool) -> Next<T> {
        let direction = if read { Direction::Read } else { Direction::Write };
        let outcome = self.driver.sources.borrow_mut().wait(fd, direction, id);
        match outcome {
            WaitOutcome::NotOwned => {}
            WaitOutcome::Ready => return Next::Again(Reply::Io(Ok(()))),
            WaitOutcome::Busy(other) => return Next::Again(Reply::Io(Err(busy(other, fd, read)))),
            WaitOutcome::Waiting => {
                self.set_state(id, State::Io { fd });
                let wait =
                    if read { shared::Wait::Readable(fd) } else { shared::Wait::Writable(fd) };
                self.note(id, shared::TraceKind::Suspended(wait));
                return Next::Suspend;
            }
        }
        let waiters = self.fd_waits.entry(fd).or_default();
        let was_watched = waiters.interest().is_some();
        let place = if read { &mut waiters.reader } else { &mut waiters.writer };
        if let Some(other) = *place {
            return Next::Again(Reply::Io(Err(busy(other, fd, read))));
        }
        *place = Some(id);
        let interest = waiters.interest().unwrap_or(Interest::BOTH);
        let token = Token(fd as usize);
        let registered = if was_watched {
            self.driver.reregister(fd, token, interest)
        } else {
            self.driver.register(fd, token, interest)
        };
        if let Err(e) = registered {
            self.forget_waiter(fd, id);
            return Next::Again(Reply::Io(Err(e)));
        }
        self.set_state(id, State::Io { fd });
        let wait = if read { shared::Wait::Readable(fd) } else { shared::Wait::Writable(fd) };
        self.note(id, shared::TraceKind::Suspended(wait));
        Next::Suspend
    }

    /// Removes `id` from the waiters of `fd` and updates (or drops) the
    /// registration. Errors are ignored: the descriptor may have been
    /// closed already, which removed it from the poller.
    fn forget_waiter(&mut self, fd: RawFd, id: TaskId) {
        if self.driver.sources.borrow_mut().forget(fd, id) {
            return;
        }
        let Some(waiters) = self.fd_waits.get_mut(&fd) else { return };
        let was = waiters.interest();
        if waiters.reader == Some(id) {
            waiters.reader = None;
        }
        if waiters.writer == Some(id) {
            waiters.writer = None;
        }
        let now = waiters.interest();
        self.update_registration(fd, was, now);
    }

    /// Brings the reactor's registration of `fd` from interest `was` to
    /// `now` (`None`: not registered).
    fn update_registration(&mut self, fd: RawFd, was: Option<Interest>, now: Option<Interest>) {
        match now {
            None => {
                self.fd_waits.remove(&fd);
                if was.is_some() {
                    let _ = self.driver.deregister(fd);
                }
            }
            Some(interest) if was != Some(interest) => {
                let _ = self.driver.reregister(fd, Token(fd as usize), interest);
            }
            Some(_) => {}
        }
    }

    /// Wakes the waiters of one event's descriptor.
    fn fd_ready(&mut self, event: Event) {
        let mut woken = mem::take(&mut self.woken);
        let owned = self.driver.sources.borrow_mut().dispatch(&event, &mut woken);
        for id in woken.drain(..) {
            self.wake(id, Reply::Io(Ok(())));
        }
        self.woken = woken;
        if owned {
            return;
        }
        let fd = event.token().0 as RawFd;
        let Some(waiters) = self.fd_waits.get_mut(&fd) else { return };
        let was = waiters.interest();
        let failed = event.is_error();
        let reader = if event.is_readable() || event.is_read_closed() || failed {
            waiters.reader.take()
        } else {
            None
        };
        let writer = if event.is_writable() || event.is_write_closed() || failed {
            waiters.writer.take()
        } else {
            None
        };
        let now = waiters.interest();
        self.update_registration(fd, was, now);
        for id in [reader, writer].into_iter().flatten() {
            self.wake(id, Reply::Io(Ok(())));
        }
    }

    /// Wakes, with an error, the tasks that waited on sockets dropped
    /// since the last look: their descriptor is gone, no event will come.
    fn wake_orphans(&mut self) {
        if !self.driver.sources.borrow().has_orphans() {
            return;
        }
        let mut orphans = mem::take(&mut self.orphans);
        self.driver.sources.borrow_mut().take_orphans(&mut orphans);
        for (id, fd) in orphans.drain(..) {
            // Still waiting on that descriptor: not cancelled meanwhile.
            if matches!(self.entry(id), Some(TaskEntry { state: State::Io { fd: f }, .. }) if *f == fd)
            {
                let e = io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    format!("fd {fd} was closed while {id} waited on it"),
                );
                self.wake(id, Reply::Io(Err(e)));
            }
        }
        self.orphans = orphans;
    }

    /// The earliest pending timer.
    fn next_deadline(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Wakes every task whose timer is due, in deadline order.
    fn fire_timers(&mut self) {
        let now = self.now();
        while let Some((_, id)) = self.timers.pop_due(now) {
            self.wake(id, Reply::Woke);
        }
    }

    /// Cancels task `target` (not the running one): detaches it from what
    /// it waits on, drops it, reports it to its joiner. Returns whether it
    /// was still alive.
    fn cancel(&mut self, target: TaskId) -> bool {
        let Some(entry) = self.entry_mut(target) else { return false };
        if matches!(entry.state, State::Finished(_)) {
            return false;
        }
        let coroutine = entry.coroutine.take();
        // A stale run-queue entry is skipped once the state is no longer
        // Ready.
        match mem::replace(&mut entry.state, State::Running) {
            State::Sleeping { key } => {
                let _ = self.timers.cancel(key);
            }
            State::Io { fd } => self.forget_waiter(fd, target),
            State::Joining(awaited) => {
                if let Some(awaited) = self.entry_mut(awaited)
                    && awaited.joiner == Joiner::Task(target)
                {
                    awaited.joiner = Joiner::Nobody;
                }
            }
            State::Ready(_) | State::Running | State::Parked | State::Finished(_) => {}
        }
        if let Some(coroutine) = coroutine {
            drop_quietly(coroutine);
        }
        self.finish(target, Err(JoinError::Cancelled));
        true
    }

    /// Records that task `id` (whose coroutine is gone) ended with
    /// `result`, and hands the result to its joiner or keeps it.
    fn finish(&mut self, id: TaskId, result: Result<T, JoinError>) {
        let kind = match &result {
            Ok(_) => TraceKind::Completed,
            Err(JoinError::Cancelled) => TraceKind::Cancelled,
            Err(JoinError::Panicked(_)) => TraceKind::Panicked,
            Err(_) => TraceKind::Failed,
        };
        self.record(id, kind);
        // A coroutine that failed (a `ResumeError`, or lost) ended abnormally
        // like a panic; the shared model has no other abnormal end.
        let end = match kind {
            TraceKind::Completed => shared::TraceKind::Finished,
            TraceKind::Cancelled => shared::TraceKind::Cancelled,
            _ => shared::TraceKind::Panicked,
        };
        self.note(id, end);
        self.alive -= 1;
        let Some(entry) = self.entry_mut(id) else { return };
        match mem::replace(&mut entry.joiner, Joiner::Nobody) {
            Joiner::Nobody => entry.state = State::Finished(result),
            Joiner::Task(joiner) => {
                self.free_slot(id);
                self.wake(joiner, Reply::Joined(result));
            }
            Joiner::Run => {
                self.free_slot(id);
                self.main_result = Some(result);
            }
            Joiner::Detached => {
                self.free_slot(id);
                drop_quietly(result);
            }
        }
    }

    /// `Detach(target)`: its result will be dropped.
    fn detach(&mut self, target: TaskId) -> bool {
        let Some(entry) = self.entry_mut(target) else { return false };
        if entry.joiner != Joiner::Nobody {
            return false;
        }
        if matches!(entry.state, State::Finished(_)) {
            let state = mem::replace(&mut entry.state, State::Running);
            self.free_slot(target);
            drop_quietly(state);
        } else {
            entry.joiner = Joiner::Detached;
        }
        true
    }

    /// The report for a deadlock: every live task is parked or joining.
    fn deadlock(&self) -> Deadlock {
        let mut waits = Vec::new();
        for (slot, s) in self.slots.iter().enumerate() {
            let wait = match s.task.as_ref().map(|t| &t.state) {
                Some(State::Joining(awaited)) => Wait::Join(*awaited),
                Some(State::Parked) => Wait::Park,
                _ => continue,
            };
            waits.push((TaskId { slot: slot as u32, generation: s.generation }, wait));
        }
        Deadlock { waits }
    }

    fn spawn_boxed(&mut self, coroutine: Task<T>) -> TaskId {
        let task =
            TaskEntry { coroutine: Some(coroutine), state: State::Running, joiner: Joiner::Nobody };
        let id = match self.free.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                s.task = Some(task);
                TaskId { slot, generation: s.generation }
            }
            None => {
                let slot = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot { generation: 0, task: Some(task) });
                TaskId { slot, generation: 0 }
            }
        };
        self.alive += 1;
        self.record(id, TraceKind::Spawned);
        self.note(id, shared::TraceKind::Created);
        if shared::enabled() {
            shared::name(self.unit(id), id.to_string());
        }
        // Created already says it is ready: no Woken for the first run.
        self.make_ready(id, Reply::Start);
        id
    }

    fn free_slot(&mut self, id: TaskId) {
        if let Some(s) = self.slots.get_mut(id.slot as usize) {
            s.task = None;
            s.generation = s.generation.wrapping_add(1);
            self.free.push(id.slot);
        }
    }

    /// Makes task `id` ready with `reply`, at the back of the run queue,
    /// and records that it was woken.
    fn wake(&mut self, id: TaskId, reply: Reply<T>) {
        if self.make_ready(id, reply) {
            self.note(id, shared::TraceKind::Woken);
        }
    }

    /// Makes task `id` ready with `reply`, at the back of the run queue.
    /// Returns whether the task exists.
    fn make_ready(&mut self, id: TaskId, reply: Reply<T>) -> bool {
        let live = self.set_state(id, State::Ready(reply));
        if live {
            self.ready.push_back(id);
        }
        live
    }

    fn set_state(&mut self, id: TaskId, state: State<T>) -> bool {
        match self.entry_mut(id) {
            Some(entry) => {
                entry.state = state;
                true
            }
            None => false,
        }
    }

    fn entry(&self, id: TaskId) -> Option<&TaskEntry<T>> {
        let s = self.slots.get(id.slot as usize)?;
        if s.generation != id.generation {
            return None;
        }
        s.task.as_ref()
    }

    fn entry_mut(&mut self, id: TaskId) -> Option<&mut TaskEntry<T>> {
        let s = self.slots.get_mut(id.slot as usize)?;
        if s.generation != id.generation {
            return None;
        }
        s.task.as_mut()
    }

    /// Records into the scheduler's own test trace, when it is on.
    fn record(&mut self, task: TaskId, kind: TraceKind) {
        if let Some(trace) = &mut self.trace {
            trace.push(TraceEvent { at: self.clock.now(), task, kind });
        }
    }

    /// Records into the shared [trace](simul_reactor::trace): one relaxed
    /// load and a branch when nothing records.
    #[inline]
    fn note(&self, task: TaskId, kind: shared::TraceKind) {
        shared::record(&self.clock, self.unit(task), kind);
    }
}

/// Dropping the scheduler drops every task still in it (their coroutines
/// and kept results), each under `catch_unwind`, so one panicking
/// destructor neither escapes nor stops the others from being dropped.
impl<T> Drop for Scheduler<T> {
    fn drop(&mut self) {
        for slot in &mut self.slots {
            if let Some(task) = slot.task.take() {
                drop_quietly(task.coroutine);
                drop_quietly(task.state);
            }
        }
        // Sockets kept outside (their `IoHandle` keeps the reactor alive)
        // must fail from now on: their readiness bits would never change.
        self.driver.scheduler_dropped();
    }
}

/// Drops a coroutine or a result, containing a panic from its destructor:
/// the scheduler must survive a task (or a task's output) whose `Drop`
/// panics.
fn drop_quietly<V>(value: V) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// `ResourceBusy`: `other` already waits on `fd` in that direction.
fn busy(other: TaskId, fd: RawFd, read: bool) -> io::Error {
    let direction = if read { "readable" } else { "writable" };
    io::Error::new(
        io::ErrorKind::ResourceBusy,
        format!("{other} already waits for fd {fd} to become {direction}"),
    )
}

/// The text of a panic payload (`panic!("...")` gives `&str` or `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
