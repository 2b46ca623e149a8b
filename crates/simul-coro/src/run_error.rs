//! [`RunError`] and [`Deadlock`]: why the trampoline stopped early.

use std::{fmt, io};

use crate::{JoinError, TaskId};

/// Why [`Scheduler::run`](crate::Scheduler::run) or
/// [`Scheduler::run_all`](crate::Scheduler::run_all) returned without a
/// result.
///
/// # Examples
///
/// ```
/// use simul_coro::{JoinError, RunError};
/// let e = RunError::Main(JoinError::Cancelled);
/// assert_eq!(e.to_string(), "the main task did not complete: the task was cancelled");
/// ```
#[derive(Debug)]
pub enum RunError {
    /// The main task could not finish (or, for `run_all`, tasks remain)
    /// and no task can ever be resumed again.
    Deadlock(Deadlock),
    /// The main task was cancelled, panicked or failed.
    Main(JoinError),
    /// Waiting in the reactor failed.
    Io(io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Deadlock(d) => d.fmt(f),
            RunError::Main(e) => write!(f, "the main task did not complete: {e}"),
            RunError::Io(e) => write!(f, "waiting in the reactor failed: {e}"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Deadlock(d) => Some(d),
            RunError::Main(e) => Some(e),
            RunError::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Io(e)
    }
}

/// A deadlock: tasks remain, nothing is ready, no timer is pending and no
/// descriptor is awaited, so nothing can ever resume anyone. Every
/// remaining task is parked or waits to join another; `waits` says which.
///
/// With one joiner per task, a chain of joins starting at the main task
/// cannot close into a cycle (a task in the cycle would need two
/// joiners), so under [`Scheduler::run`](crate::Scheduler::run) a deadlock
/// always ends in a parked task nobody will unpark. Join cycles among other
/// tasks show up in [`Scheduler::run_all`](crate::Scheduler::run_all).
///
/// # Examples
///
/// ```
/// use simul_coro::{CoroutineState::*, Reply, RunError, Scheduler, Trap, from_fn};
///
/// let mut s = Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
/// // Main starts a helper that parks forever, and joins it.
/// let main = from_fn(|r: Reply<()>| match r {
///     Reply::Start => Ok(Yielded(Trap::Spawn(Box::new(from_fn(|_: Reply<()>| {
///         Ok(Yielded(Trap::Park))
///     }))))),
///     Reply::Spawned(helper) => Ok(Yielded(Trap::Join(helper))),
///     _ => Ok(Complete(())),
/// });
/// let Err(RunError::Deadlock(d)) = s.run(main) else { panic!("expected a deadlock") };
/// assert_eq!(
///     d.to_string(),
///     "deadlock: no task can ever be resumed (nothing ready, no timer, no descriptor awaited): \
///      task 0 waits to join task 1; task 1 is parked and nobody can unpark it"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// Each remaining task and what it waits for, in task order.
    pub waits: Vec<(TaskId, Wait)>,
}

/// What a deadlocked task waits for.
///
/// # Examples
///
/// ```
/// use simul_coro::Wait;
/// assert_eq!(Wait::Park, Wait::Park);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// It yielded [`Trap::Join`](crate::Trap::Join) on this task.
    Join(TaskId),
    /// It yielded [`Trap::Park`](crate::Trap::Park).
    Park,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "deadlock: no task can ever be resumed (nothing ready, no timer, no descriptor awaited)",
        )?;
        for (i, (waiter, wait)) in self.waits.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            match wait {
                Wait::Join(awaited) => write!(f, "{sep}{waiter} waits to join {awaited}")?,
                Wait::Park => write!(f, "{sep}{waiter} is parked and nobody can unpark it")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Deadlock {}
