//! [`Hub`] and [`Builder`]: the scheduler that runs one OS thread's green
//! threads on a reactor.
//!
//! # The life of a green thread
//!
//! ```text
//!              spawn                 first switch to it
//!   (none) ------------> Ready(new) ---------------------> Running
//!                          |   ^                          |  |  |
//!               kill:      |   | wake (timer, fd, join,   |  |  | closure returns,
//!               never runs |   |  event, unpark) or yield |  |  | panics, or unwinds
//!                          v   |                          |  |  | after a kill
//!                      Finished  <-----------------------+  |  v
//!                          ^         Parked(Wait) <---------+  Finished
//!                          |            |    park (join, sleep, wait_fd, Event::wait,
//!                          |            |          park, offload)
//!                          +------------+
//!                       kill: made Ready with the kill flag; it unwinds when it runs
//! ```
//!
//! # One turn of the scheduler
//!
//! There is no separate hub stack. A thread that parks runs the scheduler
//! itself, on its own stack, until it finds someone to switch to:
//!
//! 1. pop the next Ready thread; if there is one, switch to it (giving it
//!    a stack first if it has never run) and we are done;
//! 2. otherwise fire due timers, and go back to 1 if that woke anyone;
//! 3. if no timer is pending, no descriptor is waited on and no thread
//!    parked for another OS thread has a live [`Unparker`] (after a last
//!    look at the cross-thread queue), nothing can ever wake anyone: a
//!    deadlock, reported to main's wait;
//! 4. otherwise poll the reactor until the earliest timer (on a virtual
//!    clock this jumps straight to it), wake whoever's descriptor became
//!    ready, drain the cross-thread queue if the notifier rang, and go
//!    back to 1.
//!
//! Every 61st pass also fires due timers and polls the reactor without
//! blocking even when threads are ready, so threads that only ever yield
//! cannot starve sleepers and sockets.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use simul_reactor::trace::{self as model, Source, TraceKind, Unit};
use simul_reactor::{Clock, Events, Instant, Interest, Reactor, Stack, TimerKey, TimerQueue};

use crate::context::{Backend, Context};
use crate::join::{Body, JoinHandle, Kill, Slot};
use crate::offload::Workers;
use crate::registry::{self, FdEntry, FdTable, Registration};
use crate::unpark::{ParkSlot, Remote, Unparker};
use crate::{Deadlock, Error, GreenId, Outcome, TraceEvent, Wait, Waiter, error::not_in_hub};

/// Stacks kept for reuse: a finished thread's stack goes to the next
/// thread instead of back to the OS (an `mmap` + `mprotect` + `munmap`
/// saved per spawn).
const POOL_MAX: usize = 64;
/// Every this many scheduler passes, timers and I/O are checked even when
/// threads are ready. Prime, so it does not beat with loop periods.
const FAIRNESS_TICKS: u32 = 61;

/// Source of [`Inner::serial`]. Starts at 1: a [`Registration`] of 0
/// means "none".
static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A process-unique hub number (wrapping after 4 billion hubs, far more
/// than live at once).
fn next_serial() -> u32 {
    SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed).max(1)
}

thread_local! {
    /// The hub whose `run` is active on this OS thread, or null.
    static CURRENT: Cell<*const Inner> = const { Cell::new(std::ptr::null()) };
}

/// Runs `f` with the hub of this OS thread.
///
/// # Errors
/// [`not_in_hub`] outside `Hub::run`.
pub(crate) fn with_current<R>(f: impl FnOnce(&Inner) -> R) -> io::Result<R> {
    let hub = CURRENT.get();
    if hub.is_null() {
        return Err(not_in_hub());
    }
    // SAFETY: CURRENT is non-null only while `Hub::run` executes on this
    // OS thread, which keeps its `Rc<Inner>` alive; green threads run only
    // inside `run`, and it kills them all before returning.
    Ok(f(unsafe { &*hub }))
}

/// Whether `hub` is the hub running on this OS thread.
pub(crate) fn is_current(hub: &Inner) -> bool {
    std::ptr::eq(CURRENT.get(), hub)
}

/// A green-thread scheduler on one OS thread, over a [`Reactor`].
///
/// [`Hub::run`] runs a closure as the hub's **main** green thread, on the
/// calling thread's own stack. Inside it, [`spawn`](crate::spawn) starts
/// green threads, each on a [`Stack`] of its own; they run whenever the
/// running one waits: [`JoinHandle::join`], [`sleep`](crate::sleep),
/// [`yield_now`](crate::yield_now), [`wait_fd`](crate::wait_fd),
/// [`Event::wait`](crate::Event::wait). Code in a green thread is written
/// as if it blocked; the hub turns each such call into a switch.
///
/// When the closure returns, green threads still alive are killed (their
/// stacks unwind, destructors run) before `run` returns. See the
/// [module docs](self) for the state machine and the scheduler loop.
///
/// # Examples
///
/// ```
/// use simul_green::Hub;
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let hub = Hub::with_clock(Clock::new_virtual())?;
/// let total = hub.run(|| {
///     let a = simul_green::spawn(|| { simul_green::sleep(Duration::from_secs(3)).unwrap(); 1 })?;
///     let b = simul_green::spawn(|| { simul_green::sleep(Duration::from_secs(3)).unwrap(); 2 })?;
///     Ok::<_, simul_green::Error>(a.join()? + b.join()?)
/// })??;
/// assert_eq!(total, 3);
/// // The two sleeps overlapped: 3 s of virtual time passed, not 6.
/// assert_eq!(hub.now().since_origin(), Duration::from_secs(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Hub {
    /// Shared with join handles (weakly) and with `CURRENT` during `run`.
    inner: Rc<Inner>,
}

/// The trace hook's type.
type TraceHook = Box<dyn FnMut(&TraceEvent)>;

/// Configures a [`Hub`]: clock, context-switch backend, stack size and a
/// trace hook.
///
/// # Examples
///
/// ```
/// use simul_green::{Backend, Hub};
/// use simul_reactor::Clock;
///
/// let hub = Hub::builder()
///     .clock(Clock::new_virtual())
///     .backend(Backend::Asm)
///     .stack_size(64 * 1024)
///     .build()?;
/// assert_eq!(hub.run(|| 6 * 7)?, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use]
pub struct Builder {
    /// `None`: the real clock.
    clock: Option<Clock>,
    /// How contexts are switched.
    backend: Backend,
    /// Usable bytes per green-thread stack.
    stack_size: usize,
    /// Called at every [`TraceEvent`].
    trace: Option<TraceHook>,
    /// Worker threads for [`offload`](fn@crate::offload), at most.
    offload_threads: usize,
}

impl Builder {
    /// The default [`offload_threads`](Builder::offload_threads) is this
    /// many more than the cores.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_green::Builder::DEFAULT_OFFLOAD_THREADS, 4);
    /// ```
    pub const DEFAULT_OFFLOAD_THREADS: usize = 4;

    /// The default [`offload_threads`](Builder::offload_threads) is at
    /// most this many, however many cores there are.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_green::Builder::MAX_DEFAULT_OFFLOAD_THREADS, 32);
    /// ```
    pub const MAX_DEFAULT_OFFLOAD_THREADS: usize = 32;

    /// Cores + 4, at most 32: see [`offload_threads`](Builder::offload_threads).
    fn default_offload_threads() -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        (cores + Builder::DEFAULT_OFFLOAD_THREADS).min(Builder::MAX_DEFAULT_OFFLOAD_THREADS)
    }

    /// Runs the hub on `clock` (default: [`Clock::real`]). Under a virtual
    /// clock sleeps take no real time and are exact.
    ///
    /// # Examples
    /// See [`Builder`].
    pub fn clock(mut self, clock: Clock) -> Builder {
        self.clock = Some(clock);
        self
    }

    /// Chooses the context switch (default: [`Backend::default`]).
    /// `build` fails if the backend is not available on this target.
    ///
    /// # Examples
    /// See [`Builder`].
    pub fn backend(mut self, backend: Backend) -> Builder {
        self.backend = backend;
        self
    }

    /// Usable stack bytes for every green thread of this hub, rounded up
    /// to whole pages (default: [`Stack::DEFAULT_SIZE`], 256 KiB). Memory
    /// is only used as a thread touches it. Overflowing it is caught by a
    /// guard page and reported (`green thread stack overflow: ...`).
    ///
    /// # Examples
    /// See [`Builder`].
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = bytes;
        self
    }

    /// At most this many [`offload`](fn@crate::offload)ed jobs of this hub
    /// run at once, each on a worker thread of its own; more wait their
    /// turn. Workers start when a job finds none idle and stay until the
    /// hub is dropped.
    ///
    /// The default, [`Builder::DEFAULT_OFFLOAD_THREADS`] more than the
    /// cores ([`std::thread::available_parallelism`]) and at most
    /// [`Builder::MAX_DEFAULT_OFFLOAD_THREADS`], is asyncio's choice for
    /// `to_thread`, for the same reason: CPU-bound jobs can use every core,
    /// and a few jobs that mostly block (a file read, a DNS lookup) still
    /// find a thread while they do.
    ///
    /// # Examples
    ///
    /// ```
    /// let hub = simul_green::Hub::builder().offload_threads(1).build()?;
    /// // One worker: the jobs run one after the other, in order.
    /// let order = hub.run(|| {
    ///     let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    ///     let jobs: Vec<_> = (0..3)
    ///         .map(|i| {
    ///             let log = log.clone();
    ///             simul_green::spawn(move || simul_green::offload(move || log.lock().unwrap().push(i)))
    ///         })
    ///         .collect::<Result<_, _>>()?;
    ///     for j in jobs {
    ///         j.join()??;
    ///     }
    ///     Ok::<_, simul_green::Error>(log.lock().unwrap().clone())
    /// })??;
    /// assert_eq!(order, [0, 1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn offload_threads(mut self, max: usize) -> Builder {
        self.offload_threads = max;
        self
    }

    /// Calls `hook` at every step of the hub (spawn, park, yield, switch,
    /// finish), in order. For tests and teaching; it costs a branch per
    /// step when unset. The hook must not call back into the hub.
    ///
    /// # Examples
    /// See [`TraceEvent`].
    pub fn trace(mut self, hook: impl FnMut(&TraceEvent) + 'static) -> Builder {
        self.trace = Some(Box::new(hook));
        self
    }

    /// Makes the hub and its reactor.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a stack size or an offload thread count of 0;
    /// `Unsupported` for a backend
    /// this target lacks; what the OS says when making the reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = simul_green::Hub::builder().stack_size(0).build().err().unwrap();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(self) -> io::Result<Hub> {
        if self.stack_size == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "green thread stack size 0"));
        }
        if self.offload_threads == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "offload_threads(0): offloaded jobs would never run",
            ));
        }
        let clock = self.clock.unwrap_or_else(Clock::real);
        let reactor = Reactor::with_clock(clock.clone())?;
        let main = Thread::new(GreenId::MAIN, None, None);
        let main =
            Thread { context: Some(Context::empty(self.backend)?), state: State::Running, ..main };
        let scrap = Context::empty(self.backend)?;
        let remote = Remote::new(reactor.notifier());
        Ok(Hub {
            inner: Rc::new_cyclic(|me| Inner {
                me: me.clone(),
                source: Source::next(),
                clock,
                reactor: RefCell::new(reactor),
                events: RefCell::new(Events::with_capacity(256)),
                backend: self.backend,
                stack_size: self.stack_size,
                threads: RefCell::new(vec![Entry { generation: 0, thread: Some(main) }]),
                free: RefCell::new(Vec::new()),
                ready: RefCell::new(VecDeque::new()),
                timers: RefCell::new(TimerQueue::new()),
                wait_seq: Cell::new(0),
                io_waiters: Cell::new(0),
                io: RefCell::new(FdTable::default()),
                poller_updates: Cell::new(0),
                io_woken: RefCell::new(Vec::new()),
                serial: next_serial(),
                current: Cell::new(MAIN_KEY),
                next_id: Cell::new(1),
                ticks: Cell::new(0),
                pool: RefCell::new(Vec::new()),
                dead: RefCell::new(None),
                finishing: Cell::new(GreenId::MAIN),
                scrap,
                trace: RefCell::new(self.trace),
                remote,
                drained: RefCell::new(Vec::new()),
                remote_waiters: Cell::new(0),
                workers: Workers::new(self.offload_threads),
            }),
        })
    }
}

impl Hub {
    /// A hub on the real clock with the default backend and stack size.
    ///
    /// # Errors
    /// What the OS says when making the reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// let hub = simul_green::Hub::new()?;
    /// assert_eq!(hub.run(|| "ran")?, "ran");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Hub> {
        Hub::builder().build()
    }

    /// A hub on `clock`.
    ///
    /// # Errors
    /// As [`Hub::new`].
    ///
    /// # Examples
    /// See [`Hub`].
    pub fn with_clock(clock: Clock) -> io::Result<Hub> {
        Hub::builder().clock(clock).build()
    }

    /// A [`Builder`] with the defaults.
    ///
    /// # Examples
    /// See [`Builder`].
    pub fn builder() -> Builder {
        Builder {
            clock: None,
            backend: Backend::default(),
            stack_size: Stack::DEFAULT_SIZE,
            trace: None,
            offload_threads: Builder::default_offload_threads(),
        }
    }

    /// The current time on the hub's clock.
    ///
    /// # Examples
    /// See [`Hub`].
    pub fn now(&self) -> Instant {
        self.inner.reactor.borrow().now()
    }

    /// How many registrations this hub has asked of its reactor so far:
    /// `register`, `reregister` and `deregister` calls, one `epoll_ctl`
    /// (or `kevent` change list) each, as the coroutine scheduler's
    /// `poller_updates` counts them.
    ///
    /// A descriptor owned by a green net object is registered on its first
    /// wait for the direction waited for, widened once if the other
    /// direction is waited for too, and deregistered when the object is
    /// dropped: its waits after that cost no update (see the registry in
    /// the [`net`](crate::net) module docs). A raw
    /// [`wait_fd`](crate::wait_fd) costs one to three.
    ///
    /// # Examples
    ///
    /// A hundred round trips on one connection, each parking both ends,
    /// register nothing after the first:
    ///
    /// ```
    /// use simul_green::net::{TcpListener, TcpStream};
    /// use std::io::{Read, Write};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let counts = hub.run(|| -> std::io::Result<Vec<u64>> {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?)?;
    ///     let (mut server, _) = listener.accept()?;
    ///     let echo = simul_green::spawn(move || -> std::io::Result<()> {
    ///         let mut b = [0u8; 1];
    ///         while server.read(&mut b)? == 1 {
    ///             server.write_all(&b)?;
    ///         }
    ///         Ok(())
    ///     })?;
    ///     let mut counts = Vec::new();
    ///     for _ in 0..100 {
    ///         let mut b = [0u8; 1];
    ///         client.write_all(b"x")?;
    ///         client.read_exact(&mut b)?; // parks: the echo has not run yet
    ///         counts.push(hub.poller_updates());
    ///     }
    ///     drop(client);
    ///     echo.join().map_err(std::io::Error::from)??;
    ///     Ok(counts)
    /// })??;
    /// assert!(counts[0] > 0);
    /// assert_eq!(counts[0], counts[99]); // 99 more rounds, not one update
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poller_updates(&self) -> u64 {
        self.inner.poller_updates.get()
    }

    /// Runs `main` as the hub's main green thread, on the calling thread's
    /// stack, and returns its value.
    ///
    /// Green threads spawned before or during `run` run whenever main (or
    /// any of them) waits. When `main` returns, the green threads still
    /// alive are killed: each unwinds (its destructors run) before `run`
    /// returns. If `main` panics the panic continues out of `run` and the
    /// parked green threads are left suspended (unwinding them would need a
    /// second panic while one is in flight, which Rust turns into an
    /// abort): the next `run` kills them when it ends, and dropping the hub
    /// instead leaks their stacks rather than free memory that live frames
    /// point into.
    ///
    /// # Errors
    ///
    /// If a hub is already running on this OS thread (`run` inside `run`).
    ///
    /// # Examples
    /// See [`Hub`].
    pub fn run<R>(&self, main: impl FnOnce() -> R) -> io::Result<R> {
        if !CURRENT.get().is_null() {
            return Err(io::Error::other(
                "a simul-green hub is already running on this thread; spawn instead of nesting Hub::run",
            ));
        }
        /// Resets `CURRENT` however `run` ends.
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                CURRENT.set(std::ptr::null());
            }
        }
        /// Ends main's lane in the shared trace as `Panicked` if `main`
        /// unwinds out of `run`.
        struct MainLane<'a>(&'a Inner);
        impl Drop for MainLane<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.record(GreenId::MAIN, TraceKind::Panicked);
                }
            }
        }
        CURRENT.set(Rc::as_ptr(&self.inner));
        let _leave = Leave;
        if model::enabled() {
            model::name(self.inner.unit(GreenId::MAIN), "main");
        }
        self.inner.record(GreenId::MAIN, TraceKind::Running);
        let lane = MainLane(&self.inner);
        let value = main();
        self.inner.kill_all();
        drop(lane);
        self.inner.record(GreenId::MAIN, TraceKind::Finished);
        Ok(value)
    }

    /// The [`Unit`] thread `id` of this hub records as in the shared
    /// [trace model](simul_reactor::trace): for naming its lane from
    /// outside it (inside, [`trace::name_current`](model::name_current)
    /// does).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{self, Recording};
    /// let hub = simul_green::Hub::new()?;
    /// let recording = Recording::start()?;
    /// let h = hub.spawn(|| ());
    /// let unit = hub.unit(h.id());
    /// trace::name(unit, "worker");
    /// hub.run(|| h.join().unwrap())?;
    /// assert_eq!(recording.finish().name(unit), "worker");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unit(&self, id: GreenId) -> Unit {
        self.inner.unit(id)
    }

    /// Spawns a green thread on this hub; it first runs when the hub's
    /// running thread waits. Usable before [`run`](Hub::run).
    ///
    /// # Examples
    ///
    /// ```
    /// let hub = simul_green::Hub::new()?;
    /// let h = hub.spawn(|| 5);
    /// assert_eq!(hub.run(|| h.join().unwrap())?, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn<T: 'static>(&self, f: impl FnOnce() -> T + 'static) -> JoinHandle<T> {
        self.inner.spawn(None, f)
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("backend", &self.inner.backend)
            .field("stack_size", &self.inner.stack_size)
            .field("ready", &self.inner.ready.borrow().len())
            .finish_non_exhaustive()
    }
}

/// A thread's place in the hub's table: index, and the generation of the
/// entry so a handle to a freed and reused entry is recognised.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// Index in `Inner::threads`.
    index: u32,
    /// Must equal the entry's `generation`.
    generation: u32,
}

/// Main is always entry 0.
const MAIN_KEY: Key = Key { index: 0, generation: 0 };

/// One wait of one thread. Anything that may wake a thread (a timer, a
/// joiner list, an event, a reactor token) holds one of these; it is
/// stale, and ignored, once the thread has stopped waiting.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct WaitToken {
    /// Index of the waiting thread.
    index: u32,
    /// The hub-unique number of this wait (`Thread::wait_gen`).
    wait: u32,
}

impl WaitToken {
    /// As one `u64`, for a [`ParkSlot`]'s atomic.
    pub(crate) fn pack(self) -> u64 {
        (u64::from(self.index) << 32) | u64::from(self.wait)
    }
    /// The inverse of [`pack`](WaitToken::pack).
    pub(crate) fn unpack(packed: u64) -> WaitToken {
        WaitToken { index: (packed >> 32) as u32, wait: packed as u32 }
    }
}

/// A slot of the thread table.
struct Entry {
    /// Bumped each time the slot is freed.
    generation: u32,
    /// The thread, or `None` for a free slot.
    thread: Option<Thread>,
}

/// What the hub knows of one green thread (or main).
struct Thread {
    /// Public identity.
    id: GreenId,
    /// From `spawn_named`.
    name: Option<String>,
    /// See the module's state diagram.
    state: State,
    /// `None` until the thread first runs (stacks are given lazily, so
    /// spawning 100k threads costs 100k small records, not 100k stacks).
    context: Option<Context>,
    /// The stack it runs on, once started; main has none.
    stack: Option<Stack>,
    /// The closure, until it starts (or is cancelled).
    body: Option<Box<dyn Body>>,
    /// Kill requested: the next time it runs, it unwinds.
    kill: bool,
    /// Waiting for this thread to finish.
    joiners: Vec<WaitToken>,
    /// The number of the current wait; see [`WaitToken`].
    wait_gen: u32,
    /// Why it was last resumed, for the call that parked it.
    resume: Resume,
    /// Its `JoinHandle` is gone: free the entry once finished.
    detached: bool,
    /// Its [`park`](crate::park) token, made by the first
    /// [`unparker`](crate::unparker) call.
    park_slot: Option<Arc<ParkSlot>>,
    /// While parked in `park_remote`: the slot that wakes it, so the
    /// deadlock check can ask whether any [`Unparker`] of it is alive.
    parked_on: Option<Arc<ParkSlot>>,
}

impl Thread {
    fn new(id: GreenId, name: Option<String>, body: Option<Box<dyn Body>>) -> Thread {
        Thread {
            id,
            name,
            state: State::Ready,
            context: None,
            stack: None,
            body,
            kill: false,
            joiners: Vec::new(),
            wait_gen: 0,
            resume: Resume::Normal,
            detached: false,
            park_slot: None,
            parked_on: None,
        }
    }
}

/// A thread's state. Ready threads are in the ready queue exactly once.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// In the ready queue.
    Ready,
    /// On the CPU (exactly one thread at a time).
    Running,
    /// Waiting for something; only a matching [`WaitToken`] wakes it.
    Parked(Wait),
    /// Done; its result is in its join handle's slot.
    Finished,
}

/// Why a parked thread was resumed.
#[derive(Debug)]
pub(crate) enum Resume {
    /// What it waited for happened (or it was killed: checked separately).
    Normal,
    /// Main only: nothing can ever run again.
    Deadlock(Deadlock),
    /// Main only: the reactor failed while nothing else could run.
    Failed(io::Error),
}

/// Everything a hub owns. `RefCell` borrows never live across a context
/// switch or a call into user code (closures, destructors, the trace hook).
pub(crate) struct Inner {
    /// Ourselves, for the join handles we make.
    me: std::rc::Weak<Inner>,
    /// This hub's half of every [`Unit`] it records into the shared trace
    /// model; the other half is the thread's [`GreenId`].
    source: Source,
    /// The reactor's clock, kept here so recording a step never borrows
    /// `reactor` (which `poll` holds mutably).
    clock: Clock,
    /// Readiness and time.
    reactor: RefCell<Reactor>,
    /// Reused buffer for `reactor.poll`.
    events: RefCell<Events>,
    /// How contexts are switched.
    backend: Backend,
    /// Usable bytes per stack.
    stack_size: usize,
    /// All threads; entry 0 is main.
    threads: RefCell<Vec<Entry>>,
    /// Free entries of `threads`.
    free: RefCell<Vec<u32>>,
    /// Runnable threads, in the order they run.
    ready: RefCell<VecDeque<Key>>,
    /// Sleepers, earliest first (equal deadlines in FIFO order). A sleep
    /// cancels its timer however it ends, so every entry is a live wait.
    timers: RefCell<TimerQueue<WaitToken>>,
    /// Source of [`WaitToken::wait`].
    wait_seq: Cell<u32>,
    /// Threads parked in `wait_io`: while non-zero, an event may come.
    io_waiters: Cell<usize>,
    /// The descriptors waited on: see [`crate::registry`].
    io: RefCell<FdTable>,
    /// Registrations asked of the reactor: see [`Hub::poller_updates`].
    poller_updates: Cell<u64>,
    /// Reused buffer of the waiters one poll wakes.
    io_woken: RefCell<Vec<WaitToken>>,
    /// This hub's number, unique in the process, in the
    /// [`Registration`]s of the net objects it registered.
    serial: u32,
    /// The running thread.
    current: Cell<Key>,
    /// Next [`GreenId`].
    next_id: Cell<u64>,
    /// Scheduler passes, for the fairness check.
    ticks: Cell<u32>,
    /// Stacks of finished threads, for reuse.
    pool: RefCell<Vec<Stack>>,
    /// The stack of the thread that just finished: it was still running on
    /// it when it switched away, so the next thread to run frees it.
    dead: RefCell<Option<Stack>>,
    /// The thread that finished last, for the trace of its final switch
    /// (its entry may be freed by then).
    finishing: Cell<GreenId>,
    /// Where a finished thread's last switch saves its (never resumed)
    /// registers.
    scrap: Context,
    /// See [`Builder::trace`].
    trace: RefCell<Option<TraceHook>>,
    /// Where other OS threads queue wake-ups (see [`Unparker`]).
    remote: Arc<Remote>,
    /// Reused buffer for draining `remote`.
    drained: RefCell<Vec<Arc<ParkSlot>>>,
    /// Threads parked in `park_remote`: while non-zero and one of their
    /// slots has a live [`Unparker`], another OS thread may wake one.
    remote_waiters: Cell<usize>,
    /// The [`offload`](fn@crate::offload) pool.
    workers: Workers,
}

/// What `kill` found.
enum Target {
    Done,
    Unstarted,
    Parked,
    Runnable,
}

impl Inner {
    /// Thread `id` as a unit of the shared trace model.
    fn unit(&self, id: GreenId) -> Unit {
        Unit::new(self.source, id.as_u64())
    }

    /// Records a step of `id` into the shared trace model: one relaxed
    /// load and a branch when nothing records.
    #[inline]
    fn record(&self, id: GreenId, kind: TraceKind) {
        model::record(&self.clock, self.unit(id), kind);
    }

    fn emit(&self, event: TraceEvent) {
        if let Ok(mut hook) = self.trace.try_borrow_mut()
            && let Some(hook) = hook.as_mut()
        {
            hook(&event);
        }
    }

    /// Runs `f` on the live thread `key`.
    fn thread<R>(&self, key: Key, f: impl FnOnce(&mut Thread) -> R) -> Option<R> {
        let mut threads = self.threads.borrow_mut();
        let entry = threads.get_mut(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        entry.thread.as_mut().map(f)
    }

    pub(crate) fn current_id(&self) -> GreenId {
        self.thread(self.current.get(), |t| t.id).unwrap_or(GreenId::MAIN)
    }

    pub(crate) fn now(&self) -> Instant {
        self.reactor.borrow().now()
    }

    pub(crate) fn spawn<T: 'static>(
        &self,
        name: Option<String>,
        f: impl FnOnce() -> T + 'static,
    ) -> JoinHandle<T> {
        let slot = Rc::new(Slot::new());
        let body = Box::new(crate::join::Closure::new(f, slot.clone()));
        let id = GreenId(self.next_id.get());
        self.next_id.set(id.0 + 1);
        if model::enabled() {
            // Lanes take the `spawn_named` name; unnamed ones show as `#n`.
            if let Some(name) = &name {
                model::name(self.unit(id), name.clone());
            }
        }
        let thread = Thread::new(id, name, Some(body));
        let key = {
            let mut threads = self.threads.borrow_mut();
            match self.free.borrow_mut().pop() {
                Some(index) => {
                    let entry = &mut threads[index as usize];
                    entry.thread = Some(thread);
                    Key { index, generation: entry.generation }
                }
                None => {
                    let index = u32::try_from(threads.len()).unwrap_or(u32::MAX);
                    threads.push(Entry { generation: 0, thread: Some(thread) });
                    Key { index, generation: 0 }
                }
            }
        };
        self.ready.borrow_mut().push_back(key);
        self.record(id, TraceKind::Created);
        self.emit(TraceEvent::Spawn { id });
        JoinHandle::new(key, id, slot, self.me.clone())
    }

    /// Starts a new wait of the running thread: refuses while unwinding,
    /// unwinds now if a kill is pending, and returns the token that wakes
    /// this wait.
    pub(crate) fn begin_wait(&self) -> io::Result<WaitToken> {
        if std::thread::panicking() {
            return Err(io::Error::other(
                "a green thread cannot wait while it is unwinding (a destructor tried to \
                 join, sleep or do I/O during a panic or a kill)",
            ));
        }
        self.check_kill();
        let key = self.current.get();
        let wait = self.wait_seq.get().wrapping_add(1);
        self.wait_seq.set(wait);
        self.thread(key, |t| t.wait_gen = wait);
        Ok(WaitToken { index: key.index, wait })
    }

    /// Unwinds the running green thread if a kill is pending for it.
    fn check_kill(&self) {
        let key = self.current.get();
        if key != MAIN_KEY && self.thread(key, |t| t.kill).unwrap_or(false) {
            resume_unwind(Box::new(Kill));
        }
    }

    /// Makes the thread waiting on `token` runnable, if it still waits on it.
    pub(crate) fn wake(&self, token: WaitToken) -> bool {
        let mut threads = self.threads.borrow_mut();
        let Some(Some(t)) = threads.get_mut(token.index as usize).map(|e| e.thread.as_mut()) else {
            return false;
        };
        if !matches!(t.state, State::Parked(_)) || t.wait_gen != token.wait {
            return false;
        }
        t.state = State::Ready;
        let id = t.id;
        let key = Key { index: token.index, generation: threads[token.index as usize].generation };
        self.ready.borrow_mut().push_back(key);
        self.record(id, TraceKind::Woken);
        true
    }

    /// Parks the running thread on `wait` (begun with `begin_wait`) and
    /// runs others until it is woken. Unwinds if it was killed meanwhile.
    pub(crate) fn park(&self, wait: Wait) -> Resume {
        let key = self.current.get();
        let id = self.thread(key, |t| {
            t.state = State::Parked(wait);
            t.id
        });
        let id = id.unwrap_or(GreenId::MAIN);
        self.record(id, TraceKind::Suspended(wait.to_model()));
        self.emit(TraceEvent::Park { id, wait });
        self.schedule(false)
    }

    pub(crate) fn yield_now(&self) -> io::Result<()> {
        if std::thread::panicking() {
            return Err(io::Error::other("a green thread cannot yield while it is unwinding"));
        }
        let key = self.current.get();
        // One borrow for the kill check and the state change: this is the
        // hottest path of the hub.
        let (id, kill) = self
            .thread(key, |t| {
                t.state = State::Ready;
                (t.id, t.kill && key != MAIN_KEY)
            })
            .unwrap_or((GreenId::MAIN, false));
        if kill {
            resume_unwind(Box::new(Kill));
        }
        self.ready.borrow_mut().push_back(key);
        // One check for both steps on the hottest path. Suspended, then
        // Woken at once: the lane shows the yield, then its turn in the
        // ready queue.
        if model::enabled() {
            self.record(id, TraceKind::Suspended(model::Wait::Yield));
            self.record(id, TraceKind::Woken);
        }
        self.emit(TraceEvent::Yield { id });
        match self.schedule(false) {
            Resume::Normal => Ok(()),
            Resume::Deadlock(d) => Err(io::Error::other(d.to_string())),
            Resume::Failed(e) => Err(e),
        }
    }

    pub(crate) fn sleep_until(&self, at: Instant) -> io::Result<()> {
        let token = self.begin_wait()?;
        let key = self.timers.borrow_mut().insert(at, token);
        /// Cancels the timer however the sleep ends (a kill unwinds
        /// through here before it fires); a no-op once it has fired.
        struct Armed<'a>(&'a Inner, TimerKey);
        impl Drop for Armed<'_> {
            fn drop(&mut self) {
                if let Ok(mut timers) = self.0.timers.try_borrow_mut() {
                    timers.cancel(self.1);
                }
            }
        }
        let _armed = Armed(self, key);
        match self.park(Wait::Sleep(at)) {
            Resume::Normal => Ok(()),
            Resume::Deadlock(d) => Err(io::Error::other(d.to_string())),
            Resume::Failed(e) => Err(e),
        }
    }

    pub(crate) fn sleep(&self, d: Duration) -> io::Result<()> {
        let at = self.now().saturating_add(d);
        self.sleep_until(at)
    }

    /// Parks until `fd` is ready for `interest`, through the registry
    /// (see [`crate::registry`]). `owner`: the registration of the green
    /// net object that owns `fd` (its entry is kept across waits), or
    /// `None` for a raw [`wait_fd`](crate::wait_fd).
    ///
    /// # Errors
    ///
    /// As [`begin_wait`](Inner::begin_wait); what the reactor says when
    /// registering `fd`; `NotConnected` if the owner of `fd` dropped it
    /// while this thread waited.
    pub(crate) fn wait_io(
        &self,
        fd: RawFd,
        interest: Interest,
        owner: Option<&Registration>,
    ) -> io::Result<()> {
        let token = self.begin_wait()?;
        let generation = self.arm(fd, interest, owner)?;
        if let Some(entry) = self.io.borrow_mut().get(fd) {
            entry.waiters.push((interest, token));
        }
        /// Leaves the entry's waiters however the wait ends (a kill
        /// unwinds through here); the last waiter of a one-shot entry
        /// removes it.
        struct Waiting<'a>(&'a Inner, RawFd, u32, WaitToken);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                let Waiting(hub, fd, generation, token) = *self;
                hub.io_waiters.set(hub.io_waiters.get() - 1);
                let mut io = hub.io.borrow_mut();
                let Some(entry) = io.get(fd).filter(|e| e.generation == generation) else {
                    return; // removed meanwhile (its owner was dropped)
                };
                entry.waiters.retain(|(_, t)| *t != token);
                if !entry.kept && entry.waiters.is_empty() {
                    io.remove(fd);
                    drop(io);
                    // The descriptor may have been closed by a destructor
                    // already; then the kernel has forgotten it by itself.
                    let _ = hub.deregister(fd);
                }
            }
        }
        self.io_waiters.set(self.io_waiters.get() + 1);
        let _waiting = Waiting(self, fd, generation, token);
        match self.park(Wait::Io { fd, interest }) {
            Resume::Normal => {
                let alive =
                    self.io.borrow_mut().get(fd).is_some_and(|e| e.generation == generation);
                if alive {
                    Ok(())
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::NotConnected,
                        format!(
                            "fd {fd} was closed (its owner dropped) while a green thread waited on it"
                        ),
                    ))
                }
            }
            Resume::Deadlock(d) => Err(io::Error::other(d.to_string())),
            Resume::Failed(e) => Err(e),
        }
    }

    /// Whether a read of `fd`, owned by `owner`, may find data: `false`
    /// only after a short read drained it ([`read_drained`](Self::read_drained))
    /// and no event has come since. Then the reader parks at once instead
    /// of making a read that would say `WouldBlock`.
    pub(crate) fn may_read(&self, fd: RawFd, owner: &Registration) -> bool {
        let mut io = self.io.borrow_mut();
        match io.get(fd) {
            Some(e) if owner.generation_in(self.serial) == Some(e.generation) => e.readable,
            _ => true,
        }
    }

    /// Records that a read of `fd`, owned by `owner`, returned fewer bytes
    /// than asked for (and more than none). With an edge-triggered
    /// registration that means the socket or pipe was empty when the read
    /// ended, and anything arriving later raises a new edge, so the next
    /// read can wait for that edge instead of making a system call only to
    /// be told `WouldBlock` (tokio and the other simul styles save the
    /// same call). Not after an event that announced end-of-file or an
    /// error: those raise no later edge, so reads go on until they show.
    pub(crate) fn read_drained(&self, fd: RawFd, owner: &Registration) {
        let mut io = self.io.borrow_mut();
        if let Some(e) = io.get(fd)
            && owner.generation_in(self.serial) == Some(e.generation)
            && !e.reads_to_would_block
        {
            e.readable = false;
        }
    }

    /// Makes sure `fd` has a registry entry armed for a wait on
    /// `interest`, and returns its generation.
    fn arm(&self, fd: RawFd, interest: Interest, owner: Option<&Registration>) -> io::Result<u32> {
        let mut io = self.io.borrow_mut();
        let Some(entry) = io.get(fd) else {
            drop(io);
            return self.register_fd(fd, interest, owner);
        };
        let generation = entry.generation;
        match owner {
            // Ours: the caller saw `WouldBlock`; wait for the next edge.
            Some(reg) if reg.generation_in(self.serial) == Some(generation) => {
                entry.clear(interest);
                drop(io);
                self.widen(fd, generation, interest)?;
                Ok(generation)
            }
            // A raw wait's one-shot entry on our descriptor: adopt it.
            Some(reg) if !entry.kept => {
                entry.kept = true;
                entry.clear(interest);
                reg.set(self.serial, generation);
                drop(io);
                self.widen(fd, generation, interest)?;
                Ok(generation)
            }
            // Another object's entry for this number: that object was
            // dropped outside this hub and the number was reused.
            Some(_) => {
                drop(io);
                self.forget_fd(fd);
                self.register_fd(fd, interest, owner)
            }
            // A raw wait re-arms, so it returns if `fd` is ready now.
            None => {
                entry.clear(interest);
                let want = entry.registered | interest;
                drop(io);
                match self.reregister(fd, generation, want) {
                    Ok(()) => Ok(generation),
                    // The descriptor cannot offer the added direction
                    // (kqueue says EINVAL, epoll EPERM): the entry and its
                    // other waiters stay as they were.
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::InvalidInput | io::ErrorKind::PermissionDenied
                        ) =>
                    {
                        Err(e)
                    }
                    // Stale (closed without its owner telling us).
                    Err(_) => {
                        self.forget_fd(fd);
                        self.register_fd(fd, interest, None)
                    }
                }
            }
        }
    }

    /// Adds `interest` to the directions the kept entry `generation` of
    /// `fd` is registered for, if it lacks one: registering only what is
    /// waited for is what lets a descriptor with one direction (a kqueue
    /// under kqueue) be waited on at all; widening once keeps waits on a
    /// socket free of `epoll_ctl` calls after its first wait each way.
    fn widen(&self, fd: RawFd, generation: u32, interest: Interest) -> io::Result<()> {
        let registered = match self.io.borrow_mut().get(fd) {
            Some(entry) if entry.generation == generation => entry.registered,
            _ => return Ok(()),
        };
        if interest.remove(registered).is_none() {
            return Ok(()); // already covered: the common case, no syscall
        }
        self.reregister(fd, generation, registered | interest)
    }

    /// Re-registers entry `generation` of `fd` for `want` (re-arming it)
    /// and records `want` in the entry if the reactor took it.
    fn reregister(&self, fd: RawFd, generation: u32, want: Interest) -> io::Result<()> {
        self.count_poller_update();
        self.reactor.borrow().reregister(fd, registry::token(fd, generation), want)?;
        if let Some(entry) = self.io.borrow_mut().get(fd) {
            entry.registered = want;
        }
        Ok(())
    }

    /// Registers `fd` with the reactor for `interest` and adds its entry,
    /// kept if it has an `owner`.
    fn register_fd(
        &self,
        fd: RawFd,
        interest: Interest,
        owner: Option<&Registration>,
    ) -> io::Result<u32> {
        let generation = self.io.borrow_mut().next_generation();
        self.count_poller_update();
        self.reactor.borrow().register(fd, registry::token(fd, generation), interest)?;
        let mut entry = FdEntry {
            generation,
            readable: true,
            writable: true,
            reads_to_would_block: false,
            kept: owner.is_some(),
            registered: interest,
            waiters: Vec::new(),
        };
        entry.clear(interest);
        self.io.borrow_mut().insert(fd, entry);
        if let Some(reg) = owner {
            reg.set(self.serial, generation);
        }
        Ok(generation)
    }

    /// Deregisters `fd` from the reactor, counted.
    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.count_poller_update();
        self.reactor.borrow().deregister(fd)
    }

    /// One more `register`, `reregister` or `deregister` asked of the
    /// reactor: see [`Hub::poller_updates`].
    fn count_poller_update(&self) {
        self.poller_updates.set(self.poller_updates.get() + 1);
    }

    /// Removes `fd`'s entry and registration; its waiters wake and their
    /// waits fail (`NotConnected`).
    fn forget_fd(&self, fd: RawFd) {
        let entry = self.io.borrow_mut().remove(fd);
        let Some(entry) = entry else { return };
        let _ = self.deregister(fd);
        for (_, token) in entry.waiters {
            self.wake(token);
        }
    }

    /// A green net object owning `fd` is being dropped (before `fd` is
    /// closed): deregister it, if it is registered in this hub.
    pub(crate) fn release_fd(&self, fd: RawFd, reg: &Registration) {
        let Some(generation) = reg.generation_in(self.serial) else { return };
        let ours = self.io.borrow_mut().get(fd).is_some_and(|e| e.generation == generation);
        if ours {
            self.forget_fd(fd);
        }
    }

    /// The queue other threads wake this hub's threads through.
    pub(crate) fn remote(&self) -> &Arc<Remote> {
        &self.remote
    }

    /// The offload pool.
    pub(crate) fn workers(&self) -> &Workers {
        &self.workers
    }

    /// The running thread's park token, made on first use.
    fn park_slot(&self) -> Arc<ParkSlot> {
        self.thread(self.current.get(), |t| t.park_slot.get_or_insert_with(ParkSlot::new).clone())
            .unwrap_or_else(ParkSlot::new)
    }

    /// An [`Unparker`] of the running thread.
    pub(crate) fn unparker(&self) -> Unparker {
        Unparker::new(self.park_slot(), self.remote.clone())
    }

    /// [`park`](crate::park) for the running thread.
    pub(crate) fn park_current(&self) -> Result<(), Error> {
        let slot = self.park_slot();
        self.park_remote(&slot, Wait::Unpark)
    }

    /// Parks the running thread until `slot` is unparked (from any
    /// thread); returns at once, taking the notification, if it already
    /// was. See [`crate::unpark`] for why no wake-up is lost.
    pub(crate) fn park_remote(&self, slot: &Arc<ParkSlot>, wait: Wait) -> Result<(), Error> {
        /// Forgets the wait however it ends (a kill unwinds through here).
        struct Waiting<'a>(&'a Inner, &'a ParkSlot, Key);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.1.set_waiter(None);
                self.0.remote_waiters.set(self.0.remote_waiters.get() - 1);
                self.0.thread(self.2, |t| t.parked_on = None);
            }
        }
        loop {
            let token = self.begin_wait()?;
            // No drain can run between this check and the park below
            // (drains run in the scheduler, on this thread), so an unpark
            // that misses it queues the slot and finds the waiter recorded.
            if slot.take_notification() {
                return Ok(());
            }
            let key = self.current.get();
            slot.set_waiter(Some(token));
            self.thread(key, |t| t.parked_on = Some(slot.clone()));
            self.remote_waiters.set(self.remote_waiters.get() + 1);
            let waiting = Waiting(self, slot, key);
            let resume = self.park(wait);
            drop(waiting);
            match resume {
                // A drain wakes this wait only while the flag is set, so
                // this takes it; the loop is a second line of defence
                // against a wake-up without one.
                Resume::Normal => {
                    if slot.take_notification() {
                        return Ok(());
                    }
                }
                Resume::Deadlock(d) => return Err(Error::Deadlock(d)),
                Resume::Failed(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// Wakes the threads parked on the slots other threads queued; true
    /// if any.
    fn drain_remote(&self) -> bool {
        let mut drained = std::mem::take(&mut *self.drained.borrow_mut());
        self.remote.drain_into(&mut drained);
        let mut woke = false;
        for slot in drained.drain(..) {
            // Flag down: a stale entry, whose notification a `park` took
            // without parking; waking for it would end a later park early.
            // No waiter: the notification stays in the flag for the next
            // park, or the thread is gone.
            if slot.dequeue()
                && let Some(token) = slot.waiter()
            {
                woke |= self.wake(token);
            }
        }
        *self.drained.borrow_mut() = drained;
        woke
    }

    /// Whether some thread parked in `park_remote` has a live
    /// [`Unparker`]: then another OS thread may still wake it.
    fn remote_may_wake(&self) -> bool {
        self.remote_waiters.get() > 0
            && self
                .threads
                .borrow()
                .iter()
                .filter_map(|e| e.thread.as_ref())
                .any(|t| t.parked_on.as_ref().is_some_and(|slot| slot.may_be_unparked()))
    }

    /// Adds `token` to `key`'s joiners; false if `key` already finished.
    pub(crate) fn add_joiner(&self, key: Key, token: WaitToken) -> bool {
        self.thread(key, |t| {
            if t.state == State::Finished {
                false
            } else {
                t.joiners.push(token);
                true
            }
        })
        .unwrap_or(false)
    }

    pub(crate) fn current_key(&self) -> Key {
        self.current.get()
    }

    /// The join handle of `key` was dropped.
    pub(crate) fn detach(&self, key: Key) {
        let finished = self.thread(key, |t| {
            t.detached = true;
            t.state == State::Finished
        });
        if finished == Some(true) {
            self.free_entry(key);
        }
    }

    fn free_entry(&self, key: Key) {
        let thread = {
            let mut threads = self.threads.borrow_mut();
            let entry = &mut threads[key.index as usize];
            if entry.generation != key.generation {
                return;
            }
            entry.generation = entry.generation.wrapping_add(1);
            entry.thread.take()
        };
        self.free.borrow_mut().push(key.index);
        drop(thread);
    }

    /// Ends `key`: wakes its joiners, hands its stack to `dead` (it may be
    /// running on it), frees its entry if nobody holds its handle.
    fn finish(&self, key: Key, outcome: Outcome) {
        let Some((joiners, id, stack, detached)) = self.thread(key, |t| {
            t.state = State::Finished;
            (std::mem::take(&mut t.joiners), t.id, t.stack.take(), t.detached)
        }) else {
            return;
        };
        if let Some(stack) = stack {
            let previous = self.dead.borrow_mut().replace(stack);
            debug_assert!(previous.is_none(), "a dead stack was not reclaimed");
            drop(previous);
        }
        // Before its joiners are woken, so the trace reads in cause order.
        self.record(
            id,
            match outcome {
                Outcome::Returned => TraceKind::Finished,
                Outcome::Panicked => TraceKind::Panicked,
                // A thread without a stack never ran: cancelled, like a
                // kill before its first switch.
                Outcome::Killed | Outcome::NoStack => TraceKind::Cancelled,
            },
        );
        for j in joiners {
            self.wake(j);
        }
        self.finishing.set(id);
        self.emit(TraceEvent::Finish { id, outcome });
        if detached {
            self.free_entry(key);
        }
    }

    /// Frees (or pools) the stack of the thread that finished last. Called
    /// right after every switch, by the thread that now runs.
    fn reap(&self) {
        let dead = self.dead.borrow_mut().take();
        if let Some(stack) = dead {
            let mut pool = self.pool.borrow_mut();
            if pool.len() < POOL_MAX {
                pool.push(stack);
            }
        }
    }

    /// The body of every green thread, called on its own stack by the
    /// entry functions. Never returns: a finished thread switches away for
    /// good.
    fn thread_main(&self) {
        self.reap();
        let key = self.current.get();
        let body = self.thread(key, |t| t.body.take()).flatten();
        let outcome = match body {
            Some(body) => body.run(),
            None => Outcome::Killed,
        };
        self.finish(key, outcome);
        self.schedule(true);
    }

    /// Finds the next thread to run and switches to it; returns when the
    /// calling thread is resumed, with the reason. `finished`: the caller
    /// has finished and will never be resumed.
    fn schedule(&self, finished: bool) -> Resume {
        loop {
            let tick = self.ticks.get().wrapping_add(1);
            self.ticks.set(tick);
            if tick.is_multiple_of(FAIRNESS_TICKS) {
                self.fire_timers();
                if self.io_waiters.get() > 0 || self.remote_waiters.get() > 0 {
                    // Errors resurface at the blocking poll below.
                    let _ = self.poll(Some(Instant::ZERO));
                }
            }
            let next = self.ready.borrow_mut().pop_front();
            if let Some(next) = next {
                if next == self.current.get() && !finished {
                    // Woken and picked again with no switch (a lone
                    // yielder, a sleeper whose timer fired).
                    if model::enabled() {
                        self.record(self.current_id(), TraceKind::Running);
                    }
                    return self.resume_self();
                }
                if self.switch_to(next, finished) {
                    return self.resume_self();
                }
                continue;
            }
            if self.fire_timers() {
                continue;
            }
            let deadline = self.next_deadline();
            if deadline.is_none() && self.io_waiters.get() == 0 && !self.remote_may_wake() {
                // The last unparker may have been used just before it
                // went: its wake-up is on the queue, not yet polled.
                if self.drain_remote() {
                    continue;
                }
                let report = Resume::Deadlock(self.deadlock_report());
                if self.wake_main_with(report, finished) {
                    return self.resume_self();
                }
                continue;
            }
            if let Err(e) = self.poll(deadline)
                && self.wake_main_with(Resume::Failed(e), finished)
            {
                return self.resume_self();
            }
        }
    }

    /// Delivers `why` to main. Returns true if main is the caller (who
    /// then returns it at once); otherwise main is made runnable with it.
    fn wake_main_with(&self, why: Resume, finished: bool) -> bool {
        let caller_is_main = self.current.get() == MAIN_KEY && !finished;
        let wake_seq = self.wait_seq.get().wrapping_add(1);
        self.wait_seq.set(wake_seq);
        self.thread(MAIN_KEY, |t| {
            t.resume = why;
            t.wait_gen = wake_seq; // stale-out main's other wakers
            t.state = if caller_is_main { State::Running } else { State::Ready };
        });
        if !caller_is_main {
            self.ready.borrow_mut().push_front(MAIN_KEY);
        }
        self.record(GreenId::MAIN, TraceKind::Woken);
        if caller_is_main {
            self.record(GreenId::MAIN, TraceKind::Running);
        }
        caller_is_main
    }

    /// The running thread takes the reason it was resumed for; if a kill
    /// is pending for it, it starts unwinding instead (from whatever call
    /// parked it).
    fn resume_self(&self) -> Resume {
        let key = self.current.get();
        let (resume, kill) = self
            .thread(key, |t| {
                t.state = State::Running;
                (std::mem::replace(&mut t.resume, Resume::Normal), t.kill && key != MAIN_KEY)
            })
            .unwrap_or((Resume::Normal, false));
        if kill {
            resume_unwind(Box::new(Kill));
        }
        resume
    }

    /// Switches from the running thread to `next`, giving `next` a stack
    /// first if it has never run. Returns false (without switching) if
    /// that failed; `next` is then finished with the error.
    fn switch_to(&self, next: Key, finished: bool) -> bool {
        let current = self.current.get();
        let picked = {
            let mut threads = self.threads.borrow_mut();
            let Some(to_thread) =
                threads.get_mut(next.index as usize).and_then(|e| e.thread.as_mut())
            else {
                return false;
            };
            // `None`: never run, it needs a stack first (below).
            let to = to_thread.context.as_ref().map(|c| (c as *const Context, to_thread.id));
            if to.is_some() {
                to_thread.state = State::Running;
            }
            to.map(|to| {
                let from = threads[current.index as usize]
                    .thread
                    .as_ref()
                    .filter(|_| !finished)
                    .and_then(|t| t.context.as_ref().map(|c| (c as *const Context, t.id)))
                    .unwrap_or((&self.scrap, self.finishing.get()));
                (from, to)
            })
        };
        let Some(((from, from_id), (to, to_id))) = picked else {
            return self.start(next) && self.switch_to(next, finished);
        };
        self.current.set(next);
        // Recorded before the switch: after it, this stack is suspended.
        self.record(to_id, TraceKind::Running);
        self.emit(TraceEvent::Switch { from: from_id, to: to_id });
        // SAFETY: `from` is the running thread's own context (or the
        // scrap context for a finished one) and `to` a suspended or
        // never-run context of the same backend, whose stack is alive:
        // stacks are freed only after their thread finished. Both point
        // into storage that nothing touches until the switch has read and
        // written them: no RefCell borrow is held and no other code runs
        // on this OS thread in between.
        if let Err(e) = unsafe { Context::switch(from, to) } {
            // Only swapcontext can fail, and only for a corrupt context.
            eprintln!("simul-green: context switch failed: {e}");
            std::process::abort();
        }
        // Someone switched back to us.
        self.reap();
        true
    }

    /// Gives the never-run thread `next` a stack and a context.
    fn start(&self, next: Key) -> bool {
        let pooled = self.pool.borrow_mut().pop();
        let stack = match pooled {
            Some(s) => Ok(s),
            None => Stack::new(self.stack_size),
        };
        let prepared = stack.and_then(|s| {
            let c = Context::new(self.backend, &s, green_entry, green_entry_ucontext)?;
            Ok((s, c))
        });
        match prepared {
            Ok((stack, context)) => {
                self.thread(next, |t| {
                    t.stack = Some(stack);
                    t.context = Some(context);
                });
                true
            }
            Err(e) => {
                let body = self.thread(next, |t| t.body.take()).flatten();
                if let Some(body) = body {
                    body.fail(e);
                }
                self.finish(next, Outcome::NoStack);
                false
            }
        }
    }

    /// Wakes the sleepers whose deadline has come; true if any.
    fn fire_timers(&self) -> bool {
        if self.timers.borrow().is_empty() {
            return false;
        }
        let now = self.now();
        let mut woke = false;
        loop {
            let due = self.timers.borrow_mut().pop_due(now);
            let Some((_, token)) = due else { break };
            woke |= self.wake(token);
        }
        woke
    }

    /// The earliest deadline of a sleeper.
    fn next_deadline(&self) -> Option<Instant> {
        self.timers.borrow().next_deadline()
    }

    /// Waits in the reactor until `deadline` and wakes the threads whose
    /// descriptors became ready.
    fn poll(&self, deadline: Option<Instant>) -> io::Result<()> {
        let mut events = self.events.borrow_mut();
        self.reactor.borrow_mut().poll(&mut events, deadline)?;
        if !events.is_empty() {
            let mut woken = std::mem::take(&mut *self.io_woken.borrow_mut());
            {
                let mut io = self.io.borrow_mut();
                for event in events.iter() {
                    io.on_event(&event, &mut woken);
                }
            }
            for token in woken.drain(..) {
                self.wake(token);
            }
            *self.io_woken.borrow_mut() = woken;
        }
        if events.woken() {
            drop(events);
            self.drain_remote();
        }
        Ok(())
    }

    fn deadlock_report(&self) -> Deadlock {
        let threads = self.threads.borrow();
        let mut waiting: Vec<Waiter> = threads
            .iter()
            .filter_map(|e| e.thread.as_ref())
            .filter(|t| t.state != State::Finished)
            .map(|t| Waiter {
                id: t.id,
                name: t.name.clone(),
                wait: match t.state {
                    State::Parked(w) => Some(w),
                    _ => None,
                },
            })
            .collect();
        waiting.sort_by_key(|w| w.id);
        Deadlock::new(waiting)
    }

    /// Kills `key` and waits until it has finished unwinding. See
    /// [`JoinHandle::kill`].
    pub(crate) fn kill(&self, key: Key) -> Result<(), Error> {
        if key == self.current.get() {
            if std::thread::panicking() {
                return Ok(()); // unwinding already
            }
            resume_unwind(Box::new(Kill));
        }
        loop {
            let Some(id) = self.request_kill(key) else { return Ok(()) };
            let token = self.begin_wait()?;
            if !self.add_joiner(key, token) {
                return Ok(());
            }
            match self.park(Wait::Kill(id)) {
                Resume::Normal => continue,
                Resume::Deadlock(d) => return Err(Error::Deadlock(d)),
                Resume::Failed(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// Flags `key` for killing and makes sure it runs soon; returns its id,
    /// or `None` if it is done already (finished, or never started and now
    /// cancelled). Does not wait.
    fn request_kill(&self, key: Key) -> Option<GreenId> {
        let target = self.thread(key, |t| match t.state {
            State::Finished => Target::Done,
            _ if t.context.is_none() => Target::Unstarted,
            State::Parked(_) => Target::Parked,
            _ => Target::Runnable,
        });
        match target? {
            Target::Done => None,
            Target::Unstarted => {
                self.ready.borrow_mut().retain(|k| *k != key);
                let body = self.thread(key, |t| t.body.take()).flatten();
                if let Some(body) = body {
                    body.cancel();
                }
                self.finish(key, Outcome::Killed);
                None
            }
            Target::Parked => {
                // A fresh wait number stales every waker of its wait.
                let wake_seq = self.wait_seq.get().wrapping_add(1);
                self.wait_seq.set(wake_seq);
                let id = self.thread(key, |t| {
                    t.kill = true;
                    t.wait_gen = wake_seq;
                    t.state = State::Ready;
                    t.id
                });
                self.ready.borrow_mut().push_front(key);
                if let Some(id) = id {
                    self.record(id, TraceKind::Woken);
                }
                id
            }
            Target::Runnable => {
                let (id, flagged) =
                    self.thread(key, |t| (t.id, std::mem::replace(&mut t.kill, true)))?;
                if !flagged {
                    // Jump the queue so the kill does not wait a full round.
                    let mut ready = self.ready.borrow_mut();
                    ready.retain(|k| *k != key);
                    ready.push_front(key);
                }
                Some(id)
            }
        }
    }

    /// Kills every unfinished green thread: flags them all first, so one
    /// round of the scheduler unwinds them all, then waits for each.
    fn kill_all(&self) {
        let keys: Vec<Key> = {
            let threads = self.threads.borrow();
            threads
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, e)| e.thread.as_ref().is_some_and(|t| t.state != State::Finished))
                .map(|(i, e)| Key { index: i as u32, generation: e.generation })
                .collect()
        };
        // Each request puts its thread at the front of the queue: going
        // from the newest back leaves them to unwind in spawn order.
        for &key in keys.iter().rev() {
            self.request_kill(key);
        }
        for key in keys {
            if self.kill(key).is_err() {
                break;
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Unparks from now on report the hub gone. The workers are joined
        // after this, when the fields drop: their jobs' unparks fail
        // harmlessly.
        self.remote.close();
        // Threads suspended mid-call (only if `run`'s closure panicked):
        // their stacks hold live frames, so the memory is leaked, never
        // unmapped and reused. Unstarted closures are dropped normally.
        for entry in self.threads.get_mut() {
            if let Some(t) = entry.thread.as_mut()
                && t.state != State::Finished
                && let Some(stack) = t.stack.take()
            {
                std::mem::forget(stack);
            }
        }
    }
}

/// Entry of a new context under the assembly backend: reached by the
/// first switch's `ret`, on the new stack.
unsafe extern "C" fn green_entry() -> ! {
    run_thread()
}

/// Entry of a new context under the ucontext backend.
extern "C" fn green_entry_ucontext() {
    run_thread()
}

/// No unwinding may leave a green thread's first frame: there is nothing
/// above it to unwind into. User panics are caught inside `Body::run`; a
/// panic here would be a bug in the hub, and aborts.
fn run_thread() -> ! {
    let ran = catch_unwind(AssertUnwindSafe(|| with_current(|hub| hub.thread_main())));
    eprintln!(
        "simul-green: internal error: a green thread's entry returned ({})",
        if ran.is_ok() { "no hub" } else { "panic in the hub" }
    );
    std::process::abort()
}
