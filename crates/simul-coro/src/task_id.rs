//! [`TaskId`]: the trampoline's name for one coroutine it runs.

use std::fmt;

/// Names one task of a [`Scheduler`](crate::Scheduler): returned by
/// [`Scheduler::spawn`](crate::Scheduler::spawn) and by the
/// [`Trap::Spawn`](crate::Trap::Spawn) trap, and given back in
/// [`Trap::Join`](crate::Trap::Join) and [`Trap::Cancel`](crate::Trap::Cancel).
///
/// An id is a slot of the scheduler's task table plus a *generation*:
/// when a task is gone (joined, or cancelled and reported) its slot is
/// reused under the next generation, so an old id never names the new
/// task. Displayed as `task 3` (generation 0) or `task 3.1`.
///
/// # Examples
///
/// ```
/// use simul_coro::{Reply, Scheduler, Trap, from_fn};
///
/// let mut s = Scheduler::<u32>::with_clock(simul_reactor::Clock::new_virtual())?;
/// let id = s.spawn(from_fn(|_: Reply<u32>| Ok(simul_coro::CoroutineState::Complete(7))));
/// assert_eq!(id.to_string(), "task 0");
/// s.run_all()?;
/// assert_eq!(s.take_result(id), Some(Ok(7)));
/// # let _ = Trap::<u32>::YieldNow;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    /// Index in the task table.
    pub(crate) slot: u32,
    /// How many tasks used this slot before.
    pub(crate) generation: u32,
}

impl TaskId {
    /// The id as one number, unique among the ids of its scheduler: the
    /// slot in the low 32 bits, the generation above. The shared
    /// [trace](simul_reactor::trace) uses it as the task's
    /// [`Unit`](simul_reactor::trace::Unit) local id, so a reused slot is a
    /// new lane.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{CoroutineState::Complete, Reply, Scheduler, from_fn};
    /// let mut s = Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
    /// let first = s.spawn(from_fn(|_: Reply<()>| Ok(Complete(()))));
    /// s.run_all()?;
    /// s.take_result(first);
    /// let second = s.spawn(from_fn(|_: Reply<()>| Ok(Complete(()))));
    /// assert_eq!((first.number(), second.number()), (0, 1 << 32), "slot 0 reused");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn number(self) -> u64 {
        ((self.generation as u64) << 32) | self.slot as u64
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.generation == 0 {
            write!(f, "task {}", self.slot)
        } else {
            write!(f, "task {}.{}", self.slot, self.generation)
        }
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({self})")
    }
}
