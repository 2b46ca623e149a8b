//! [`Call`]: one trap as a typed sub-coroutine, for `yield from`.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use simul_reactor::Instant;

use crate::{Coroutine, CoroutineState, JoinError, Reply, Resume, ResumeError, Task, TaskId, Trap};

/// One trap and its answer, packaged as a coroutine that yields the trap
/// once and returns the answer *typed*: `Call::now()` returns an
/// [`Instant`], `Call::join(id)` a `Result<T, JoinError>`.
///
/// This is how asyncio looked before `await`: `yield from
/// asyncio.sleep(1)` delegated to a tiny generator that yielded a future to
/// the loop and returned its result. With [`yield_from!`](crate::yield_from!),
/// a hand-written task writes `let t = yield_from!(call, reply)` and never
/// matches on [`Reply`] variants itself.
///
/// ```text
///   +-------------+  resume(_): yield trap   +---------+  resume(answer): return it
///   | Start{trap} | -----------------------> | Waiting | --------------------------+
///   +-------------+                          +---------+                           v
///                          resume(anything else): Err(UnexpectedInput)         +------+
///                                                                              | Done |
///                                                                              +------+
/// ```
///
/// # Examples
///
/// ```python
/// def nap():
///     t0 = yield from now()
///     yield from sleep(1.5)
///     return (yield from now()) - t0
/// ```
///
/// ```
/// use simul_coro::{yield_from, Call, Coroutine, CoroutineState::*, Reply, Resume, ResumeError, Scheduler, Trap};
/// use simul_reactor::Instant;
/// use std::time::Duration;
///
/// enum Nap {
///     Start,
///     AskingStart(Call<Duration, Instant>),
///     Sleeping(Instant, Call<Duration, ()>),
///     AskingEnd(Instant, Call<Duration, Instant>),
///     Done,
/// }
///
/// impl Coroutine<Reply<Duration>> for Nap {
///     type Yield = Trap<Duration>;
///     type Return = Duration;
///     fn resume(&mut self, mut reply: Reply<Duration>) -> Resume<Trap<Duration>, Duration> {
///         loop {
///             match self {
///                 Nap::Start => *self = Nap::AskingStart(Call::now()),
///                 Nap::AskingStart(call) => {
///                     let t0 = yield_from!(call, reply);
///                     *self = Nap::Sleeping(t0, Call::sleep(Duration::from_millis(1500)));
///                 }
///                 Nap::Sleeping(t0, call) => {
///                     yield_from!(call, reply);
///                     *self = Nap::AskingEnd(*t0, Call::now());
///                 }
///                 Nap::AskingEnd(t0, call) => {
///                     let t1 = yield_from!(call, reply);
///                     let slept = t1 - *t0;
///                     *self = Nap::Done;
///                     return Ok(Complete(slept));
///                 }
///                 Nap::Done => return Err(ResumeError::AfterCompletion),
///             }
///             // Entering a new delegation: the sub-call starts fresh.
///             reply = Reply::Start;
///         }
///     }
/// }
///
/// let mut s = Scheduler::with_clock(simul_reactor::Clock::new_virtual())?;
/// assert_eq!(s.run(Nap::Start)?, Duration::from_millis(1500));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct Call<T, R> {
    /// Where the call stands.
    state: CallState<T>,
    /// Turns the matching reply into the result; `None` for any other.
    decode: fn(Reply<T>) -> Option<R>,
    /// The reply variant `decode` accepts, for the error message.
    expected: &'static str,
}

/// The states of a [`Call`].
enum CallState<T> {
    /// Not resumed yet; holds the trap to yield.
    Start(Trap<T>),
    /// The trap was yielded; waiting for its answer.
    Waiting,
    /// Returned.
    Done,
}

impl<T, R> Call<T, R> {
    fn new(trap: Trap<T>, decode: fn(Reply<T>) -> Option<R>, expected: &'static str) -> Self {
        Call { state: CallState::Start(trap), decode, expected }
    }
}

impl<T> Call<T, ()> {
    /// `Sleep(d)`; returns `()`.
    ///
    /// # Examples
    ///
    /// See [`Call`].
    pub fn sleep(d: Duration) -> Self {
        Call::new(Trap::Sleep(d), |r| matches!(r, Reply::Woke).then_some(()), "Reply::Woke")
    }

    /// `YieldNow`; returns `()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Call, Coroutine, CoroutineState::*, Reply};
    /// let mut c = Call::<(), ()>::yield_now();
    /// assert!(matches!(c.resume(Reply::Start), Ok(Yielded(_))));
    /// assert!(matches!(c.resume(Reply::Woke), Ok(Complete(()))));
    /// ```
    pub fn yield_now() -> Self {
        Call::new(Trap::YieldNow, |r| matches!(r, Reply::Woke).then_some(()), "Reply::Woke")
    }

    /// `Park`; returns `()` once unparked.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Call, Coroutine, Reply, ResumeError};
    /// let mut c = Call::<(), ()>::park();
    /// let _ = c.resume(Reply::Start);
    /// assert_eq!(
    ///     c.resume(Reply::Now(simul_reactor::Instant::ZERO)).unwrap_err(),
    ///     ResumeError::UnexpectedInput { expected: "Reply::Woke" }
    /// );
    /// ```
    pub fn park() -> Self {
        Call::new(Trap::Park, |r| matches!(r, Reply::Woke).then_some(()), "Reply::Woke")
    }
}

impl<T> Call<T, io::Result<()>> {
    /// `Readable(fd)`; returns the wait's outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Call, Coroutine, CoroutineState::*, Reply};
    /// let mut c = Call::<(), _>::readable(0);
    /// let _ = c.resume(Reply::Start);
    /// assert!(matches!(c.resume(Reply::Io(Ok(()))), Ok(Complete(Ok(())))));
    /// ```
    pub fn readable(fd: RawFd) -> Self {
        Call::new(Trap::Readable(fd), io_reply, "Reply::Io")
    }

    /// `Writable(fd)`; returns the wait's outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = simul_coro::Call::<(), _>::writable(1);
    /// ```
    pub fn writable(fd: RawFd) -> Self {
        Call::new(Trap::Writable(fd), io_reply, "Reply::Io")
    }
}

fn io_reply<T>(r: Reply<T>) -> Option<io::Result<()>> {
    match r {
        Reply::Io(res) => Some(res),
        _ => None,
    }
}

impl<T> Call<T, TaskId> {
    /// `Spawn(task)`; returns the new task's id.
    ///
    /// # Examples
    ///
    /// See [`Call::join`].
    pub fn spawn(task: Task<T>) -> Self {
        Call::new(
            Trap::Spawn(task),
            |r| match r {
                Reply::Spawned(id) => Some(id),
                _ => None,
            },
            "Reply::Spawned",
        )
    }

    /// `CurrentTask`; returns the running task's id.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = simul_coro::Call::<(), _>::current_task();
    /// ```
    pub fn current_task() -> Self {
        Call::new(
            Trap::CurrentTask,
            |r| match r {
                Reply::CurrentTask(id) => Some(id),
                _ => None,
            },
            "Reply::CurrentTask",
        )
    }
}

impl<T> Call<T, Result<T, JoinError>> {
    /// `Join(id)`; returns the task's result.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Call, Coroutine, CoroutineState::*, Reply, Scheduler, from_fn};
    ///
    /// // yield from spawn(child) and yield from join(id), chained with and_then.
    /// let child = Box::new(from_fn(|_: Reply<u8>| Ok(Complete(6))));
    /// let main = Call::spawn(child)
    ///     .and_then(Call::join)
    ///     .map_return(|r| r.map_or(0, |v| v * 7));
    /// let mut s = Scheduler::with_clock(simul_reactor::Clock::new_virtual())?;
    /// assert_eq!(s.run(main)?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn join(id: TaskId) -> Self {
        Call::new(
            Trap::Join(id),
            |r| match r {
                Reply::Joined(res) => Some(res),
                _ => None,
            },
            "Reply::Joined",
        )
    }
}

impl<T> Call<T, bool> {
    /// `Cancel(id)`; returns whether the task was still alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = simul_coro::Call::<(), _>::cancel;
    /// ```
    pub fn cancel(id: TaskId) -> Self {
        Call::new(
            Trap::Cancel(id),
            |r| match r {
                Reply::Cancelled(was) => Some(was),
                _ => None,
            },
            "Reply::Cancelled",
        )
    }

    /// `Detach(id)`; returns whether the task could be detached.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = simul_coro::Call::<(), _>::detach;
    /// ```
    pub fn detach(id: TaskId) -> Self {
        Call::new(
            Trap::Detach(id),
            |r| match r {
                Reply::Detached(was) => Some(was),
                _ => None,
            },
            "Reply::Detached",
        )
    }

    /// `Unpark(id)`; returns whether the task was parked.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = simul_coro::Call::<(), _>::unpark;
    /// ```
    pub fn unpark(id: TaskId) -> Self {
        Call::new(
            Trap::Unpark(id),
            |r| match r {
                Reply::Unparked(was) => Some(was),
                _ => None,
            },
            "Reply::Unparked",
        )
    }
}

impl<T> Call<T, Instant> {
    /// `Now`; returns the scheduler's current time.
    ///
    /// # Examples
    ///
    /// See [`Call`].
    pub fn now() -> Self {
        Call::new(
            Trap::Now,
            |r| match r {
                Reply::Now(t) => Some(t),
                _ => None,
            },
            "Reply::Now",
        )
    }
}

impl<T, R> Coroutine<Reply<T>> for Call<T, R> {
    type Yield = Trap<T>;
    type Return = R;

    fn resume(&mut self, reply: Reply<T>) -> Resume<Trap<T>, R> {
        match std::mem::replace(&mut self.state, CallState::Waiting) {
            CallState::Start(trap) => Ok(CoroutineState::Yielded(trap)),
            CallState::Waiting => match (self.decode)(reply) {
                Some(r) => {
                    self.state = CallState::Done;
                    Ok(CoroutineState::Complete(r))
                }
                None => Err(ResumeError::UnexpectedInput { expected: self.expected }),
            },
            CallState::Done => {
                self.state = CallState::Done;
                Err(ResumeError::AfterCompletion)
            }
        }
    }
}
