//! Errors: [`JoinError`] from a task, [`RuntimeError`] from `block_on`.

use std::any::Any;
use std::fmt;
use std::io;
use std::panic::Location;

use crate::task::panic_message;

/// Why a task gave no output.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, spawn};
///
/// let mut rt = Runtime::new()?;
/// let err = rt.block_on(async { spawn(async { panic!("lost") }).await })?.unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "task panicked: lost");
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub enum JoinError {
    /// The task was aborted ([`JoinHandle::abort`](crate::JoinHandle::abort), a dropped [`JoinSet`](crate::JoinSet),
    /// or the runtime's drop).
    Cancelled,
    /// The task panicked; the payload is what `panic!` was given (resume
    /// it with `std::panic::resume_unwind` to propagate).
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    /// Whether the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_future::JoinError::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!simul_future::JoinError::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panic(_))
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("task was cancelled"),
            JoinError::Panic(p) => write!(f, "task panicked: {}", panic_message(&**p)),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("Cancelled"),
            JoinError::Panic(p) => write!(f, "Panic({:?})", panic_message(&**p)),
        }
    }
}

impl std::error::Error for JoinError {}

/// One task in a [`Deadlock`] report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckTask {
    /// The task's id ([`JoinHandle::id`](crate::JoinHandle::id)), or
    /// `None` for the future given to `block_on`.
    pub id: Option<u64>,
    /// Where it was spawned (or where `block_on` was called).
    pub location: &'static Location<'static>,
    /// What it waits on, as far as simul knows.
    pub waiting_on: String,
}

/// `block_on`'s future is pending and nothing can ever wake anything.
///
/// The runtime reports this when its run queue is empty, no timer is
/// pending, no task waits on I/O, no `spawn_blocking` job is in flight,
/// no wake from another thread is queued, and no task (nor `block_on`'s future) has a live clone of its waker
/// anywhere. The last condition makes detection **conservative**: simul's
/// own futures keep no waker clone (they hold the task locally), but a
/// future from elsewhere that stores `cx.waker().clone()` (and a thread
/// that might wake it) keeps the loop waiting, as asyncio and tokio
/// always do, rather than risk a false report.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, RuntimeError, spawn};
///
/// let mut rt = Runtime::new()?;
/// let err = rt.block_on(async {
///     spawn(std::future::pending::<()>()).await
/// }).unwrap_err();
/// let RuntimeError::Deadlock(report) = err else { panic!() };
/// assert_eq!(report.stuck.len(), 2); // block_on's future and the task
/// assert!(report.to_string().contains("the JoinHandle of task #1"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// `block_on`'s future first, then every unfinished task by id.
    pub stuck: Vec<StuckTask>,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "deadlock: nothing can ever wake these {} futures:", self.stuck.len())?;
        for t in &self.stuck {
            match t.id {
                Some(id) => write!(f, "  task #{id} spawned at {}", t.location)?,
                None => write!(f, "  block_on's future at {}", t.location)?,
            }
            writeln!(f, " waits on {}", t.waiting_on)?;
        }
        Ok(())
    }
}

/// Why [`Runtime::block_on`](crate::Runtime::block_on) returned without
/// an output.
///
/// # Examples
///
/// ```
/// use simul_future::Runtime;
///
/// let mut rt = Runtime::new()?;
/// let err = rt.block_on(std::future::pending::<()>()).unwrap_err();
/// let io: std::io::Error = err.into(); // for `?` in io::Result code
/// assert_eq!(io.kind(), std::io::ErrorKind::Deadlock);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub enum RuntimeError {
    /// Nothing can ever make progress; see [`Deadlock`].
    Deadlock(Deadlock),
    /// `block_on` was called inside a running `block_on` on this thread.
    Nested,
    /// The reactor failed.
    Io(io::Error),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Deadlock(d) => d.fmt(f),
            RuntimeError::Nested => f.write_str(
                "block_on called inside a running block_on on the same thread \
                 (it would block the outer loop); spawn the future or await it instead",
            ),
            RuntimeError::Io(e) => write!(f, "reactor failed: {e}"),
        }
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for RuntimeError {
    fn from(e: io::Error) -> RuntimeError {
        RuntimeError::Io(e)
    }
}

impl From<RuntimeError> for io::Error {
    fn from(e: RuntimeError) -> io::Error {
        match e {
            RuntimeError::Io(e) => e,
            RuntimeError::Deadlock(_) => io::Error::new(io::ErrorKind::Deadlock, e.to_string()),
            RuntimeError::Nested => io::Error::other(e.to_string()),
        }
    }
}
