//! [`Lock`]: mutual exclusion between tasks, first come first served
//! (asyncio's `Lock`, made fair).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::AcquireLock;
use crate::fair_line::{self, Line};

/// A lock that one task holds at a time; [`acquire`](Lock::acquire) waits
/// for it and gives a [`LockGuard`] that releases it when dropped.
///
/// Why a lock between tasks that never run at the same time? Because a
/// task may `.await` while it is in the middle of an update, and another
/// task may then see it half done. Holding the lock across the `.await`
/// keeps the others out until the update is whole.
///
/// **Fair.** Waiters get the lock in the order they asked: on release the
/// lock is *handed* to the oldest waiter (it never becomes free while
/// someone waits), and [`try_acquire`](Lock::try_acquire) fails while
/// anyone waits.
///
/// **Cancellation-safe.** Dropping an [`AcquireLock`] future while it
/// waits removes it from the line; dropping it after the lock was handed
/// to it, before it ran, hands the lock on to the next waiter (or frees
/// it). The lock is never left held by nobody.
///
/// It guards no data (like asyncio's); keep the data beside it, in a
/// `RefCell`, and borrow it only while holding the guard. Clones share
/// the lock. Local to the runtime's thread (`!Send`).
///
/// # Examples
///
/// Two tasks each read a balance, wait, and write it back plus one. With
/// the lock, neither update is lost:
///
/// ```
/// use simul_future::{Lock, Runtime, join, yield_now};
/// use std::cell::Cell;
///
/// let mut rt = Runtime::new()?;
/// let balance = Cell::new(0);
/// let lock = Lock::new();
/// let deposit = || async {
///     let _guard = lock.acquire().await;
///     let read = balance.get();
///     yield_now().await; // the other task runs here
///     balance.set(read + 1);
/// };
/// rt.block_on(join(deposit(), deposit()))?;
/// assert_eq!(balance.get(), 2); // without the lock: 1
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub struct Lock {
    /// A line with one permit: free when unlocked. Shared by clones.
    pub(crate) line: Rc<RefCell<Line>>,
}

impl Lock {
    /// An unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!simul_future::Lock::new().is_locked());
    /// ```
    pub fn new() -> Lock {
        Lock { line: Rc::new(Line::new(1)) }
    }

    /// Waits for the lock (at once if it is free).
    ///
    /// # Examples
    /// See [`Lock`].
    pub fn acquire(&self) -> AcquireLock<'_> {
        AcquireLock::new(self)
    }

    /// Takes the lock if it is free.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = simul_future::Lock::new();
    /// let guard = lock.try_acquire().expect("free");
    /// assert!(lock.is_locked() && lock.try_acquire().is_none());
    /// drop(guard);
    /// assert!(!lock.is_locked());
    /// ```
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        // Not `then_some`: a guard built and dropped would release the lock.
        if self.line.borrow_mut().try_take() { Some(LockGuard { lock: self }) } else { None }
    }

    /// Whether someone holds the lock (or it was handed to a waiter that
    /// has not run yet).
    ///
    /// # Examples
    /// See [`Lock::try_acquire`].
    pub fn is_locked(&self) -> bool {
        self.line.borrow().permits == 0
    }

    /// How many acquirers wait.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_future::Lock::new().waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        self.line.borrow().waiting.len()
    }
}

impl Default for Lock {
    fn default() -> Lock {
        Lock::new()
    }
}

impl Clone for Lock {
    fn clone(&self) -> Lock {
        Lock { line: self.line.clone() }
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.borrow();
        f.debug_struct("Lock")
            .field("locked", &(line.permits == 0))
            .field("waiters", &line.waiting.len())
            .finish_non_exhaustive()
    }
}

/// Proof of holding a [`Lock`]; dropping it releases the lock (to the
/// oldest waiter, if any).
///
/// # Examples
/// See [`Lock`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    /// The held lock.
    pub(crate) lock: &'a Lock,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        fair_line::release(&self.lock.line);
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}
