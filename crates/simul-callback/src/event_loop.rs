//! [`EventLoop`]: asyncio's low-level loop on the simul reactor.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, Write as _};
use std::mem;
use std::num::NonZeroUsize;
use std::os::fd::RawFd;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use std::os::fd::AsRawFd;

use simul_reactor::trace::{self, Wait};
use simul_reactor::{
    Clock, Events, Instant, Interest, Reactor, Signal, Signals, TimerKey, TimerQueue, Token,
};

use crate::executor::{Job, Pool};
use crate::runnable::{Call, Runnable, Tag};
use crate::threadsafe::Remote;
use crate::{
    CallbackKind, Deferred, Error, ExceptionContext, ExecutorError, Handle, LoopHandle,
    SlowCallback, TimerHandle,
};

#[path = "tracing.rs"]
mod tracing;

/// One entry of the ready queue; `None` once cancelled.
type Work = Option<Box<dyn Runnable>>;
/// A reader or writer callback: called again each time the fd is ready.
type IoCallback = Box<dyn FnMut(&mut EventLoop)>;
/// What runs on the loop when an executor job's result arrives.
type JobDone = Box<dyn FnOnce(&mut EventLoop, Box<dyn Any + Send>)>;
/// The user's exception handler.
type ExceptionHandler = Box<dyn FnMut(&mut EventLoop, ExceptionContext)>;
/// The user's slow-callback hook.
type SlowHook = Box<dyn FnMut(&SlowCallback)>;

/// Hands every loop a distinct id, so a [`Handle`] from one loop does
/// nothing to another.
static NEXT_LOOP_ID: AtomicU32 = AtomicU32::new(1);

/// Half the bits of a [`Token`] name a watch slot, the other half its
/// generation.
const GENERATION_SHIFT: u32 = usize::BITS / 2;
/// Masks a watch slot out of a token, and bounds generations so that no
/// token can equal [`Token::NOTIFIER`] (all ones).
const HALF_MASK: usize = (1 << GENERATION_SHIFT) - 1;

/// The default slow-callback threshold in debug mode (asyncio's
/// `slow_callback_duration`).
const DEFAULT_SLOW_CALLBACK: Duration = Duration::from_millis(100);

/// Entries a drained queue (the ready queue, the spare mailbox buffer)
/// keeps room for. A burst grows a queue to its size; once it has run,
/// room beyond this is given back, so that a burst of millions of calls
/// (from other threads, say) does not hold hundreds of MiB for the rest of
/// the loop's life. Bursts smaller than this never reallocate.
const QUEUE_KEEP: usize = 4096;

/// A reader or writer whose fd was reported ready, queued to run.
///
/// The callback itself stays in its watch (it runs again next time);
/// `serial` says which callback the readiness was seen for, so that one
/// replaced or removed in the meantime is not called.
struct IoReady {
    /// Index into `EventLoop::watches`.
    slot: u32,
    /// `IoSlot::serial` of the callback when the event was seen.
    serial: u64,
    /// Reader or writer.
    dir: Dir,
    /// Where `add_reader`/`add_writer` was called.
    location: &'static Location<'static>,
    /// The trace unit of the reader or writer.
    unit: u64,
}

impl Runnable for IoReady {
    fn run(self: Box<Self>, lp: &mut EventLoop) {
        lp.run_io(self.slot, self.serial, self.dir, self.location);
    }

    fn location(&self) -> &'static Location<'static> {
        self.location
    }

    fn kind(&self) -> CallbackKind {
        self.dir.kind()
    }

    fn unit(&self) -> u64 {
        self.unit
    }

    fn set_unit(&mut self, unit: u64) {
        self.unit = unit;
    }
}

/// A pending timer as the timer queue holds it.
struct TimerEntry {
    /// The callback.
    run: Box<dyn Runnable>,
    /// Its slot in `EventLoop::timer_slots`.
    slot: u32,
}

/// What a [`TimerHandle`] points at.
struct TimerSlot {
    /// Bumped when the slot is freed, so that old handles stop matching.
    generation: u32,
    /// Where the timer is now.
    state: TimerState,
}

/// Where a timer is in its life.
///
/// ```text
///  call_at --> Pending(key) --due--> Queued(seq) --end of iteration--> Free
///                  |                     |
///                  +------cancel---------+----------------------------> Free
/// ```
///
/// A timer that became due is run (or skipped, if cancelled) in the same
/// iteration, so its slot is freed when that iteration's batch is done.
enum TimerState {
    /// In the timer queue under this key.
    Pending(TimerKey),
    /// Due, in the ready queue at this sequence number.
    Queued(u64),
    /// Not in use.
    Free,
}

/// Reader or writer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Dir {
    /// `add_reader`.
    Read,
    /// `add_writer`.
    Write,
}

impl Dir {
    fn kind(self) -> CallbackKind {
        match self {
            Dir::Read => CallbackKind::Reader,
            Dir::Write => CallbackKind::Writer,
        }
    }

    fn interest(self) -> Interest {
        match self {
            Dir::Read => Interest::READABLE,
            Dir::Write => Interest::WRITABLE,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dir::Read => "reader",
            Dir::Write => "writer",
        }
    }
}

/// A callback attached to a watched fd.
struct IoSlot {
    /// The callback; `None` only while it is running.
    f: Option<IoCallback>,
    /// Unique among all I/O callbacks this loop has seen.
    serial: u64,
    /// Where `add_reader`/`add_writer` was called.
    location: &'static Location<'static>,
    /// The trace unit it continues: the one that added it.
    unit: u64,
}

/// A watched fd.
struct Watch {
    /// The descriptor (the caller's: the loop never closes it).
    fd: RawFd,
    /// What it is registered for in the reactor.
    /// # Invariant
    /// Readable iff `reader` is set, writable iff `writer` is set.
    interest: Interest,
    /// From `add_reader`.
    reader: Option<IoSlot>,
    /// From `add_writer`.
    writer: Option<IoSlot>,
    /// Already listed in `EventLoop::rearm` this iteration.
    rearm: bool,
}

impl Watch {
    fn io_mut(&mut self, dir: Dir) -> &mut Option<IoSlot> {
        match dir {
            Dir::Read => &mut self.reader,
            Dir::Write => &mut self.writer,
        }
    }
}

/// A slot of `EventLoop::watches`.
struct WatchSlot {
    /// Bumped when the slot is freed; part of the reactor token, so that
    /// events already fetched for an fd that was removed (and maybe reused)
    /// are recognised as stale.
    generation: usize,
    /// What is watched, when the slot is in use.
    source: Option<Source>,
}

/// What a watch slot holds.
enum Source {
    /// An fd with `add_reader`/`add_writer` callbacks.
    Fd(Watch),
    /// A transport or server: told about every event, edge-triggered.
    Stream {
        /// The transport or server.
        source: Rc<dyn IoSource>,
        /// Its trace unit.
        unit: u64,
        /// Its descriptor (what its unit waits on).
        fd: RawFd,
    },
}

/// Readiness reported for a [`Source::Stream`].
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Readiness {
    /// Data (or end-of-file) can be read.
    pub(crate) readable: bool,
    /// Data can be written.
    pub(crate) writable: bool,
    /// A read that returns less than its buffer means the socket is empty
    /// ([`Event::short_read_drains`](simul_reactor::Event::short_read_drains):
    /// false once the peer shut down, on urgent data, and on kqueue).
    pub(crate) short_read_drains: bool,
    /// An error or hang-up is pending.
    pub(crate) broken: bool,
}

/// Something with its own event handling: transports and servers.
///
/// Registered edge-triggered for both directions once, never re-armed:
/// the source reads and writes until `WouldBlock` itself.
pub(crate) trait IoSource {
    /// Handles one event; runs from the ready queue.
    fn ready(self: Rc<Self>, lp: &mut EventLoop, readiness: Readiness);
    /// Where the source was created (for reports).
    fn location(&self) -> &'static Location<'static>;
    /// The loop is being dropped: close the socket and drop the protocol
    /// (which may hold the source: this breaks the cycle).
    fn shutdown(&self);
}

/// An event for a [`Source::Stream`], queued to run.
struct StreamReady {
    /// The source.
    source: Rc<dyn IoSource>,
    /// What the event said.
    readiness: Readiness,
    /// The source's trace unit.
    unit: u64,
    /// The source's descriptor.
    fd: RawFd,
}

impl Runnable for StreamReady {
    fn run(self: Box<Self>, lp: &mut EventLoop) {
        let wait = Some(Wait::Readable(self.fd));
        lp.enter(self.source.location(), CallbackKind::Transport, self.unit, false, wait);
        self.source.ready(lp, self.readiness);
    }

    fn location(&self) -> &'static Location<'static> {
        self.source.location()
    }

    fn kind(&self) -> CallbackKind {
        CallbackKind::Transport
    }

    fn unit(&self) -> u64 {
        self.unit
    }

    fn set_unit(&mut self, unit: u64) {
        self.unit = unit;
    }
}

/// A single-threaded event loop in the style of Python's asyncio.
///
/// See the [crate docs](crate) for what a callback loop is and the exact
/// order of one iteration. In short: callbacks wait in a FIFO *ready
/// queue*; each iteration polls the reactor (without blocking if anything
/// is ready), queues the I/O callbacks whose fds are ready and the timers
/// that are due, then runs exactly the callbacks that were in the queue at
/// that moment.
///
/// Every callback receives `&mut EventLoop`, so it can schedule more
/// work, stop the loop or read the time. The loop is `!Send`: callbacks
/// may capture `Rc`s. Other threads use a [`LoopHandle`].
///
/// ```compile_fail
/// fn needs_send<T: Send>(_: T) {}
/// needs_send(simul_callback::EventLoop::new().unwrap());
/// ```
///
/// # Examples
///
/// Seed 001's `count`, callback style: three callbacks print `One`,
/// each asks to be called back in a second to print `Two`.
///
/// ```
/// use simul_callback::EventLoop;
/// use simul_reactor::Clock;
/// use std::{cell::RefCell, rc::Rc, time::Duration};
///
/// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
/// let out = Rc::new(RefCell::new(Vec::new()));
/// for _ in 0..3 {
///     let out = out.clone();
///     lp.call_soon(move |lp| {
///         out.borrow_mut().push("One");
///         lp.call_later(Duration::from_secs(1), move |_| out.borrow_mut().push("Two"));
///     });
/// }
/// lp.call_later(Duration::from_secs(1), |lp| lp.stop());
/// lp.run_forever()?;
/// assert_eq!(*out.borrow(), ["One", "One", "One", "Two", "Two", "Two"]);
/// assert_eq!(lp.time().since_origin(), Duration::from_secs(1));
/// # Ok::<(), simul_callback::Error>(())
/// ```
pub struct EventLoop {
    /// Readiness, time and wake-ups.
    reactor: Reactor,
    /// Reused by every poll.
    events: Events,
    /// Callbacks to run, oldest first.
    /// # Invariant
    /// The entry at index `i` was the `head_seq + i`-th ever queued: the
    /// queue only grows at the back and shrinks at the front.
    ready: VecDeque<Work>,
    /// How many entries have left the front of `ready` since the loop was
    /// made: the sequence number of the current front.
    head_seq: u64,
    /// Pending timers.
    timers: TimerQueue<TimerEntry>,
    /// Timer slots that went to the ready queue this iteration, freed
    /// after its batch ran.
    fired: Vec<u32>,
    /// What [`TimerHandle`]s point at.
    timer_slots: Vec<TimerSlot>,
    /// Free indices of `timer_slots`.
    timer_free: Vec<u32>,
    /// Watched fds; a watch's reactor token is its index plus generation.
    watches: Vec<WatchSlot>,
    /// Free indices of `watches`.
    watch_free: Vec<u32>,
    /// Which watch each fd has (`add_reader`/`add_writer` only).
    fd_index: HashMap<RawFd, u32>,
    /// Transports and servers registered.
    streams: usize,
    /// The buffer transports read into, lent out for each read burst (a
    /// fresh zeroed 64 KiB per event would cost more than the read).
    read_buf: Vec<u8>,
    /// The fd of each signal's listener (its reader owns the listener).
    signal_fds: HashMap<i32, RawFd>,
    /// Calls queued by transports and servers from methods that have no
    /// `&mut EventLoop` (`Transport::close`, ...).
    local: Rc<LocalQueue>,
    /// Next `IoSlot::serial`.
    io_serial: u64,
    /// Watches whose callbacks ran this iteration and must be re-armed
    /// after it (level-triggered semantics on an edge-triggered reactor).
    rearm: Vec<u32>,
    /// The mailbox that other threads and executor jobs post into.
    remote: Arc<Remote>,
    /// Spare buffer swapped with the mailbox, to keep its allocation.
    remote_buf: Vec<Box<dyn Runnable + Send>>,
    /// Worker threads for `run_in_executor`, started on first use.
    pool: Option<Pool>,
    /// Most worker threads.
    executor_cap: usize,
    /// Completion callbacks of executor jobs in flight, by job id.
    jobs: HashMap<u64, JobDone>,
    /// Next job id.
    next_job: u64,
    /// Set by `stop`; the run ends after the current iteration.
    stopping: bool,
    /// Inside a `run_*` method.
    running: bool,
    /// asyncio's debug mode: time every callback.
    debug: bool,
    /// Callbacks at least this slow are reported in debug mode.
    slow_threshold: Duration,
    /// Receives slow-callback reports; `None` prints to stderr.
    slow_hook: Option<SlowHook>,
    /// Receives panics and loop errors; `None` prints to stderr.
    exception_handler: Option<ExceptionHandler>,
    /// Counts `set_exception_handler` calls, so that a handler replaced
    /// while it runs is not put back afterwards.
    handler_epoch: u64,
    /// The callback running now: reported if it panics.
    current: (&'static Location<'static>, CallbackKind),
    /// This loop's id, carried by its handles.
    id: u32,
    /// This loop's half of every trace unit it records.
    source: trace::Source,
    /// The trace unit of the callback running now; 0 outside callbacks.
    current_unit: u64,
    /// The last trace unit handed out.
    next_unit: u64,
    /// Per-unit bookkeeping, used only while a recording runs.
    tr: tracing::TraceState,
}

impl EventLoop {
    /// A loop on the real clock.
    ///
    /// # Errors
    ///
    /// When the reactor cannot be created (for example `EMFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = simul_callback::EventLoop::new()?;
    /// assert!(!lp.is_running());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<EventLoop> {
        EventLoop::with_reactor(Reactor::new()?)
    }

    /// A loop on the given clock. Under [`Clock::new_virtual`], time moves
    /// only when the loop has nothing to do but wait for a timer: it then
    /// jumps to the timer's deadline at once.
    ///
    /// Work on other threads takes no virtual time: while a
    /// [`run_in_executor`](EventLoop::run_in_executor) job is running, the
    /// loop waits for it rather than jump, so its result arrives at the
    /// virtual instant it was asked for, however fast the machine is. (A
    /// job that itself waits for one of the loop's timers would wait for
    /// ever: on the virtual clock, charge time with
    /// [`Clock::block_for`] instead.)
    ///
    /// # Errors
    ///
    /// As [`EventLoop::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Clock;
    /// use std::time::Duration;
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// lp.call_later(Duration::from_secs(12 * 3600), |lp| lp.stop());
    /// lp.run_forever()?; // returns at once
    /// assert_eq!(lp.time().since_origin(), Duration::from_secs(12 * 3600));
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn with_clock(clock: Clock) -> io::Result<EventLoop> {
        EventLoop::with_reactor(Reactor::with_clock(clock)?)
    }

    /// A loop on an existing reactor.
    ///
    /// The loop registers fds in it with tokens of its own; do not
    /// register others in the same reactor.
    ///
    /// # Errors
    ///
    /// None at present; `io::Result` for symmetry with the other
    /// constructors.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::{Clock, Reactor};
    ///
    /// let lp = EventLoop::with_reactor(Reactor::with_clock(Clock::new_virtual())?)?;
    /// assert!(lp.clock().is_virtual());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_reactor(reactor: Reactor) -> io::Result<EventLoop> {
        let remote = Arc::new(Remote::new(reactor.notifier()));
        Ok(EventLoop {
            reactor,
            events: Events::with_capacity(256),
            ready: VecDeque::with_capacity(64),
            head_seq: 0,
            timers: TimerQueue::new(),
            fired: Vec::new(),
            timer_slots: Vec::new(),
            timer_free: Vec::new(),
            watches: Vec::new(),
            watch_free: Vec::new(),
            fd_index: HashMap::new(),
            streams: 0,
            signal_fds: HashMap::new(),
            read_buf: Vec::new(),
            local: Rc::new(LocalQueue::default()),
            io_serial: 0,
            rearm: Vec::new(),
            remote,
            remote_buf: Vec::new(),
            pool: None,
            executor_cap: std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            jobs: HashMap::new(),
            next_job: 0,
            stopping: false,
            running: false,
            debug: false,
            slow_threshold: DEFAULT_SLOW_CALLBACK,
            slow_hook: None,
            exception_handler: None,
            handler_epoch: 0,
            current: (Location::caller(), CallbackKind::CallSoon),
            id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
            source: trace::Source::next(),
            current_unit: 0,
            next_unit: 0,
            tr: tracing::TraceState::default(),
        })
    }

    // ----- time -------------------------------------------------------

    /// The current time on the loop's clock (asyncio's `loop.time()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::{Clock, Instant};
    /// let lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// assert_eq!(lp.time(), Instant::ZERO);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn time(&self) -> Instant {
        self.reactor.now()
    }

    /// The loop's clock: under the virtual clock, use
    /// [`Clock::block_for`] to simulate blocking work.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Clock;
    /// use std::time::Duration;
    /// let lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// lp.clock().block_for(Duration::from_secs(2));
    /// assert_eq!(lp.time().since_origin(), Duration::from_secs(2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clock(&self) -> &Clock {
        self.reactor.clock()
    }

    // ----- scheduling -------------------------------------------------

    /// Schedules `f` to run in the next iteration, after everything
    /// already scheduled (asyncio's `loop.call_soon`).
    ///
    /// Called from a callback, `f` does not run in the current iteration
    /// even if the ready queue is still being run: it waits for the next,
    /// after the loop has polled for I/O. A callback that reschedules
    /// itself therefore cannot starve I/O or timers.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::{cell::RefCell, rc::Rc};
    ///
    /// let mut lp = EventLoop::new()?;
    /// let trace = Rc::new(RefCell::new(Vec::new()));
    /// for name in ["a", "b", "c"] {
    ///     let t = trace.clone();
    ///     lp.call_soon(move |_| t.borrow_mut().push(name));
    /// }
    /// lp.call_soon(|lp| lp.stop());
    /// lp.run_forever()?;
    /// assert_eq!(*trace.borrow(), ["a", "b", "c"]);
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    #[inline]
    pub fn call_soon(&mut self, f: impl FnOnce(&mut EventLoop) + 'static) -> Handle {
        let location = Location::caller();
        let unit = self.adopt(location, Wait::Yield);
        let run = Call { f, location, tag: Tag::new(CallbackKind::CallSoon, unit) };
        let seq = self.push_ready(Box::new(run));
        Handle { loop_id: self.id, seq }
    }

    /// Schedules `f` to run `delay` from now (asyncio's `loop.call_later`).
    ///
    /// When it is due it joins the ready queue; timers due together run in
    /// deadline order, equal deadlines in the order they were scheduled. A
    /// zero delay runs in the next iteration, after the `call_soon`s
    /// already queued. A huge delay saturates and never fires on the real
    /// clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Clock;
    /// use std::{cell::RefCell, rc::Rc, time::Duration};
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// let trace = Rc::new(RefCell::new(Vec::new()));
    /// for (name, secs) in [("slow", 2), ("fast", 1)] {
    ///     let t = trace.clone();
    ///     let _ = lp.call_later(Duration::from_secs(secs), move |lp| {
    ///         t.borrow_mut().push((name, lp.time().since_origin().as_secs()));
    ///     });
    /// }
    /// lp.call_later(Duration::from_secs(3), |lp| lp.stop());
    /// lp.run_forever()?;
    /// assert_eq!(*trace.borrow(), [("fast", 1), ("slow", 2)]);
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn call_later(
        &mut self,
        delay: Duration,
        f: impl FnOnce(&mut EventLoop) + 'static,
    ) -> TimerHandle {
        let when = self.time().saturating_add(delay);
        let location = Location::caller();
        let unit = self.adopt(location, Wait::Timer(when));
        self.schedule_timer(
            when,
            Box::new(Call { f, location, tag: Tag::new(CallbackKind::Timer, unit) }),
        )
    }

    /// Schedules `f` to run at `when` on the loop's clock (asyncio's
    /// `loop.call_at`). A time in the past runs in the next iteration.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::{Clock, Instant};
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// let at = Instant::from_nanos(1_500_000_000);
    /// let _ = lp.call_at(at, move |lp| { assert_eq!(lp.time(), at); lp.stop() });
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn call_at(
        &mut self,
        when: Instant,
        f: impl FnOnce(&mut EventLoop) + 'static,
    ) -> TimerHandle {
        let location = Location::caller();
        let unit = self.adopt(location, Wait::Timer(when));
        self.schedule_timer(
            when,
            Box::new(Call { f, location, tag: Tag::new(CallbackKind::Timer, unit) }),
        )
    }

    /// A `Send + Sync` handle for other threads (asyncio's
    /// `call_soon_threadsafe` lives on it).
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = simul_callback::EventLoop::new()?;
    /// let h = lp.handle();
    /// std::thread::spawn(move || h.call_soon_threadsafe(|_| {})).join().unwrap()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn handle(&self) -> LoopHandle {
        LoopHandle { remote: self.remote.clone() }
    }

    #[inline]
    fn push_ready(&mut self, run: Box<dyn Runnable>) -> u64 {
        let seq = self.head_seq + self.ready.len() as u64;
        self.ready.push_back(Some(run));
        seq
    }

    fn schedule_timer(&mut self, when: Instant, run: Box<dyn Runnable>) -> TimerHandle {
        let slot = match self.timer_free.pop() {
            Some(slot) => slot,
            None => {
                self.timer_slots.push(TimerSlot { generation: 0, state: TimerState::Free });
                u32::try_from(self.timer_slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let key = self.timers.insert(when, TimerEntry { run, slot });
        let s = &mut self.timer_slots[slot as usize];
        s.state = TimerState::Pending(key);
        TimerHandle { loop_id: self.id, slot, generation: s.generation, when }
    }

    fn free_timer_slot(&mut self, slot: u32) {
        let s = &mut self.timer_slots[slot as usize];
        s.generation = s.generation.wrapping_add(1);
        s.state = TimerState::Free;
        self.timer_free.push(slot);
    }

    /// Cancels the ready-queue entry at `seq`; see [`Handle::cancel`].
    pub(crate) fn cancel_ready(&mut self, h: Handle) -> bool {
        if h.loop_id != self.id {
            return false;
        }
        self.cancel_seq(h.seq)
    }

    fn cancel_seq(&mut self, seq: u64) -> bool {
        let Some(index) = seq.checked_sub(self.head_seq) else { return false };
        let Some(entry) = usize::try_from(index).ok().and_then(|i| self.ready.get_mut(i)) else {
            return false;
        };
        // Dropped here, at once: asyncio also lets go of a cancelled
        // callback's references immediately.
        let Some(run) = entry.take() else { return false };
        if trace::enabled() {
            self.trace_cancelled(run.unit());
        }
        let (location, kind) = (run.location(), run.kind());
        self.drop_reporting(run, "a cancelled callback's destructor panicked", location, kind);
        true
    }

    /// See [`TimerHandle::cancel`].
    pub(crate) fn cancel_timer(&mut self, h: TimerHandle) -> bool {
        if h.loop_id != self.id {
            return false;
        }
        let Some(s) = self.timer_slots.get(h.slot as usize) else { return false };
        if s.generation != h.generation {
            return false;
        }
        match s.state {
            TimerState::Pending(key) => {
                let Some(t) = self.timers.cancel(key) else { return false };
                self.free_timer_slot(h.slot);
                if trace::enabled() {
                    self.trace_cancelled(t.run.unit());
                }
                let (location, kind) = (t.run.location(), t.run.kind());
                self.drop_reporting(
                    t,
                    "a cancelled callback's destructor panicked",
                    location,
                    kind,
                );
                true
            }
            // The slot is freed with the others of this iteration.
            TimerState::Queued(seq) => self.cancel_seq(seq),
            TimerState::Free => false,
        }
    }

    // ----- I/O callbacks ----------------------------------------------

    /// Calls `f` whenever `fd` is readable, until
    /// [`remove_reader`](EventLoop::remove_reader) (asyncio's
    /// `loop.add_reader`).
    ///
    /// The semantics are asyncio's *level-triggered* ones: as long as `fd`
    /// stays readable, `f` runs once per iteration, whether or not it read
    /// everything. (The reactor is edge-triggered; after `f` runs the loop
    /// re-arms `fd`, which reports it again if it is still ready.) An
    /// error or hang-up on `fd` also counts as readable, so that `f`'s
    /// read sees it. Adding a reader to an fd that has one replaces it.
    ///
    /// `fd` must stay open until it is removed; the loop never closes it.
    /// If it is closed while watched and its number then names a new file,
    /// `add_reader` (or `add_writer`) on that number drops the stale
    /// callbacks, reports them to the
    /// [exception handler](EventLoop::set_exception_handler), and watches
    /// the new file; callbacks already queued for the old file do not run.
    ///
    /// # Errors
    ///
    /// What [`Reactor::register`] says: `InvalidInput` for a negative fd,
    /// `PermissionDenied` for a regular file on Linux, the OS error for a
    /// closed one. The loop is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    ///
    /// let mut lp = EventLoop::new()?;
    /// let (mut rx, mut tx) = UnixStream::pair()?;
    /// rx.set_nonblocking(true)?;
    /// let fd = rx.as_raw_fd();
    /// lp.add_reader(fd, move |lp| {
    ///     let mut buf = [0; 16];
    ///     let n = rx.read(&mut buf).unwrap();
    ///     assert_eq!(&buf[..n], b"ping");
    ///     lp.remove_reader(fd);
    ///     lp.stop();
    /// })?;
    /// tx.write_all(b"ping")?;
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn add_reader(
        &mut self,
        fd: RawFd,
        f: impl FnMut(&mut EventLoop) + 'static,
    ) -> io::Result<()> {
        self.add_io(fd, Dir::Read, Box::new(f), Location::caller())
    }

    /// Calls `f` whenever `fd` is writable, until
    /// [`remove_writer`](EventLoop::remove_writer) (asyncio's
    /// `loop.add_writer`). Same semantics as
    /// [`add_reader`](EventLoop::add_reader).
    ///
    /// # Errors
    ///
    /// As [`add_reader`](EventLoop::add_reader).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    ///
    /// let mut lp = EventLoop::new()?;
    /// let (a, _b) = UnixStream::pair()?;
    /// let fd = a.as_raw_fd();
    /// // An empty socket buffer is writable at once.
    /// lp.add_writer(fd, move |lp| { lp.remove_writer(fd); lp.stop() })?;
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn add_writer(
        &mut self,
        fd: RawFd,
        f: impl FnMut(&mut EventLoop) + 'static,
    ) -> io::Result<()> {
        self.add_io(fd, Dir::Write, Box::new(f), Location::caller())
    }

    /// Stops calling the reader of `fd`; returns whether there was one.
    ///
    /// A reader already queued for this iteration does not run. If the fd
    /// has a writer it stays watched for writing; otherwise the loop
    /// deregisters it (and forgets it without complaint if it was closed
    /// already).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::os::fd::AsRawFd;
    ///
    /// let mut lp = EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// lp.add_reader(a.as_raw_fd(), |_| {})?;
    /// assert!(lp.remove_reader(a.as_raw_fd()));
    /// assert!(!lp.remove_reader(a.as_raw_fd()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove_reader(&mut self, fd: RawFd) -> bool {
        self.remove_io(fd, Dir::Read)
    }

    /// Stops calling the writer of `fd`; returns whether there was one.
    /// See [`remove_reader`](EventLoop::remove_reader).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::os::fd::AsRawFd;
    ///
    /// let mut lp = EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// lp.add_writer(a.as_raw_fd(), |_| {})?;
    /// assert!(lp.remove_writer(a.as_raw_fd()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove_writer(&mut self, fd: RawFd) -> bool {
        self.remove_io(fd, Dir::Write)
    }

    /// Calls `f` on the loop when the process receives `signal` (asyncio's
    /// `loop.add_signal_handler`, Unix only).
    ///
    /// The signal no longer has its default effect (`SIGINT` no longer
    /// ends the process) until the handler is removed. The signal handler
    /// itself only writes a byte to a pipe; `f` runs later, in an ordinary
    /// iteration, so it may do anything. Signals that arrive together are
    /// coalesced: `f` runs once for them. Adding a handler for a signal
    /// that has one replaces it.
    ///
    /// # Errors
    ///
    /// What [`Signals::new`] says: `InvalidInput` for `SIGKILL`, `SIGSTOP`
    /// and the fault signals; OS errors otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Signal;
    ///
    /// let mut lp = EventLoop::new()?;
    /// lp.add_signal_handler(Signal::USR1, |lp| {
    ///     println!("got SIGUSR1, stopping");
    ///     lp.stop();
    /// })?;
    /// Signal::USR1.raise()?;
    /// lp.run_forever()?;
    /// assert!(lp.remove_signal_handler(Signal::USR1));
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn add_signal_handler(
        &mut self,
        signal: Signal,
        mut f: impl FnMut(&mut EventLoop) + 'static,
    ) -> io::Result<()> {
        let location = Location::caller();
        self.remove_signal_handler(signal);
        let signals = Signals::new(&[signal])?;
        let fd = signals.as_raw_fd();
        let reader = move |lp: &mut EventLoop| match signals.pending() {
            Ok(arrived) if !arrived.is_empty() => f(lp),
            Ok(_) => {}
            Err(e) => {
                let mut ctx = ExceptionContext::new("reading the signal pipe failed");
                ctx.error = Some(e);
                lp.call_exception_handler(ctx);
            }
        };
        self.add_io(fd, Dir::Read, Box::new(reader), location)?;
        self.signal_fds.insert(signal.as_raw(), fd);
        Ok(())
    }

    /// Removes the handler of `signal` and gives the signal its previous
    /// effect back; returns whether there was one.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Signal;
    ///
    /// let mut lp = EventLoop::new()?;
    /// assert!(!lp.remove_signal_handler(Signal::USR2));
    /// lp.add_signal_handler(Signal::USR2, |_| {})?;
    /// assert!(lp.remove_signal_handler(Signal::USR2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove_signal_handler(&mut self, signal: Signal) -> bool {
        match self.signal_fds.remove(&signal.as_raw()) {
            // Dropping the reader drops its `Signals`, which restores the
            // previous disposition.
            Some(fd) => self.remove_reader(fd),
            None => false,
        }
    }

    fn token(&self, slot: u32) -> Token {
        let generation = self.watches[slot as usize].generation;
        Token(slot as usize | (generation << GENERATION_SHIFT))
    }

    fn watch_mut(&mut self, slot: u32) -> Option<&mut Watch> {
        match self.watches.get_mut(slot as usize)?.source.as_mut()? {
            Source::Fd(w) => Some(w),
            Source::Stream { .. } => None,
        }
    }

    fn add_io(
        &mut self,
        fd: RawFd,
        dir: Dir,
        f: IoCallback,
        location: &'static Location<'static>,
    ) -> io::Result<()> {
        self.io_serial += 1;
        let wait = match dir {
            Dir::Read => Wait::Readable(fd),
            Dir::Write => Wait::Writable(fd),
        };
        let mut io = IoSlot { f: Some(f), serial: self.io_serial, location, unit: 0 };
        let mut stale = None;
        if let Some(&slot) = self.fd_index.get(&fd) {
            let token = self.token(slot);
            let Some(w) = self.watch_mut(slot) else {
                return Err(io::Error::other("simul-callback: fd index out of sync"));
            };
            let interest = w.interest | dir.interest();
            // Always re-register: it also re-arms, so a replacement
            // callback hears about readiness that is already there.
            match self.reactor.reregister(fd, token, interest) {
                Ok(()) => {
                    io.unit = self.adopt(location, wait);
                    let Some(w) = self.watch_mut(slot) else { return Ok(()) };
                    w.interest = interest;
                    let old = w.io_mut(dir).replace(io);
                    if let Some(old) = old {
                        if trace::enabled() {
                            self.trace_cancelled(old.unit);
                        }
                        self.drop_io(old, dir, "a replaced");
                    }
                    return Ok(());
                }
                // The kernel does not know this (fd, file) pair: the
                // watched descriptor was closed without remove_reader /
                // remove_writer and its number now names another file.
                // The watch is stale: drop it (its slot's new generation
                // and the new callback's serial keep what was queued for
                // the old file from running) and watch the new file from
                // scratch below, rather than refuse it for the old one's
                // sake. Reported once the new watch is in place.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.drop_watch(slot);
                    stale = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        let slot = match self.watch_free.pop() {
            Some(slot) => slot,
            None => {
                if self.watches.len() >= HALF_MASK {
                    return Err(io::Error::other("simul-callback: too many watched fds"));
                }
                self.watches.push(WatchSlot { generation: 0, source: None });
                u32::try_from(self.watches.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let token = self.token(slot);
        if let Err(e) = self.reactor.register(fd, token, dir.interest()) {
            self.watch_free.push(slot);
            return Err(e);
        }
        io.unit = self.adopt(location, wait);
        let mut watch =
            Watch { fd, interest: dir.interest(), reader: None, writer: None, rearm: false };
        *watch.io_mut(dir) = Some(io);
        self.watches[slot as usize].source = Some(Source::Fd(watch));
        self.fd_index.insert(fd, slot);
        if let Some(e) = stale {
            let mut ctx = ExceptionContext::new(format!(
                "fd {fd} was closed before remove_reader/remove_writer and its number reused: \
                 its old callbacks are dropped, the new one watches the new file"
            ));
            ctx.error = Some(e);
            self.call_exception_handler(ctx);
        }
        Ok(())
    }

    fn remove_io(&mut self, fd: RawFd, dir: Dir) -> bool {
        let Some(&slot) = self.fd_index.get(&fd) else { return false };
        let token = self.token(slot);
        let Some(w) = self.watch_mut(slot) else { return false };
        let Some(io) = w.io_mut(dir).take() else { return false };
        let unit = io.unit;
        match w.interest.remove(dir.interest()) {
            Some(rest) => {
                w.interest = rest;
                if let Err(e) = self.reactor.reregister(fd, token, rest) {
                    self.drop_watch(slot);
                    self.report_io_error(fd, "re-registering it for the remaining callback", e);
                }
            }
            None => self.drop_watch(slot),
        }
        if trace::enabled() {
            self.trace_cancelled(unit);
        }
        self.drop_io(io, dir, "a removed");
        true
    }

    /// Drops a reader or writer callback, reporting a panic in its
    /// destructor; `what` says why it goes ("a removed", ...).
    fn drop_io(&mut self, io: IoSlot, dir: Dir, what: &str) {
        let message = format!("{what} {}'s destructor panicked", dir.name());
        let location = io.location;
        self.drop_reporting(io, &message, location, dir.kind());
    }

    /// Drops `value`, a user's callback, something it captured or a
    /// protocol, catching a panic in its destructor and reporting it to
    /// the [exception handler](EventLoop::set_exception_handler) (asyncio
    /// likewise reports an exception raised in `__del__` and goes on). The
    /// panic is the value's, not the fault of whoever let go of it: a
    /// `cancel`, a callback's end, the loop's drop.
    pub(crate) fn drop_reporting<T>(
        &mut self,
        value: T,
        message: &str,
        location: &'static Location<'static>,
        kind: CallbackKind,
    ) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
            self.report_destructor_panic(payload, message, location, kind);
        }
    }

    fn report_destructor_panic(
        &mut self,
        payload: Box<dyn Any + Send>,
        message: &str,
        location: &'static Location<'static>,
        kind: CallbackKind,
    ) {
        let mut ctx = ExceptionContext::new(message);
        ctx.location = Some(location);
        ctx.kind = Some(kind);
        ctx.payload = Some(payload);
        self.call_exception_handler(ctx);
    }

    /// Forgets a watch and deregisters its fd.
    fn drop_watch(&mut self, slot: u32) {
        let s = &mut self.watches[slot as usize];
        let Some(Source::Fd(w)) = s.source.take() else { return };
        s.generation = (s.generation + 1) & HALF_MASK;
        self.watch_free.push(slot);
        self.fd_index.remove(&w.fd);
        // Fails only when the fd was closed already, which removed it from
        // the kernel's interest list (or will, with its last duplicate).
        let _ = self.reactor.deregister(w.fd);
        self.drop_watch_callbacks(w, "a dropped");
    }

    /// Drops a watch's reader and writer, reporting panics in their
    /// destructors.
    fn drop_watch_callbacks(&mut self, w: Watch, what: &str) {
        let Watch { reader, writer, .. } = w;
        if let Some(io) = reader {
            self.drop_io(io, Dir::Read, what);
        }
        if let Some(io) = writer {
            self.drop_io(io, Dir::Write, what);
        }
    }

    /// Registers a transport or server for both directions,
    /// edge-triggered; returns its slot and its trace unit: the running
    /// callback's, or a new one when `fresh` (an accepted connection, like
    /// the task asyncio's `start_server` starts for each) or outside
    /// callbacks.
    pub(crate) fn register_stream(
        &mut self,
        fd: RawFd,
        source: Rc<dyn IoSource>,
        fresh: bool,
    ) -> io::Result<(u32, u64)> {
        let slot = match self.watch_free.pop() {
            Some(slot) => slot,
            None => {
                if self.watches.len() >= HALF_MASK {
                    return Err(io::Error::other("simul-callback: too many watched fds"));
                }
                self.watches.push(WatchSlot { generation: 0, source: None });
                u32::try_from(self.watches.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let token = self.token(slot);
        if let Err(e) = self.reactor.register(fd, token, Interest::BOTH) {
            self.watch_free.push(slot);
            return Err(e);
        }
        let (location, wait) = (source.location(), Wait::Readable(fd));
        let unit =
            if fresh { self.adopt_fresh(location, wait) } else { self.adopt(location, wait) };
        self.watches[slot as usize].source = Some(Source::Stream { source, unit, fd });
        self.streams += 1;
        Ok((slot, unit))
    }

    /// Deregisters a stream registered under `slot`; call before closing
    /// `fd`.
    pub(crate) fn deregister_stream(&mut self, slot: u32, fd: RawFd) {
        let Some(s) = self.watches.get_mut(slot as usize) else { return };
        let Some(Source::Stream { unit, .. }) = s.source.take() else { return };
        s.generation = (s.generation + 1) & HALF_MASK;
        self.watch_free.push(slot);
        self.streams -= 1;
        let _ = self.reactor.deregister(fd);
        if trace::enabled() {
            self.trace_cancelled(unit);
        }
    }

    /// Lends the transports' read buffer (at least `len` bytes).
    pub(crate) fn take_read_buf(&mut self, len: usize) -> Vec<u8> {
        let mut buf = mem::take(&mut self.read_buf);
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf
    }

    /// Takes the read buffer back.
    pub(crate) fn give_read_buf(&mut self, buf: Vec<u8>) {
        self.read_buf = buf;
    }

    /// Schedules `run` like `call_soon`, for loop-internal callers.
    pub(crate) fn push_soon(&mut self, run: Box<dyn Runnable>) {
        if trace::enabled() {
            self.trace_push(run.unit());
        }
        self.push_ready(run);
    }

    /// Schedules `f` at `when` in `unit` for loop-internal callers (a
    /// transport's read-timeout watchdog): counted as pending for the unit
    /// like any timer, but not what the running callback is said to wait
    /// for, so a transport's trace still shows it waiting on its socket.
    pub(crate) fn call_at_in(
        &mut self,
        unit: u64,
        when: Instant,
        location: &'static Location<'static>,
        f: impl FnOnce(&mut EventLoop) + 'static,
    ) -> TimerHandle {
        if trace::enabled() {
            self.trace_count(unit);
        }
        let run = Call { f, location, tag: Tag::new(CallbackKind::Timer, unit) };
        self.schedule_timer(when, Box::new(run))
    }

    /// The queue transports use to reach the loop from methods that do
    /// not receive it (`Transport::close`, ...).
    pub(crate) fn local(&self) -> Rc<LocalQueue> {
        self.local.clone()
    }

    fn report_io_error(&mut self, fd: RawFd, doing: &str, e: io::Error) {
        let mut ctx = ExceptionContext::new(format!(
            "fd {fd} stopped being watched: {doing} failed (was it closed before remove_reader/remove_writer?)"
        ));
        ctx.error = Some(e);
        self.call_exception_handler(ctx);
    }

    // ----- the executor -----------------------------------------------

    /// Runs `job` on a worker thread and, when it is done, `done` on the
    /// loop with its result (asyncio's `loop.run_in_executor`, with the
    /// future's done-callback written out).
    ///
    /// This is how blocking work (a blocking library call, heavy
    /// computation) leaves the loop free. The pool starts threads on
    /// demand, never more than [`set_executor_workers`] allows (default:
    /// the machine's available parallelism); extra jobs queue. A panic in
    /// `job` arrives in `done` as [`ExecutorError::Panicked`]; the worker
    /// survives. When the loop is dropped, queued jobs are dropped, idle
    /// workers exit at once and busy ones after their job; the drop does
    /// not wait for them.
    ///
    /// [`set_executor_workers`]: EventLoop::set_executor_workers
    ///
    /// # Errors
    ///
    /// When the OS refuses to start the first worker thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::{Deferred, EventLoop};
    ///
    /// let mut lp = EventLoop::new()?;
    /// let sum = Deferred::new();
    /// let s = sum.clone();
    /// lp.run_in_executor(|| (1..=100u64).sum::<u64>(), move |_, r| { s.set_result(r).unwrap(); })?;
    /// assert_eq!(lp.run_until_complete(&sum)?, Ok(5050));
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn run_in_executor<T: Send + 'static>(
        &mut self,
        job: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(&mut EventLoop, Result<T, ExecutorError>) + 'static,
    ) -> io::Result<()> {
        let location = Location::caller();
        let unit = self.adopt(location, Wait::Thread);
        let id = self.next_job;
        self.next_job += 1;
        let remote = self.remote.clone();
        let work: Job = Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(job))
                .map_err(|p| ExecutorError::Panicked(panic_text(&*p).to_string()));
            let call = Box::new(Call {
                f: move |lp: &mut EventLoop| lp.finish_job(id, Box::new(result)),
                location,
                tag: Tag::new(CallbackKind::Executor, unit),
            });
            // Fails only when the loop is gone: nobody wants the result,
            // which is dropped here, on the worker. A panic in its
            // destructor has nobody to be reported to; caught, it does not
            // end the worker (which is on its way out anyway).
            let _ = catch_unwind(AssertUnwindSafe(|| remote.post(call)));
        });
        let cap = self.executor_cap;
        self.pool.get_or_insert_with(|| Pool::new(cap)).submit(work)?;
        self.jobs.insert(
            id,
            Box::new(move |lp, result| {
                if let Ok(result) = result.downcast::<Result<T, ExecutorError>>() {
                    done(lp, *result);
                }
            }),
        );
        Ok(())
    }

    fn finish_job(&mut self, id: u64, result: Box<dyn Any + Send>) {
        if let Some(done) = self.jobs.remove(&id) {
            done(self, result);
        }
    }

    /// Sets the most worker threads `run_in_executor` may use (asyncio:
    /// `set_default_executor(ThreadPoolExecutor(max_workers=n))`).
    ///
    /// Lowering it below the running number makes the extra workers exit
    /// as they become idle.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let mut lp = simul_callback::EventLoop::new()?;
    /// lp.set_executor_workers(NonZeroUsize::new(2).unwrap());
    /// assert_eq!(lp.executor_workers(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_executor_workers(&mut self, cap: NonZeroUsize) {
        self.executor_cap = cap.get();
        if let Some(pool) = &self.pool {
            pool.set_cap(cap.get());
        }
    }

    /// The most worker threads `run_in_executor` may use.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = simul_callback::EventLoop::new()?;
    /// assert!(lp.executor_workers() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn executor_workers(&self) -> usize {
        self.executor_cap
    }

    /// How many worker threads are alive now (started lazily, so 0 until
    /// the first `run_in_executor`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = simul_callback::EventLoop::new()?;
    /// assert_eq!(lp.executor_threads(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn executor_threads(&self) -> usize {
        self.pool.as_ref().map_or(0, Pool::threads)
    }

    // ----- running ----------------------------------------------------

    /// Runs iterations until [`stop`](EventLoop::stop) is called (asyncio's
    /// `loop.run_forever`). The iteration in which `stop` was called runs
    /// to its end; callbacks it scheduled stay queued for the next run.
    ///
    /// # Errors
    ///
    /// * [`Error::Stalled`] when the loop would have to wait with nothing
    ///   that could ever wake it (asyncio would hang).
    /// * [`Error::AlreadyRunning`] when called from one of its callbacks.
    /// * [`Error::Io`] when the reactor fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// let mut lp = EventLoop::new()?;
    /// lp.call_soon(|lp| {
    ///     assert!(lp.is_running());
    ///     assert!(matches!(lp.run_forever(), Err(simul_callback::Error::AlreadyRunning)));
    ///     lp.stop();
    /// });
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn run_forever(&mut self) -> Result<(), Error> {
        self.run_until(|_| false).or_else(|e| match e {
            Error::Stopped => Ok(()),
            e => Err(e),
        })
    }

    /// Runs iterations until `done` returns true, checking it before the
    /// first iteration and after each.
    ///
    /// # Errors
    ///
    /// As [`run_forever`](EventLoop::run_forever), and [`Error::Stopped`]
    /// when [`stop`](EventLoop::stop) ends the run first.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Clock;
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// let ticks = Rc::new(Cell::new(0));
    /// fn tick(lp: &mut EventLoop, ticks: Rc<Cell<u32>>) {
    ///     ticks.set(ticks.get() + 1);
    ///     lp.call_later(Duration::from_secs(1), move |lp| tick(lp, ticks));
    /// }
    /// let t = ticks.clone();
    /// lp.call_soon(move |lp| tick(lp, t));
    /// lp.run_until(|_| ticks.get() == 5)?;
    /// assert_eq!(lp.time().since_origin(), Duration::from_secs(4));
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn run_until(&mut self, mut done: impl FnMut(&mut EventLoop) -> bool) -> Result<(), Error> {
        if self.running {
            return Err(Error::AlreadyRunning);
        }
        self.running = true;
        let result = (|| loop {
            if done(self) {
                return Ok(());
            }
            self.run_once()?;
            if self.stopping {
                return if done(self) { Ok(()) } else { Err(Error::Stopped) };
            }
        })();
        self.running = false;
        self.stopping = false;
        result
    }

    /// Runs iterations until `result` has a value, and returns it
    /// (asyncio's `loop.run_until_complete(future)`).
    ///
    /// # Errors
    ///
    /// As [`run_until`](EventLoop::run_until), and [`Error::Taken`] when
    /// someone else took the value first.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::{Deferred, EventLoop};
    /// let mut lp = EventLoop::new()?;
    /// let d = Deferred::new();
    /// let d2 = d.clone();
    /// lp.call_soon(move |_| { d2.set_result("done").unwrap(); });
    /// assert_eq!(lp.run_until_complete(&d)?, "done");
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn run_until_complete<T>(&mut self, result: &Deferred<T>) -> Result<T, Error> {
        self.run_until(|_| result.is_done())?;
        result.take().ok_or(Error::Taken)
    }

    /// Asks the running loop to stop after the current iteration (asyncio's
    /// `loop.stop`). Called before a run, that run does one iteration.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// let mut lp = EventLoop::new()?;
    /// let later = Rc::new(Cell::new(false));
    /// let l = later.clone();
    /// lp.call_soon(move |lp| {
    ///     lp.stop();
    ///     lp.call_soon(move |_| l.set(true)); // next iteration: not in this run
    /// });
    /// lp.run_forever()?;
    /// assert!(!later.get());
    /// lp.stop();
    /// lp.run_forever()?; // one iteration: runs it
    /// assert!(later.get());
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn stop(&mut self) {
        self.stopping = true;
    }

    /// Whether a `run_*` method is executing.
    ///
    /// # Examples
    ///
    /// ```
    /// let lp = simul_callback::EventLoop::new()?;
    /// assert!(!lp.is_running());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Whether anything outside the loop could still wake it: a watched
    /// fd, an executor job or a [`LoopHandle`] (each holds the mailbox).
    fn may_wake(&self) -> bool {
        !self.fd_index.is_empty() || self.streams > 0 || Arc::strong_count(&self.remote) > 1
    }

    /// One iteration: see the diagram in the crate docs.
    fn run_once(&mut self) -> Result<(), Error> {
        // 0. Calls queued by transports without access to the loop.
        if self.local.has_calls() {
            for run in self.local.take() {
                self.push_soon(run);
            }
        }
        // 1. How long may we wait?
        let mut deadline = if !self.ready.is_empty() || self.stopping {
            Some(Instant::ZERO)
        } else if !self.jobs.is_empty() && self.reactor.clock().is_virtual() {
            // Executor jobs take no virtual time: wait for them (their
            // results come through the notifier) before the clock may
            // jump to the next timer.
            None
        } else {
            self.timers.next_deadline()
        };
        if deadline.is_none() && !self.may_wake() {
            // Last chance: calls posted by handles that are gone now.
            self.take_remote();
            if self.ready.is_empty() {
                return Err(Error::Stalled);
            }
            deadline = Some(Instant::ZERO);
        }
        // 2. Wait.
        self.reactor.poll(&mut self.events, deadline)?;
        // 3. Calls from other threads.
        if self.events.woken() {
            self.take_remote();
        }
        // 4. I/O callbacks whose fds were reported.
        for ev in self.events.iter() {
            let token = ev.token().0;
            let slot = (token & HALF_MASK) as u32;
            let Some(s) = self.watches.get(slot as usize) else { continue };
            if s.generation != token >> GENERATION_SHIFT {
                continue; // stale: the watch is gone (and its slot maybe reused)
            }
            let broken = ev.is_error();
            let w = match &s.source {
                Some(Source::Fd(w)) => w,
                Some(Source::Stream { source, unit, fd }) => {
                    let readiness = Readiness {
                        readable: ev.is_readable() || ev.is_read_closed(),
                        writable: ev.is_writable() || ev.is_write_closed(),
                        short_read_drains: ev.short_read_drains(),
                        broken,
                    };
                    let (source, unit, fd) = (source.clone(), *unit, *fd);
                    if trace::enabled() {
                        self.trace_woken(unit);
                    }
                    let run = StreamReady { source, readiness, unit, fd };
                    self.ready.push_back(Some(Box::new(run)));
                    continue;
                }
                None => continue,
            };
            if (ev.is_readable() || ev.is_read_closed() || broken)
                && let Some(io) = &w.reader
            {
                let (serial, location, unit) = (io.serial, io.location, io.unit);
                if trace::enabled() {
                    self.trace_woken(unit);
                }
                self.ready.push_back(Some(Box::new(IoReady {
                    slot,
                    serial,
                    dir: Dir::Read,
                    location,
                    unit,
                })));
            }
            if (ev.is_writable() || ev.is_write_closed() || broken)
                && let Some(io) = &w.writer
            {
                let (serial, location, unit) = (io.serial, io.location, io.unit);
                if trace::enabled() {
                    self.trace_woken(unit);
                }
                self.ready.push_back(Some(Box::new(IoReady {
                    slot,
                    serial,
                    dir: Dir::Write,
                    location,
                    unit,
                })));
            }
        }
        // 5. Due timers, in deadline order (ties: scheduling order).
        let now = self.reactor.now();
        while let Some((_, t)) = self.timers.pop_due(now) {
            if trace::enabled() {
                self.trace_woken(t.run.unit());
            }
            let seq = self.push_ready(t.run);
            self.timer_slots[t.slot as usize].state = TimerState::Queued(seq);
            self.fired.push(t.slot);
        }
        // 6. Run what is queued now; what these callbacks schedule waits.
        let todo = self.ready.len();
        self.run_ready(todo);
        // Give back room a past burst left behind, but not room this turn
        // used: a loop that runs a million callbacks a turn keeps its
        // queue (regrowing it every turn doubled the cost of `call_soon`).
        let cap = self.ready.capacity();
        if cap > QUEUE_KEEP && cap / 4 > todo.max(self.ready.len()) {
            self.ready.shrink_to(QUEUE_KEEP.max(2 * todo));
        }
        let mut fired = mem::take(&mut self.fired);
        for slot in fired.drain(..) {
            self.free_timer_slot(slot);
        }
        self.fired = fired;
        // 7. Re-arm the fds whose callbacks ran (level-triggered).
        if !self.rearm.is_empty() {
            self.rearm_watches();
        }
        Ok(())
    }

    fn take_remote(&mut self) {
        let mut calls = mem::take(&mut self.remote_buf);
        self.remote.take(&mut calls);
        for mut call in calls.drain(..) {
            match call.unit() {
                // call_soon_threadsafe: a new chain, like a callback
                // scheduled from outside any callback.
                0 => {
                    let unit = self.adopt_fresh(call.location(), Wait::Yield);
                    call.set_unit(unit);
                }
                // An executor job's result: its unit is ready again.
                unit if trace::enabled() => self.trace_woken(unit),
                _ => {}
            }
            self.push_ready(call);
        }
        // The buffer goes back to the mailbox at the next take: keep it
        // from holding a burst's worth of room between bursts.
        calls.shrink_to(QUEUE_KEEP);
        self.remote_buf = calls;
    }

    /// Runs `todo` entries from the front of the ready queue.
    ///
    /// Panics are caught once per *batch*, not per callback: when nothing
    /// panics this costs nothing per callback. After a panic the loop
    /// reports it and resumes the batch with the next entry (each entry
    /// leaves the queue before it runs, so the queue is never
    /// inconsistent).
    fn run_ready(&mut self, mut todo: usize) {
        while todo > 0 {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.run_batch(&mut todo))) {
                let (location, kind) = self.current;
                self.report_panic(payload, location, kind);
            }
        }
        // Whatever runs between iterations (run_until's test, the code
        // around the run) is outside every unit.
        self.current_unit = 0;
    }

    fn run_batch(&mut self, todo: &mut usize) {
        while *todo > 0 {
            *todo -= 1;
            let Some(entry) = self.ready.pop_front() else {
                *todo = 0;
                return;
            };
            self.head_seq += 1;
            if self.debug {
                self.run_timed(entry);
            } else {
                self.run_entry(entry);
            }
            if trace::enabled() {
                self.trace_end();
            }
        }
    }

    #[inline]
    fn run_entry(&mut self, entry: Work) {
        if let Some(run) = entry {
            run.run(self);
        }
    }

    /// Debug mode: runs `entry` and reports it if it was slow.
    fn run_timed(&mut self, entry: Work) {
        let Some(run) = entry else { return };
        let (location, kind) = (run.location(), run.kind());
        let start = self.reactor.now();
        run.run(self);
        let duration = self.reactor.now().saturating_duration_since(start);
        if duration >= self.slow_threshold {
            let report = SlowCallback { location, kind, duration };
            match &mut self.slow_hook {
                Some(hook) => hook(&report),
                None => {
                    let _ = writeln!(io::stderr(), "simul-callback: {report}");
                }
            }
        }
    }

    fn run_io(&mut self, slot: u32, serial: u64, dir: Dir, location: &'static Location<'static>) {
        let Some(w) = self.watch_mut(slot) else { return };
        let fd = w.fd;
        let Some(io) = w.io_mut(dir) else { return };
        if io.serial != serial {
            return; // replaced or removed since the event was seen
        }
        let Some(mut f) = io.f.take() else { return };
        let kind = dir.kind();
        let unit = io.unit;
        let wait = Some(match dir {
            Dir::Read => Wait::Readable(fd),
            Dir::Write => Wait::Writable(fd),
        });
        self.enter(location, kind, unit, false, wait);
        // Caught here, not only per batch, so that the callback goes back
        // into its watch even when it panicked: asyncio keeps a reader
        // that raised.
        let result = catch_unwind(AssertUnwindSafe(|| f(self)));
        if let Some(w) = self.watch_mut(slot) {
            let rearm = !w.rearm;
            if let Some(io) = w.io_mut(dir)
                && io.serial == serial
            {
                io.f = Some(f);
                w.rearm = true;
                if rearm {
                    self.rearm.push(slot);
                }
            }
        }
        if let Err(payload) = result {
            self.report_panic(payload, location, kind);
        }
    }

    fn rearm_watches(&mut self) {
        let mut slots = mem::take(&mut self.rearm);
        for &slot in &slots {
            let token = self.token(slot);
            let Some(w) = self.watch_mut(slot) else { continue };
            if !w.rearm {
                continue;
            }
            w.rearm = false;
            let (fd, interest) = (w.fd, w.interest);
            if let Err(e) = self.reactor.reregister(fd, token, interest) {
                self.drop_watch(slot);
                self.report_io_error(fd, "re-arming it after its callback ran", e);
            }
        }
        slots.clear();
        self.rearm = slots;
    }

    // ----- errors and debug mode --------------------------------------

    fn report_panic(
        &mut self,
        payload: Box<dyn Any + Send>,
        location: &'static Location<'static>,
        kind: CallbackKind,
    ) {
        if trace::enabled() {
            self.trace_panicked();
        }
        // The handler runs outside every unit: what it schedules starts
        // new ones.
        self.current_unit = 0;
        let mut ctx = ExceptionContext::new("a callback panicked");
        ctx.location = Some(location);
        ctx.kind = Some(kind);
        ctx.payload = Some(payload);
        self.call_exception_handler(ctx);
    }

    /// Sets the function that receives panics of callbacks and errors of
    /// the loop (asyncio's `loop.set_exception_handler`). It may use the
    /// loop, for example to stop it.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// let mut lp = EventLoop::new()?;
    /// // Treat any panic as fatal for the run, but not for the process.
    /// lp.set_exception_handler(|lp, _ctx| lp.stop());
    /// lp.call_soon(|_| panic!("bad input"));
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn set_exception_handler(
        &mut self,
        handler: impl FnMut(&mut EventLoop, ExceptionContext) + 'static,
    ) {
        self.exception_handler = Some(Box::new(handler));
        self.handler_epoch += 1;
    }

    /// Goes back to the default exception handler, which prints the
    /// context to stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = simul_callback::EventLoop::new()?;
    /// lp.set_exception_handler(|_, _| {});
    /// lp.reset_exception_handler();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reset_exception_handler(&mut self) {
        self.exception_handler = None;
        self.handler_epoch += 1;
    }

    /// Hands `ctx` to the exception handler (asyncio's
    /// `loop.call_exception_handler`). A panic in the handler itself is
    /// caught and printed to stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::{EventLoop, ExceptionContext};
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// let mut lp = EventLoop::new()?;
    /// let calls = Rc::new(Cell::new(0));
    /// let c = calls.clone();
    /// lp.set_exception_handler(move |_, _| c.set(c.get() + 1));
    /// lp.call_exception_handler(ExceptionContext::new("something odd"));
    /// assert_eq!(calls.get(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn call_exception_handler(&mut self, ctx: ExceptionContext) {
        let Some(mut handler) = self.exception_handler.take() else {
            default_exception_handler(&ctx);
            return;
        };
        let epoch = self.handler_epoch;
        let result = catch_unwind(AssertUnwindSafe(|| handler(self, ctx)));
        if self.handler_epoch == epoch {
            self.exception_handler = Some(handler);
        }
        if let Err(p) = result {
            let _ = writeln!(
                io::stderr(),
                "simul-callback: the exception handler itself panicked: {}",
                panic_text(&*p)
            );
        }
    }

    /// Turns asyncio's debug mode on or off (off by default). In debug
    /// mode every callback is timed on the loop's clock, and one that runs
    /// at least the [slow-callback duration] is reported to the
    /// [slow-callback hook] with where it was scheduled from.
    ///
    /// [slow-callback duration]: EventLoop::set_slow_callback_duration
    /// [slow-callback hook]: EventLoop::set_slow_callback_hook
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = simul_callback::EventLoop::new()?;
    /// lp.set_debug(true);
    /// assert!(lp.debug());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_debug(&mut self, on: bool) {
        self.debug = on;
    }

    /// Whether debug mode is on.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!simul_callback::EventLoop::new()?.debug());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn debug(&self) -> bool {
        self.debug
    }

    /// Sets the debug-mode threshold (default 100 ms, asyncio's
    /// `loop.slow_callback_duration`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut lp = simul_callback::EventLoop::new()?;
    /// lp.set_slow_callback_duration(Duration::from_millis(10));
    /// assert_eq!(lp.slow_callback_duration(), Duration::from_millis(10));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_slow_callback_duration(&mut self, threshold: Duration) {
        self.slow_threshold = threshold;
    }

    /// The debug-mode threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let lp = simul_callback::EventLoop::new()?;
    /// assert_eq!(lp.slow_callback_duration(), Duration::from_millis(100));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn slow_callback_duration(&self) -> Duration {
        self.slow_threshold
    }

    /// Sets what receives slow-callback reports in debug mode (default: a
    /// line on stderr, like asyncio's warning "Executing <Handle ...> took
    /// 4.000 seconds").
    ///
    /// # Examples
    ///
    /// See [`SlowCallback`].
    pub fn set_slow_callback_hook(&mut self, hook: impl FnMut(&SlowCallback) + 'static) {
        self.slow_hook = Some(Box::new(hook));
    }
}

/// What the default exception handler does: one line on stderr.
fn default_exception_handler(ctx: &ExceptionContext) {
    let _ = writeln!(io::stderr(), "simul-callback: {ctx}");
}

/// A panic payload's message, as far as it is a string.
fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>")
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.id)
            .field("clock", self.reactor.clock())
            .field("ready", &self.ready.len())
            .field("timers", &self.timers.len())
            .field("watched_fds", &self.fd_index.len())
            .field("executor_jobs", &self.jobs.len())
            .field("running", &self.running)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

impl Drop for EventLoop {
    /// Drops everything the loop holds: queued and pending callbacks,
    /// readers and writers, calls posted from other threads, executor
    /// jobs not started and the done callbacks of those running,
    /// transports, servers and their protocols. Each is dropped here, on
    /// the loop's thread, once; a destructor that panics is reported to
    /// the exception handler like a panicking callback and the drop goes
    /// on, so no panic escapes it.
    fn drop(&mut self) {
        const MESSAGE: &str = "a destructor panicked while the loop was dropped";
        // Refuse further calls from other threads, and drop the queued ones
        // here rather than leaving them to whichever thread drops last.
        // Transports and servers: protocols may hold their transports, and
        // queued follow-ups hold connections; break those cycles, and
        // refuse follow-ups from handles kept past the loop.
        let mut remote = self.remote.close();
        let mut local = self.local.close();
        // Queued jobs are dropped, workers told to exit; nobody waits.
        let mut jobs = self.pool.take().map(|mut pool| pool.shut_down()).unwrap_or_default();
        // A report may schedule more (the handler gets the loop): go on
        // until a round finds nothing.
        loop {
            let mut found = false;
            for call in remote.drain(..) {
                found = true;
                let (location, kind) = (call.location(), call.kind());
                self.drop_reporting(call, MESSAGE, location, kind);
            }
            for call in local.drain(..) {
                found = true;
                let (location, kind) = (call.location(), call.kind());
                self.drop_reporting(call, MESSAGE, location, kind);
            }
            for job in jobs.drain(..) {
                found = true;
                self.drop_reporting(job, MESSAGE, self.current.0, CallbackKind::Executor);
            }
            while let Some(entry) = self.ready.pop_front() {
                found = true;
                if let Some(run) = entry {
                    let (location, kind) = (run.location(), run.kind());
                    self.drop_reporting(run, MESSAGE, location, kind);
                }
            }
            while let Some((_, t)) = self.timers.pop_due(Instant::MAX) {
                found = true;
                let (location, kind) = (t.run.location(), t.run.kind());
                self.drop_reporting(t, MESSAGE, location, kind);
            }
            for (_, done) in mem::take(&mut self.jobs) {
                found = true;
                self.drop_reporting(done, MESSAGE, self.current.0, CallbackKind::Executor);
            }
            self.fd_index.clear();
            for slot in 0..self.watches.len() {
                match self.watches[slot].source.take() {
                    Some(Source::Fd(w)) => {
                        found = true;
                        let _ = self.reactor.deregister(w.fd);
                        self.drop_watch_callbacks(w, "while the loop was dropped, a");
                    }
                    Some(Source::Stream { source, .. }) => {
                        found = true;
                        let location = source.location();
                        // Drops the protocol, or a server's factory.
                        let shutdown = catch_unwind(AssertUnwindSafe(|| source.shutdown()));
                        if let Err(payload) = shutdown {
                            let kind = CallbackKind::Transport;
                            self.report_destructor_panic(payload, MESSAGE, location, kind);
                        }
                        self.drop_reporting(source, MESSAGE, location, CallbackKind::Transport);
                    }
                    None => {}
                }
            }
            remote = self.remote.close();
            local = self.local.close();
            if !found && remote.is_empty() && local.is_empty() {
                break;
            }
        }
    }
}

/// A loop-local `call_soon` for code that holds no `&mut EventLoop`:
/// transports queue their follow-ups here, and the loop moves them to its
/// ready queue at the start of the next iteration.
#[derive(Default)]
pub(crate) struct LocalQueue {
    /// Calls in the order they were queued.
    calls: RefCell<Vec<Box<dyn Runnable>>>,
    /// The loop is gone: nothing would ever run a call.
    closed: Cell<bool>,
}

impl LocalQueue {
    /// Queues `run`; drops it at once when the loop is gone. (Kept, it
    /// would never run, and since calls hold their transport or server,
    /// which holds this queue, neither would ever be freed.)
    pub(crate) fn push(&self, run: Box<dyn Runnable>) {
        if self.closed.get() {
            drop(run);
            return;
        }
        self.calls.borrow_mut().push(run);
    }

    /// The loop is being dropped: hands back what is queued and refuses
    /// every later call.
    fn close(&self) -> Vec<Box<dyn Runnable>> {
        self.closed.set(true);
        self.take()
    }

    fn has_calls(&self) -> bool {
        !self.calls.borrow().is_empty()
    }

    fn take(&self) -> Vec<Box<dyn Runnable>> {
        std::mem::take(&mut *self.calls.borrow_mut())
    }
}
