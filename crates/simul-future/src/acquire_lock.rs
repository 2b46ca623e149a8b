//! [`AcquireLock`]: the future of [`Lock::acquire`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::fair_line::Place;
use crate::task::WaitReason;
use crate::{Lock, LockGuard};

/// The future of [`Lock::acquire`]: a leaf future.
///
/// ```text
///                  1. poll: unlocked: lock it
///   [Start] ----------------------------------------------> Ready(LockGuard)
///      | 2. poll: locked: take a ticket, join the line
///      v
///   [Waiting(ticket)] --3. LockGuard::drop hands us the lock
///      |                   (granted = ticket), wakes us ------------+
///      | 4. poll, not granted: refresh waker, Pending               |
///      |                                                            v
///      |                              5. poll, granted --> Ready(LockGuard)
///   drop in Waiting: leave the line (6), or, if already granted,
///                    release the lock to the next waiter (7)
/// ```
///
/// It is what this `async fn` would be:
///
/// ```text
/// async fn acquire(lock: &Lock) -> LockGuard<'_> {
///     if let Some(g) = lock.try_acquire() { return g; }  // 1
///     let ticket = lock.join_line(current_waker());      // 2
///     wait_until(|| lock.granted == Some(ticket)).await; // 3, 4
///     LockGuard { lock }                                 // 5
/// }
/// ```
///
/// # Examples
/// See [`Lock`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AcquireLock<'a> {
    /// The lock.
    lock: &'a Lock,
    /// Our place in its line (leaves it, or hands a granted permit on, when
    /// dropped: 6, 7).
    place: Place<'a>,
}

impl<'a> AcquireLock<'a> {
    /// A future that has not asked yet.
    pub(crate) fn new(lock: &'a Lock) -> AcquireLock<'a> {
        AcquireLock { lock, place: Place::new(&lock.line) }
    }
}

impl<'a> Future for AcquireLock<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.lock;
        self.place.poll(cx, "AcquireLock", WaitReason::Lock).map(|()| LockGuard { lock })
    }
}

impl fmt::Debug for AcquireLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireLock").field("state", &self.place.state).finish_non_exhaustive()
    }
}
