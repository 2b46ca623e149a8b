//! [`Trap`]: the commands a coroutine yields to the trampoline.

use std::fmt;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::{Coroutine, Reply, TaskId};

/// A coroutine the [`Scheduler`](crate::Scheduler) can run: resumed with
/// [`Reply`]s, yields [`Trap`]s, returns `T`. Boxed, so tasks of different
/// types share one table.
///
/// # Examples
///
/// ```
/// use simul_coro::{CoroutineState::Complete, Reply, Task, from_fn};
/// let t: Task<u8> = Box::new(from_fn(|_: Reply<u8>| Ok(Complete(1))));
/// # drop(t);
/// ```
pub type Task<T> = Box<dyn Coroutine<Reply<T>, Yield = Trap<T>, Return = T>>;

/// A command a coroutine yields to the trampoline; it is resumed with the
/// answer, a [`Reply`].
///
/// This is how pre-`await` asyncio (`yield from` on futures) and curio
/// work: a coroutine cannot block, so when it needs something from the
/// outside world it *asks*, by yielding a command, and the scheduler
/// carries it out. Each trap names the reply it gets:
///
/// | trap                 | reply                           | when                                  |
/// | -------------------- | ------------------------------- | ------------------------------------- |
/// | `Sleep(d)`           | [`Reply::Woke`]                 | `d` later on the scheduler's clock     |
/// | `YieldNow`           | [`Reply::Woke`]                 | after every task already ready        |
/// | `Readable(fd)`       | [`Reply::Io`]                   | when `fd` is readable (or failed) (1) |
/// | `Writable(fd)`       | [`Reply::Io`]                   | when `fd` is writable (or failed) (1) |
/// | `Spawn(task)`        | [`Reply::Spawned`] with its id  | at once; the new task is queued       |
/// | `Join(id)`           | [`Reply::Joined`] with result   | when `id` completes (at once if done) |
/// | `Cancel(id)`         | [`Reply::Cancelled`]            | at once; `id` is dropped              |
/// | `Now`                | [`Reply::Now`]                  | at once                               |
/// | `CurrentTask`        | [`Reply::CurrentTask`]          | at once                               |
/// | `Park`               | [`Reply::Woke`]                 | when another task unparks it          |
/// | `Unpark(id)`         | [`Reply::Unparked`]             | at once; `id` is made ready           |
/// | `Detach(id)`         | [`Reply::Detached`]             | at once                               |
///
/// (1) For the descriptor of a [`net`](crate::net) socket, at once while the
/// socket's readiness bit is set (an event came and no operation has
/// found it empty since), and with `ConnectionAborted` if the socket is
/// dropped meanwhile; see [`Scheduler`](crate::Scheduler), "Descriptors".
///
/// Traps answered "at once" do not give up the turn: the coroutine is
/// resumed again immediately, as curio's kernel does, so spawning a
/// hundred tasks is not a hundred trips through the run queue.
///
/// # Examples
///
/// ```
/// use simul_coro::Trap;
/// use std::time::Duration;
/// let t: Trap<()> = Trap::Sleep(Duration::from_secs(1));
/// assert_eq!(format!("{t:?}"), "Sleep(1s)");
/// ```
pub enum Trap<T> {
    /// Suspend for this long (zero: like `YieldNow`, but via the timers).
    Sleep(Duration),
    /// Go to the back of the run queue, letting every ready task run.
    YieldNow,
    /// Suspend until the descriptor is readable (or hung up / failed).
    Readable(RawFd),
    /// Suspend until the descriptor is writable (or hung up / failed).
    Writable(RawFd),
    /// Start another task; it runs after the tasks already ready.
    Spawn(Task<T>),
    /// Suspend until the task completes; get its result.
    Join(TaskId),
    /// Drop the task now; its joiner gets [`JoinError::Cancelled`](crate::JoinError::Cancelled).
    /// Cancelling oneself ends the current task at once, as cancelled.
    Cancel(TaskId),
    /// Ask for the current time on the scheduler's clock.
    Now,
    /// Ask for one's own [`TaskId`].
    CurrentTask,
    /// Suspend until another task yields `Unpark` with this task's id:
    /// the primitive under events, queues and locks in this style (curio's
    /// kernel has the same pair). There is no lost-wake-up race to guard
    /// against: between checking a condition and parking, no other task
    /// can run, because nothing runs until the coroutine yields.
    Park,
    /// Make a parked task ready (it is resumed with [`Reply::Woke`]).
    Unpark(TaskId),
    /// Nobody will join this task: drop its result as soon as it finishes
    /// (at once if it has), so a server that spawns a task per connection
    /// does not keep one result per connection forever.
    Detach(TaskId),
}

impl<T> fmt::Debug for Trap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Sleep(d) => write!(f, "Sleep({d:?})"),
            Trap::YieldNow => f.write_str("YieldNow"),
            Trap::Readable(fd) => write!(f, "Readable({fd})"),
            Trap::Writable(fd) => write!(f, "Writable({fd})"),
            Trap::Spawn(_) => f.write_str("Spawn(..)"),
            Trap::Join(id) => write!(f, "Join({id})"),
            Trap::Cancel(id) => write!(f, "Cancel({id})"),
            Trap::Now => f.write_str("Now"),
            Trap::CurrentTask => f.write_str("CurrentTask"),
            Trap::Park => f.write_str("Park"),
            Trap::Unpark(id) => write!(f, "Unpark({id})"),
            Trap::Detach(id) => write!(f, "Detach({id})"),
        }
    }
}
