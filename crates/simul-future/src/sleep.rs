//! [`sleep`] and [`sleep_until`]: wait for a moment on the runtime's
//! clock without blocking the loop (asyncio's `await asyncio.sleep(d)`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_reactor::trace::Source;
use simul_reactor::{Instant, TimerKey};

use crate::runtime::{Core, current};
use crate::task::{WaitReason, Waiter, note_wait};

/// Waits until `duration` has passed on the current runtime's clock.
///
/// The deadline is fixed when `sleep` is called inside a runtime (or at
/// the first poll, when it is called outside one). On the virtual clock
/// the wait takes no real time and ends exactly at the deadline; on the
/// real clock it never ends early. `Duration::ZERO` completes at the
/// first poll without suspending (use [`yield_now`](fn@crate::yield_now) to
/// give way).
///
/// # Panics
///
/// Polling it outside a runtime (also after the runtime it was made in
/// was dropped), where there is no clock to wait on: at once, with a
/// message saying so. A sleep polled in another runtime waits there, for
/// its deadline on that runtime's clock.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, join, now, sleep};
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// let elapsed = rt.block_on(async {
///     let start = now();
///     // Two sleeps side by side take as long as the longer one.
///     join(sleep(Duration::from_secs(3)), sleep(Duration::from_secs(2))).await;
///     now() - start
/// })?;
/// assert_eq!(elapsed, Duration::from_secs(3)); // exactly, on the virtual clock
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    match current() {
        Some(core) => sleep_until(core.now().saturating_add(duration)),
        None => Sleep { state: State::After(duration) },
    }
}

/// Waits until the current runtime's clock reads `deadline` (at once if
/// it is past).
///
/// # Panics
///
/// Polling it outside a runtime.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, now, sleep_until};
/// use simul_reactor::{Clock, Instant};
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// let at = rt.block_on(async {
///     sleep_until(Instant::from_nanos(1_500)).await;
///     now()
/// })?;
/// assert_eq!(at, Instant::from_nanos(1_500));
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { state: State::Unregistered(deadline) }
}

/// The time on the current runtime's clock.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, now};
/// use simul_reactor::{Clock, Instant};
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// assert_eq!(rt.block_on(async { now() })?, Instant::ZERO);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn now() -> Instant {
    outside_runtime_check(current()).now()
}

fn outside_runtime_check(core: Option<&'static Core>) -> &'static Core {
    match core {
        Some(core) => core,
        None => panic!(
            "simul_future: timers need a runtime: await this inside Runtime::block_on or a task"
        ),
    }
}

/// The future of [`sleep`] and [`sleep_until`]: a leaf future, written
/// by hand. It is `Unpin` (it holds no other future).
///
/// ```text
///   [After(d)]  (made outside a runtime: the first poll fixes the
///         |      deadline at now + d, then goes on as Unregistered)
///         v
///   [Unregistered] --poll, deadline not reached--> insert a timer
///         |                                        (the task's waker, held
///         |                                         locally) --> [Waiting]
///         | poll, deadline reached                   |  poll by another task:
///         v                                          |  move the timer to it
///   Ready(()) <--- poll, deadline reached ---- [Waiting] <--+
///   (the timer, if still queued, is cancelled;      (the loop pops the due
///    dropping a Waiting sleep cancels it too)        timer and wakes the task)
/// ```
///
/// The `async fn` a sleep stands for cannot be written without a leaf
/// like this one: somewhere a future must hand its waker to the timer
/// queue and return `Pending`.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, Sleep, sleep};
/// use std::time::Duration;
///
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let s: Sleep = sleep(Duration::from_millis(1));
///     s.await;
/// })?;
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    /// Where it is in the diagram above.
    state: State,
}

/// The states of a [`Sleep`]. 48 bytes: the tag shares a word with the
/// runtime's id, so that a spawned sleep fits a 128-byte allocation and an
/// `async` block awaiting one a 144-byte one (see the layout test in
/// `task`).
#[derive(Clone, Copy, Debug)]
enum State {
    /// Made outside a runtime: finish this long after the first poll.
    After(Duration),
    /// Finish at this instant; no timer is queued.
    Unregistered(Instant),
    /// Finish at `deadline`; a timer is queued for it.
    Waiting {
        /// When to finish.
        deadline: Instant,
        /// Which runtime's queue holds the timer (keys mean nothing in
        /// another's queue).
        runtime: Source,
        /// The timer's key in that queue.
        key: TimerKey,
        /// The waker the timer was registered with, as (data, vtable)
        /// addresses: a poll with the same waker need not re-register.
        waker: (usize, usize),
    },
}

impl Sleep {
    /// The deadline, once known.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Instant;
    /// let s = simul_future::sleep_until(Instant::from_nanos(9));
    /// assert_eq!(s.deadline(), Some(Instant::from_nanos(9)));
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::After(_) => None,
            State::Unregistered(t) | State::Waiting { deadline: t, .. } => Some(t),
        }
    }

    /// Moves the deadline (earlier or later), as if the sleep had been
    /// created with `sleep_until(deadline)`; a sleep that completed may be
    /// awaited again after a reset.
    ///
    /// A sleep waiting in its timer keeps waiting: the timer moves to the
    /// new deadline with the waker it had, so the task polling the sleep
    /// is woken then even if something else (another task holding the
    /// sleep, say) made the reset. A deadline already past wakes it at
    /// the loop's next turn. Among timers due at one instant, a reset one
    /// counts as set at its reset.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Runtime, now, sleep};
    /// use simul_reactor::{Clock, Instant};
    /// use std::time::Duration;
    ///
    /// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
    /// let t = rt.block_on(async {
    ///     let mut s = sleep(Duration::from_secs(60));
    ///     s.reset(Instant::from_nanos(5));
    ///     s.await;
    ///     now()
    /// })?;
    /// assert_eq!(t, Instant::from_nanos(5));
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        // Cancelling the timer here instead (as this once did) lost the
        // wake-up of a task whose sleep another task reset: nothing
        // polled the sleep again to queue a new timer, and the task slept
        // for ever (reliability item 7,
        // timer_stress::exactly_the_sleeps_not_cancelled_complete_in_deadline_order_at_exact_times).
        if let State::Waiting { deadline: at, runtime, key, .. } = &mut self.state
            && let Some(core) = current()
            && runtime_id(core) == *runtime
            && core.reset_timer(*key, deadline)
        {
            *at = deadline;
            return;
        }
        // Fired already (its task will poll and look at the new
        // deadline), or in a runtime not reachable from here.
        self.unregister();
        self.state = State::Unregistered(deadline);
    }

    /// Cancels the queued timer, if it is in the current runtime, leaving
    /// the deadline.
    fn unregister(&mut self) {
        if let State::Waiting { deadline, runtime, key, .. } = self.state {
            self.state = State::Unregistered(deadline);
            if let Some(core) = current()
                && runtime_id(core) == runtime
            {
                core.cancel_timer(key);
            }
            // Otherwise the runtime is not reachable from here: its entry
            // fires harmlessly later (a spurious wake) or dies with it.
        }
    }
}

/// The identity of the runtime a core belongs to.
///
/// Not the address of its `Shared`, as it once was: a runtime created
/// after another was dropped often gets the same address, and a sleep
/// left over from the first then took its timer key for one in the new
/// queue: polled there it did not queue a timer (and never woke), and
/// dropped there it cancelled whichever timer of the new runtime had that
/// key, leaving another task asleep forever (reliability item 23; guarded
/// by `timers::a_sleep_from_a_dropped_runtime_...`).
fn runtime_id(core: &Core) -> Source {
    core.id()
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let core = outside_runtime_check(current());
        let now = core.now();
        let deadline = match self.state {
            State::After(d) => now.saturating_add(d),
            State::Unregistered(t) | State::Waiting { deadline: t, .. } => t,
        };
        if now >= deadline {
            self.unregister();
            self.state = State::Unregistered(deadline);
            return Poll::Ready(());
        }
        let waker = (cx.waker().data() as usize, cx.waker().vtable() as *const _ as usize);
        let runtime = runtime_id(core);
        let registered = matches!(self.state,
            State::Waiting { runtime: r, waker: w, .. } if r == runtime && w == waker);
        if !registered {
            self.unregister();
            let key = core.add_timer(deadline, Waiter::from_cx(cx));
            self.state = State::Waiting { deadline, runtime, key, waker };
        }
        note_wait(cx, WaitReason::Sleep(deadline));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
