//! [`TraceEvent`]: what the trampoline did, recorded for tests.

use std::os::fd::RawFd;
use std::time::Duration;

use simul_reactor::Instant;

use crate::{TaskId, Trap};

/// One step of the scheduler, recorded when tracing is on
/// ([`Scheduler::record_trace`](crate::Scheduler::record_trace)). Tests
/// assert the exact order of these, and under the virtual clock their
/// exact times.
///
/// # Examples
///
/// ```
/// use simul_coro::{CoroutineState::Complete, Reply, Scheduler, TraceEvent, TraceKind, from_fn};
///
/// let mut s = Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
/// s.record_trace(true);
/// let id = s.spawn(from_fn(|_: Reply<()>| Ok(Complete(()))));
/// s.run_all()?;
/// let kinds: Vec<TraceKind> = s.trace().iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, [TraceKind::Spawned, TraceKind::Resumed, TraceKind::Completed]);
/// assert!(s.trace().iter().all(|e: &TraceEvent| e.task == id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// When, on the scheduler's clock.
    pub at: Instant,
    /// Which task.
    pub task: TaskId,
    /// What happened to it.
    pub kind: TraceKind,
}

/// What happened to a task, in a [`TraceEvent`].
///
/// # Examples
///
/// ```
/// use simul_coro::{TraceKind, TrapKind};
/// assert_ne!(TraceKind::Yielded(TrapKind::YieldNow), TraceKind::Resumed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// It was created (by [`Scheduler::spawn`](crate::Scheduler::spawn) or
    /// a [`Spawn`](crate::Trap::Spawn) trap) and queued.
    Spawned,
    /// It is about to be resumed.
    Resumed,
    /// It yielded this trap.
    Yielded(TrapKind),
    /// It returned.
    Completed,
    /// It was cancelled and dropped.
    Cancelled,
    /// It panicked and was dropped.
    Panicked,
    /// Resuming it failed with a [`ResumeError`](crate::ResumeError).
    Failed,
}

/// A [`Trap`] without its payload, for traces.
///
/// # Examples
///
/// ```
/// use simul_coro::{Trap, TrapKind};
/// assert_eq!(TrapKind::of(&Trap::<()>::Now), TrapKind::Now);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// [`Trap::Sleep`].
    Sleep(Duration),
    /// [`Trap::YieldNow`].
    YieldNow,
    /// [`Trap::Readable`].
    Readable(RawFd),
    /// [`Trap::Writable`].
    Writable(RawFd),
    /// [`Trap::Spawn`].
    Spawn,
    /// [`Trap::Join`].
    Join(TaskId),
    /// [`Trap::Cancel`].
    Cancel(TaskId),
    /// [`Trap::Now`].
    Now,
    /// [`Trap::CurrentTask`].
    CurrentTask,
    /// [`Trap::Park`].
    Park,
    /// [`Trap::Unpark`].
    Unpark(TaskId),
    /// [`Trap::Detach`].
    Detach(TaskId),
}

impl TrapKind {
    /// The kind of `trap`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Trap, TrapKind};
    /// use std::time::Duration;
    /// let d = Duration::from_millis(3);
    /// assert_eq!(TrapKind::of(&Trap::<()>::Sleep(d)), TrapKind::Sleep(d));
    /// ```
    pub fn of<T>(trap: &Trap<T>) -> TrapKind {
        match trap {
            Trap::Sleep(d) => TrapKind::Sleep(*d),
            Trap::YieldNow => TrapKind::YieldNow,
            Trap::Readable(fd) => TrapKind::Readable(*fd),
            Trap::Writable(fd) => TrapKind::Writable(*fd),
            Trap::Spawn(_) => TrapKind::Spawn,
            Trap::Join(id) => TrapKind::Join(*id),
            Trap::Cancel(id) => TrapKind::Cancel(*id),
            Trap::Now => TrapKind::Now,
            Trap::CurrentTask => TrapKind::CurrentTask,
            Trap::Park => TrapKind::Park,
            Trap::Unpark(id) => TrapKind::Unpark(*id),
            Trap::Detach(id) => TrapKind::Detach(*id),
        }
    }
}
