//! [`GreenId`], [`Wait`], [`Outcome`] and [`TraceEvent`]: what the hub can
//! tell an observer.

use std::fmt;
use std::os::fd::RawFd;

use simul_reactor::{Instant, Interest};

/// The identity of a green thread within its hub: `main` for the thread
/// that called [`Hub::run`](crate::Hub::run), then `#1`, `#2`, ... in
/// spawn order. Never reused within a hub.
///
/// # Examples
///
/// ```
/// use simul_green::GreenId;
/// assert_eq!(GreenId::MAIN.to_string(), "main");
/// assert_eq!(GreenId::MAIN.as_u64(), 0);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GreenId(pub(crate) u64);

impl GreenId {
    /// The hub's main thread: the native stack `Hub::run` was called on.
    pub const MAIN: GreenId = GreenId(0);

    /// The number: 0 for main, then spawn order from 1.
    ///
    /// # Examples
    /// See [`GreenId`].
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for GreenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == GreenId::MAIN { f.write_str("main") } else { write!(f, "#{}", self.0) }
    }
}

/// What a parked green thread waits for.
///
/// # Examples
///
/// ```
/// use simul_green::{GreenId, Wait};
/// assert_eq!(Wait::Join(GreenId::MAIN).to_string(), "waits to join main");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// For another green thread to finish (`JoinHandle::join`).
    Join(GreenId),
    /// For another green thread to finish unwinding after a kill.
    Kill(GreenId),
    /// For an [`Event`](crate::Event) to be set.
    Event,
    /// For the clock to reach this instant (`sleep`).
    Sleep(Instant),
    /// For a file descriptor to become ready (`wait_fd`).
    Io {
        /// The descriptor.
        fd: RawFd,
        /// Readable, writable or both.
        interest: Interest,
    },
    /// For its [`Unparker`](crate::Unparker) to be used, from any thread
    /// ([`park`](crate::park)).
    Unpark,
    /// For a job it [`offload`](fn@crate::offload)ed to finish on a worker
    /// thread.
    Offload,
}

impl Wait {
    /// The shared trace model's [`Wait`](simul_reactor::trace::Wait) for
    /// this one (see the crate docs' *Tracing* table).
    pub(crate) fn to_model(self) -> simul_reactor::trace::Wait {
        use simul_reactor::trace::Wait as W;
        match self {
            Wait::Join(_) | Wait::Kill(_) => W::Join,
            Wait::Event => W::Sync,
            Wait::Sleep(t) => W::Timer(t),
            // Both directions: it wakes on either; the read side is the
            // one a reader of the board cares about.
            Wait::Io { fd, interest } if interest.is_readable() => W::Readable(fd),
            Wait::Io { fd, .. } => W::Writable(fd),
            Wait::Unpark | Wait::Offload => W::Thread,
        }
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::Join(id) => write!(f, "waits to join {id}"),
            Wait::Kill(id) => write!(f, "waits for {id} to finish unwinding after a kill"),
            Wait::Event => f.write_str("waits for an Event to be set"),
            Wait::Sleep(t) => write!(f, "sleeps until {t}"),
            Wait::Io { fd, interest } => write!(f, "waits for fd {fd} to be {interest:?}"),
            Wait::Unpark => f.write_str("waits to be unparked"),
            Wait::Offload => f.write_str("waits for an offloaded job"),
        }
    }
}

/// How a green thread ended.
///
/// # Examples
///
/// ```
/// assert_eq!(format!("{:?}", simul_green::Outcome::Killed), "Killed");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its closure returned a value.
    Returned,
    /// Its closure panicked; the payload goes to the joiner.
    Panicked,
    /// It was killed: its stack unwound (or it never started).
    Killed,
    /// Its stack could not be allocated; it never ran.
    NoStack,
}

/// One step of the hub, given to the hook set with
/// [`Builder::trace`](crate::Builder::trace).
///
/// Tests record these to assert the order of events exactly.
///
/// # Examples
///
/// ```
/// use simul_green::{GreenId, Hub, Outcome, TraceEvent};
/// use std::{cell::RefCell, rc::Rc};
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let sink = log.clone();
/// let hub = Hub::builder().trace(move |e| sink.borrow_mut().push(*e)).build()?;
/// let id = hub.run(|| {
///     let h = simul_green::spawn(|| ()).unwrap();
///     let id = h.id();
///     h.join().unwrap();
///     id
/// })?;
/// assert_eq!(
///     *log.borrow(),
///     [
///         TraceEvent::Spawn { id },
///         TraceEvent::Park { id: GreenId::MAIN, wait: simul_green::Wait::Join(id) },
///         TraceEvent::Switch { from: GreenId::MAIN, to: id },
///         TraceEvent::Finish { id, outcome: Outcome::Returned },
///         TraceEvent::Switch { from: id, to: GreenId::MAIN },
///     ]
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceEvent {
    /// A green thread was created (it has not run yet).
    Spawn {
        /// The new thread.
        id: GreenId,
    },
    /// The running thread parked, waiting for something.
    Park {
        /// Who parked.
        id: GreenId,
        /// For what.
        wait: Wait,
    },
    /// The running thread yielded: it stays runnable, behind the others.
    Yield {
        /// Who yielded.
        id: GreenId,
    },
    /// Execution moved from one stack to another.
    Switch {
        /// The thread that stopped running.
        from: GreenId,
        /// The thread that runs now.
        to: GreenId,
    },
    /// A green thread ended.
    Finish {
        /// The thread.
        id: GreenId,
        /// How.
        outcome: Outcome,
    },
}
