//! [`Reply`]: what the trampoline resumes a coroutine with.

use std::io;

use simul_reactor::Instant;

use crate::{JoinError, TaskId};

/// The answer to a [`Trap`](crate::Trap), handed in as the input of the
/// next [`resume`](crate::Coroutine::resume). In Python it is the value of
/// the `yield` expression.
///
/// A coroutine knows which trap it yielded, so it knows which variant to
/// expect; a hand-written coroutine that gets another answers
/// [`ResumeError::UnexpectedInput`](crate::ResumeError::UnexpectedInput)
/// (the scheduler never sends one).
///
/// # Examples
///
/// ```
/// use simul_coro::Reply;
/// let r: Reply<()> = Reply::default();
/// assert!(matches!(r, Reply::Start));
/// ```
#[derive(Debug, Default)]
pub enum Reply<T> {
    /// The first resume of a task: nothing is being answered. Also the
    /// [`Default`], which delegation gives a sub-coroutine it starts.
    #[default]
    Start,
    /// A [`Sleep`](crate::Trap::Sleep), [`YieldNow`](crate::Trap::YieldNow)
    /// or [`Park`](crate::Trap::Park) is over.
    Woke,
    /// A [`Readable`](crate::Trap::Readable) or
    /// [`Writable`](crate::Trap::Writable) wait is over. `Ok(())`: the
    /// descriptor is ready, or hung up, or failed; try the operation and
    /// it will say which (and may still say `WouldBlock`: readiness is a
    /// hint). `Err`: the wait could not be set up, e.g. the descriptor is
    /// not open, or another task already waits on it in that direction
    /// (`ResourceBusy`); or the [`net`](crate::net) socket owning the
    /// descriptor was dropped while the task waited (`ConnectionAborted`).
    Io(io::Result<()>),
    /// The new task's id, answering [`Spawn`](crate::Trap::Spawn).
    Spawned(TaskId),
    /// The joined task's result, answering [`Join`](crate::Trap::Join).
    Joined(Result<T, JoinError>),
    /// Answers [`Cancel`](crate::Trap::Cancel): `true` if the task was
    /// still running and has been dropped, `false` if it had already
    /// finished (or the id is stale).
    Cancelled(bool),
    /// The current time, answering [`Now`](crate::Trap::Now).
    Now(Instant),
    /// The running task's id, answering [`CurrentTask`](crate::Trap::CurrentTask).
    CurrentTask(TaskId),
    /// Answers [`Unpark`](crate::Trap::Unpark): `true` if the task was
    /// parked and is now ready, `false` otherwise (nothing is remembered:
    /// a later `Park` still waits).
    Unparked(bool),
    /// Answers [`Detach`](crate::Trap::Detach): `true` if the task existed
    /// and had no joiner (its result, now or later, is dropped), `false`
    /// otherwise (unknown id, or someone already joins it).
    Detached(bool),
}
