//! [`Semaphore`]: a counter of permits that tasks wait for, in the order
//! they asked (asyncio's `Semaphore`, made fair).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::AcquirePermit;
use crate::fair_line::{self, Line};

/// A number of permits; [`acquire`](Semaphore::acquire) waits for one and
/// gives a [`Permit`] that returns it when dropped.
///
/// **Fair.** Waiters get permits strictly in the order they started
/// waiting: a released permit is *handed* to the oldest waiter (it never
/// goes back to the pool while someone waits), and
/// [`try_acquire`](Semaphore::try_acquire) fails while anyone waits, so
/// nobody can barge ahead. (asyncio's semaphore wakes the oldest waiter
/// but lets a newcomer take the permit first; here the newcomer queues.)
///
/// **Cancellation-safe.** Dropping an [`AcquirePermit`] future while it
/// waits removes it from the line; dropping it after a permit was handed
/// to it but before it was polled again hands that permit on to the next
/// waiter. No permit is ever lost or created.
///
/// Clones share the permits. Local to the runtime's thread (`!Send`), as
/// asyncio's are local to their loop: no atomics, no locks.
///
/// # Examples
///
/// At most two of five jobs run at once:
///
/// ```
/// use simul_future::{Runtime, Semaphore, join_all, sleep};
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// rt.block_on(async {
///     let pool = Semaphore::new(2);
///     let jobs = (0..5).map(|_| async {
///         let _permit = pool.acquire().await;
///         sleep(Duration::from_secs(1)).await;
///     });
///     join_all(jobs.collect()).await;
/// })?;
/// // five one-second jobs, two at a time: three rounds
/// assert_eq!(rt.clock().now().since_origin(), Duration::from_secs(3));
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub struct Semaphore {
    /// The permits and their waiters. Shared by clones.
    pub(crate) line: Rc<RefCell<Line>>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_future::Semaphore::new(3).available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore { line: Rc::new(Line::new(permits)) }
    }

    /// Waits for a permit (at once if one is free and nobody waits).
    ///
    /// # Examples
    /// See [`Semaphore`].
    pub fn acquire(&self) -> AcquirePermit<'_> {
        AcquirePermit::new(self)
    }

    /// Takes a permit if one is free and nobody waits for one.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_future::Semaphore::new(1);
    /// let p = s.try_acquire().expect("one is free");
    /// assert!(s.try_acquire().is_none());
    /// drop(p);
    /// assert!(s.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        // By the line's invariant, free permits mean nobody waits.
        // Not `then_some`: a permit built and dropped would be released.
        if self.line.borrow_mut().try_take() { Some(Permit { semaphore: self }) } else { None }
    }

    /// Adds `n` permits, handing them to waiters first.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = simul_future::Semaphore::new(0);
    /// s.add_permits(2);
    /// assert_eq!(s.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        for _ in 0..n {
            fair_line::release(&self.line);
        }
    }

    /// Permits free right now (not counting those handed to waiters that
    /// have not run yet).
    ///
    /// # Examples
    /// See [`Semaphore::new`].
    pub fn available_permits(&self) -> usize {
        self.line.borrow().permits
    }

    /// How many acquirers wait for a permit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_future::Semaphore::new(1).waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        self.line.borrow().waiting.len()
    }
}

impl Clone for Semaphore {
    fn clone(&self) -> Semaphore {
        Semaphore { line: self.line.clone() }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.borrow();
        f.debug_struct("Semaphore")
            .field("permits", &line.permits)
            .field("waiters", &line.waiting.len())
            .finish_non_exhaustive()
    }
}

/// One permit of a [`Semaphore`]; dropping it gives the permit back (to
/// the oldest waiter, if any).
///
/// # Examples
/// See [`Semaphore`].
#[must_use = "the permit is returned as soon as it is dropped"]
pub struct Permit<'a> {
    /// Where the permit goes back.
    pub(crate) semaphore: &'a Semaphore,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        fair_line::release(&self.semaphore.line);
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}
