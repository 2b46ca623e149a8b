//! Tracing: one record of what every scheduler did, in one event model.
//!
//! Every simul style runs *units* of work: a chain of callbacks, a
//! coroutine, a task, a green thread. Whatever the style, a unit goes
//! through the same life, and that life is what a timeline draws:
//!
//! ```text
//!              Created
//!                 |
//!                 v
//!   +------> Running ----- Blocked(d) ----+   blocking work charged to the
//!   |        |  |  |  <-------------------+   loop while this unit runs
//!   |        |  |  +--> Finished | Cancelled | Panicked
//!   |        |  v
//!   |        | Suspended(Wait) --- Woken ---+
//!   |        |       (a timer, an fd, a      |
//!   +--------+-------- join, a queue, ...)  <+
//! ```
//!
//! The schedulers (and the reactor, for its own idle waits and for
//! [`Clock::block_for`]) report these steps with [`record`]. Nothing is
//! kept unless a [`Recording`] is running on the calling thread, and then
//! every step lands in it with its time on the scheduler's clock.
//!
//! # Off, and then free
//!
//! [`record`] first loads one process-wide counter of running recordings
//! (a plain load, no thread-local access, no clock read) and returns when
//! it is zero. A scheduler built with tracing compiled in and no recording
//! running pays that one load and a not-taken branch per step; the
//! benchmarks of each style measure it (see each crate's benches).
//!
//! # Units and names
//!
//! A [`Unit`] is a scheduler's own id for the unit (a task number, a
//! coroutine's [`TaskId`](https://docs.rs/simul-coro), a green thread's
//! number) paired with a [`Source`]: one per scheduler instance, so two
//! runtimes on one thread never mix their units. Names are optional: a
//! scheduler may give a default ([`name`]), and user code may rename the
//! unit it runs in ([`name_current`]): `board 3`, `groceries`.
//!
//! # Examples
//!
//! ```
//! use simul_reactor::trace::{self, Recording, Source, TraceKind, Unit};
//! use simul_reactor::Clock;
//! use std::time::Duration;
//!
//! let clock = Clock::new_virtual();
//! let unit = Unit::new(Source::next(), 1);
//! let recording = Recording::start()?;
//! trace::record(&clock, unit, TraceKind::Created);
//! trace::name(unit, "nap");
//! trace::record(&clock, unit, TraceKind::Running);
//! clock.block_for(Duration::from_secs(4)); // recorded as Blocked, charged to `nap`
//! trace::record(&clock, unit, TraceKind::Finished);
//! let trace = recording.finish();
//!
//! let kinds: Vec<TraceKind> = trace.events().iter().map(|e| e.kind).collect();
//! assert_eq!(
//!     kinds,
//!     [TraceKind::Created, TraceKind::Running, TraceKind::Blocked(Duration::from_secs(4)), TraceKind::Finished]
//! );
//! assert_eq!(trace.name(unit), "nap");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use crate::{Clock, Instant};

/// How many recordings run, on all threads. [`record`] reads only this
/// when nothing records.
static RECORDINGS: AtomicUsize = AtomicUsize::new(0);

/// The next [`Source`] number; 0 is the reactor's own.
static NEXT_SOURCE: AtomicU32 = AtomicU32::new(1);

thread_local! {
    /// The recording running on this thread, if any.
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
    /// Whether `RECORDER` is `Some`: checked without borrowing it.
    static ON: Cell<bool> = const { Cell::new(false) };
}

/// One scheduler instance, as the first half of a [`Unit`].
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::Source;
/// assert_ne!(Source::next(), Source::next());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source(u32);

impl Source {
    /// The reactor itself: the loop's own lane ([`Unit::LOOP`]).
    pub const REACTOR: Source = Source(0);

    /// A new source, never handed out before in this process.
    ///
    /// # Examples
    /// See [`Source`].
    pub fn next() -> Source {
        // Relaxed: only uniqueness matters. Wrapping after 4 billion
        // schedulers would reuse numbers, not break memory safety.
        Source(NEXT_SOURCE.fetch_add(1, Ordering::Relaxed))
    }
}

/// A unit of work as the trace knows it: a scheduler ([`Source`]) and that
/// scheduler's own id for the unit.
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{Source, Unit};
/// let s = Source::next();
/// assert_eq!(Unit::new(s, 7).local(), 7);
/// assert_ne!(Unit::new(s, 7), Unit::new(Source::next(), 7));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Unit {
    /// Which scheduler.
    source: Source,
    /// The scheduler's id for it.
    local: u64,
}

impl Unit {
    /// The event loop itself: the reactor records its idle waits here,
    /// and blocking work done outside any unit is charged here.
    pub const LOOP: Unit = Unit { source: Source::REACTOR, local: 0 };

    /// The unit `local` of scheduler `source`.
    ///
    /// # Examples
    /// See [`Unit`].
    pub const fn new(source: Source, local: u64) -> Unit {
        Unit { source, local }
    }

    /// The scheduler's own id for the unit.
    ///
    /// # Examples
    /// See [`Unit`].
    pub const fn local(self) -> u64 {
        self.local
    }

    /// The scheduler it belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Source, Unit};
    /// assert_eq!(Unit::LOOP.source(), Source::REACTOR);
    /// ```
    pub const fn source(self) -> Source {
        self.source
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Unit::LOOP { f.write_str("loop") } else { write!(f, "#{}", self.local) }
    }
}

/// What a suspended unit waits for.
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::Wait;
/// assert_eq!(Wait::Readable(3).to_string(), "fd 3 readable");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// The clock to reach this instant (a sleep, a timeout, `call_later`).
    Timer(Instant),
    /// A descriptor to become readable.
    Readable(RawFd),
    /// A descriptor to become writable.
    Writable(RawFd),
    /// Nothing: it yielded and is ready again at once (`sleep(0)`).
    Yield,
    /// Another unit to finish.
    Join,
    /// A queue, channel, lock, semaphore or event: another unit's action.
    Sync,
    /// Work running on another thread (an executor pool, a blocking job).
    Thread,
    /// The reactor: a poll for readiness, blocking until the deadline if
    /// there is one (the loop's lane only).
    Poll(Option<Instant>),
    /// The scheduler did not learn what (a future returned `Pending`
    /// without telling).
    Unknown,
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::Timer(t) => write!(f, "timer at {t}"),
            Wait::Readable(fd) => write!(f, "fd {fd} readable"),
            Wait::Writable(fd) => write!(f, "fd {fd} writable"),
            Wait::Yield => f.write_str("yield"),
            Wait::Join => f.write_str("join"),
            Wait::Sync => f.write_str("another unit"),
            Wait::Thread => f.write_str("another thread"),
            Wait::Poll(Some(t)) => write!(f, "poll until {t}"),
            Wait::Poll(None) => f.write_str("poll"),
            Wait::Unknown => f.write_str("something"),
        }
    }
}

/// What happened to a unit, in a [`TraceEvent`].
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{TraceKind, Wait};
/// assert!(TraceKind::Finished.is_end());
/// assert!(!TraceKind::Suspended(Wait::Yield).is_end());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// It was created (spawned, scheduled) and is ready to run.
    Created,
    /// It starts (or resumes) running on the loop.
    Running,
    /// It stopped running until what it waits for happens.
    Suspended(Wait),
    /// What it waited for happened: it is ready, not yet running.
    Woken,
    /// While it ran, this much blocking work was charged to the loop
    /// ([`Clock::block_for`]): nothing else could run meanwhile.
    Blocked(Duration),
    /// It returned.
    Finished,
    /// It was cancelled (aborted, killed) before finishing.
    Cancelled,
    /// It panicked.
    Panicked,
}

impl TraceKind {
    /// Whether the unit's life ends here.
    ///
    /// # Examples
    /// See [`TraceKind`].
    pub const fn is_end(self) -> bool {
        matches!(self, TraceKind::Finished | TraceKind::Cancelled | TraceKind::Panicked)
    }
}

/// One step of one unit, at a time on its scheduler's clock.
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{TraceEvent, TraceKind, Unit};
/// use simul_reactor::Instant;
/// let e = TraceEvent { at: Instant::ZERO, unit: Unit::LOOP, kind: TraceKind::Running };
/// assert_eq!(e.kind, TraceKind::Running);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// When, on the clock of the scheduler that recorded it.
    pub at: Instant,
    /// Which unit.
    pub unit: Unit,
    /// What happened.
    pub kind: TraceKind,
}

/// The state of one thread's recording.
struct Recorder {
    /// The events so far, in the order they were recorded.
    events: Vec<TraceEvent>,
    /// Names given with [`name`] / [`name_current`]; the last one wins.
    names: HashMap<Unit, Cow<'static, str>>,
    /// The unit between its `Running` and its next step off the loop, for
    /// [`current`] and for charging [`Clock::block_for`].
    current: Option<Unit>,
    /// At most this many events are kept.
    limit: usize,
    /// Events past `limit`, counted, not kept.
    dropped: u64,
}

/// A recording of every traced step on this thread, from [`start`] to
/// [`finish`] (or drop, which discards it).
///
/// One recording runs per thread at a time. It is not `Send`: the steps it
/// collects are this thread's.
///
/// [`start`]: Recording::start
/// [`finish`]: Recording::finish
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::Recording;
/// let r = Recording::start()?;
/// assert!(Recording::start().is_err(), "one per thread");
/// assert!(r.finish().events().is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a recording stops when dropped"]
pub struct Recording {
    /// Thread-bound.
    _not_send: PhantomData<*const ()>,
}

impl Recording {
    /// How many events [`Recording::start`] keeps: 4 Mi (about 128 MiB).
    pub const DEFAULT_LIMIT: usize = 1 << 22;

    /// Starts recording on this thread, keeping up to
    /// [`DEFAULT_LIMIT`](Recording::DEFAULT_LIMIT) events.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if this thread is already recording.
    ///
    /// # Examples
    /// See [`Recording`].
    pub fn start() -> io::Result<Recording> {
        Recording::with_limit(Recording::DEFAULT_LIMIT)
    }

    /// Starts recording on this thread, keeping at most `limit` events
    /// (the rest are counted in [`Trace::dropped`]).
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if this thread is already recording.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{self, Recording, Source, TraceKind, Unit};
    /// let clock = simul_reactor::Clock::new_virtual();
    /// let r = Recording::with_limit(1)?;
    /// let u = Unit::new(Source::next(), 0);
    /// trace::record(&clock, u, TraceKind::Created);
    /// trace::record(&clock, u, TraceKind::Running);
    /// let t = r.finish();
    /// assert_eq!((t.events().len(), t.dropped()), (1, 1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_limit(limit: usize) -> io::Result<Recording> {
        RECORDER.with_borrow_mut(|r| {
            if r.is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a trace recording is already running on this thread",
                ));
            }
            *r = Some(Recorder {
                events: Vec::new(),
                names: HashMap::new(),
                current: None,
                limit,
                dropped: 0,
            });
            Ok(())
        })?;
        ON.set(true);
        RECORDINGS.fetch_add(1, Ordering::Relaxed);
        Ok(Recording { _not_send: PhantomData })
    }

    /// Stops recording and returns what was recorded.
    ///
    /// # Examples
    /// See [`Recording`].
    pub fn finish(self) -> Trace {
        let recorder = stop();
        std::mem::forget(self);
        match recorder {
            Some(r) => Trace { events: r.events, names: r.names, dropped: r.dropped },
            None => Trace::default(),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        stop();
    }
}

/// Ends this thread's recording, if any.
fn stop() -> Option<Recorder> {
    let r = RECORDER.with_borrow_mut(Option::take);
    if r.is_some() {
        ON.set(false);
        RECORDINGS.fetch_sub(1, Ordering::Relaxed);
    }
    r
}

/// Whether a recording runs on this thread: schedulers may skip building
/// an event's details when it does not.
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{enabled, Recording};
/// assert!(!enabled());
/// let r = Recording::start()?;
/// assert!(enabled());
/// drop(r);
/// assert!(!enabled());
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub fn enabled() -> bool {
    // The counter first: with no recording anywhere this is one load.
    RECORDINGS.load(Ordering::Relaxed) != 0 && ON.get()
}

/// Records that `unit` did `kind`, now on `clock`, if this thread records.
///
/// `Running` makes `unit` the [`current`] one; its next step off the loop
/// (`Suspended`, an end) clears that.
///
/// # Examples
/// See the [module docs](self).
#[inline]
pub fn record(clock: &Clock, unit: Unit, kind: TraceKind) {
    if enabled() {
        record_at(clock.now(), unit, kind);
    }
}

/// [`record`] with the time given: for a scheduler that has just read the
/// clock anyway.
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{self, Recording, TraceKind, Unit};
/// use simul_reactor::Instant;
/// let r = Recording::start()?;
/// trace::record_at(Instant::from_nanos(5), Unit::LOOP, TraceKind::Running);
/// assert_eq!(r.finish().events()[0].at, Instant::from_nanos(5));
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub fn record_at(at: Instant, unit: Unit, kind: TraceKind) {
    if enabled() {
        push(TraceEvent { at, unit, kind });
    }
}

/// The slow path: a recording runs.
#[cold]
fn push(event: TraceEvent) {
    RECORDER.with_borrow_mut(|r| {
        let Some(r) = r else { return };
        match event.kind {
            TraceKind::Running if event.unit != Unit::LOOP => r.current = Some(event.unit),
            TraceKind::Suspended(_)
            | TraceKind::Finished
            | TraceKind::Cancelled
            | TraceKind::Panicked
                if r.current == Some(event.unit) =>
            {
                r.current = None
            }
            _ => {}
        }
        if r.events.len() < r.limit {
            r.events.push(event);
        } else {
            r.dropped += 1;
        }
    });
}

/// Charges `d` of blocking work to the running unit (or the loop): called
/// by [`Clock::block_for`] before it moves time.
pub(crate) fn blocked(clock: &Clock, d: Duration) {
    if enabled() {
        let unit = current().unwrap_or(Unit::LOOP);
        record_at(clock.now(), unit, TraceKind::Blocked(d));
    }
}

/// Names `unit` in this thread's recording (the last name given wins);
/// does nothing when nothing records.
///
/// # Examples
/// See the [module docs](self).
pub fn name(unit: Unit, name: impl Into<Cow<'static, str>>) {
    if enabled() {
        let name = name.into();
        RECORDER.with_borrow_mut(|r| {
            if let Some(r) = r {
                r.names.insert(unit, name);
            }
        });
    }
}

/// Names the unit that is running now (see [`current`]); does nothing
/// outside one or when nothing records. This is how a scenario labels its
/// lanes whatever the style: `name_current("groceries")`.
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{self, Recording, Source, TraceKind, Unit};
/// let clock = simul_reactor::Clock::new_virtual();
/// let r = Recording::start()?;
/// let u = Unit::new(Source::next(), 1);
/// trace::record(&clock, u, TraceKind::Running);
/// trace::name_current("groceries");
/// assert_eq!(r.finish().name(u), "groceries");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn name_current(name: impl Into<Cow<'static, str>>) {
    if let Some(unit) = current() {
        self::name(unit, name);
    }
}

/// The unit whose `Running` was recorded last without a step off the loop
/// since, if a recording runs.
///
/// # Examples
///
/// ```
/// assert_eq!(simul_reactor::trace::current(), None);
/// ```
pub fn current() -> Option<Unit> {
    if !enabled() {
        return None;
    }
    RECORDER.with_borrow(|r| r.as_ref().and_then(|r| r.current))
}

/// What a [`Recording`] collected: events in recording order, and names.
///
/// # Examples
/// See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// In the order they were recorded (which, on one thread and one
    /// clock, is time order).
    events: Vec<TraceEvent>,
    /// Names given to units.
    names: HashMap<Unit, Cow<'static, str>>,
    /// Events past the recording's limit.
    dropped: u64,
}

impl Trace {
    /// The events, in recording order.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// The name given to `unit`, or `loop` / `#n` when it has none.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Trace, Unit};
    /// assert_eq!(Trace::default().name(Unit::LOOP), "loop");
    /// ```
    pub fn name(&self, unit: Unit) -> Cow<'_, str> {
        match self.names.get(&unit) {
            Some(n) => Cow::Borrowed(n.as_ref()),
            None => Cow::Owned(unit.to_string()),
        }
    }

    /// The units that appear in it, in order of first appearance.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{self, Recording, TraceKind, Unit};
    /// let r = Recording::start()?;
    /// trace::record_at(simul_reactor::Instant::ZERO, Unit::LOOP, TraceKind::Running);
    /// assert_eq!(r.finish().units(), [Unit::LOOP]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn units(&self) -> Vec<Unit> {
        let mut seen = std::collections::HashSet::new();
        self.events.iter().map(|e| e.unit).filter(|u| seen.insert(*u)).collect()
    }

    /// How many events were past the recording's limit and not kept.
    ///
    /// # Examples
    /// See [`Recording::with_limit`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Adds an event (for tests and for building traces by hand).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Trace, TraceEvent, TraceKind, Unit};
    /// let mut t = Trace::default();
    /// t.push(TraceEvent { at: simul_reactor::Instant::ZERO, unit: Unit::LOOP, kind: TraceKind::Running });
    /// assert_eq!(t.events().len(), 1);
    /// ```
    pub fn push(&mut self, event: TraceEvent) {
        self.events.push(event);
    }

    /// Names a unit (for tests and for building traces by hand).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Source, Trace, Unit};
    /// let mut t = Trace::default();
    /// let u = Unit::new(Source::next(), 2);
    /// t.set_name(u, "board 2");
    /// assert_eq!(t.name(u), "board 2");
    /// ```
    pub fn set_name(&mut self, unit: Unit, name: impl Into<Cow<'static, str>>) {
        self.names.insert(unit, name.into());
    }
}
