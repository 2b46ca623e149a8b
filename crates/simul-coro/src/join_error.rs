//! [`JoinError`]: why joining a task gave no result.

use std::fmt;

use crate::ResumeError;

/// Why [`Trap::Join`](crate::Trap::Join) (or
/// [`Scheduler::run`](crate::Scheduler::run) for the main task) did not
/// produce the task's return value.
///
/// # Examples
///
/// ```
/// use simul_coro::JoinError;
/// assert_eq!(JoinError::Cancelled.to_string(), "the task was cancelled");
/// assert_eq!(
///     JoinError::Panicked("boom".into()).to_string(),
///     "the task panicked: boom"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// The task was cancelled ([`Trap::Cancel`](crate::Trap::Cancel)) and
    /// dropped before it completed.
    Cancelled,
    /// The task panicked while being resumed; it was dropped, the rest of
    /// the scheduler went on. Holds the panic message.
    Panicked(String),
    /// Resuming the task failed (it was already complete, or answered an
    /// input it did not expect).
    Failed(ResumeError),
    /// Another task (or [`Scheduler::run`](crate::Scheduler::run), for the
    /// main task) is already joining this one, or it was detached
    /// ([`Trap::Detach`](crate::Trap::Detach)): a result goes to one joiner.
    AlreadyJoined,
    /// A task tried to join itself, which could never finish.
    JoinSelf,
    /// No such task: the id is stale (its result was already taken) or
    /// from another scheduler.
    NoSuchTask,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("the task was cancelled"),
            JoinError::Panicked(msg) => write!(f, "the task panicked: {msg}"),
            JoinError::Failed(e) => write!(f, "the task failed: {e}"),
            JoinError::AlreadyJoined => f.write_str("the task already has a joiner"),
            JoinError::JoinSelf => f.write_str("a task cannot join itself"),
            JoinError::NoSuchTask => {
                f.write_str("no such task (its result was already taken, or the id is stale)")
            }
        }
    }
}

impl std::error::Error for JoinError {}
