//! [`AcquireLock`]: the future of [`Lock::acquire`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::{WaitReason, Waiter, note_wait};
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
    /// Where the acquisition stands.
    state: State,
}

/// The states of [`AcquireLock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not polled yet.
    Start,
    /// In the line with this ticket.
    Waiting(u64),
    /// Returned its guard.
    Done,
}

impl<'a> AcquireLock<'a> {
    /// A future that has not asked yet.
    pub(crate) fn new(lock: &'a Lock) -> AcquireLock<'a> {
        AcquireLock { lock, state: State::Start }
    }
}

impl<'a> Future for AcquireLock<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.lock;
        let mut inner = lock.inner.borrow_mut();
        match self.state {
            State::Start => {
                // 1: unlocked implies nobody waits (the invariant).
                if !inner.locked {
                    inner.locked = true;
                    drop(inner);
                    self.state = State::Done;
                    return Poll::Ready(LockGuard { lock });
                }
                // 2
                let ticket = inner.next_ticket;
                inner.next_ticket += 1;
                inner.waiting.insert(ticket, Waiter::from_cx(cx));
                drop(inner);
                self.state = State::Waiting(ticket);
            }
            State::Waiting(ticket) => {
                // 5
                if inner.granted == Some(ticket) {
                    inner.granted = None;
                    drop(inner);
                    self.state = State::Done;
                    return Poll::Ready(LockGuard { lock });
                }
                // 4
                let stale = match inner.waiting.get_mut(&ticket) {
                    Some(w) if !w.will_wake(cx) => Some(std::mem::replace(w, Waiter::from_cx(cx))),
                    _ => None,
                };
                drop(inner);
                drop(stale);
            }
            State::Done => panic!("AcquireLock polled after it returned Ready"),
        }
        note_wait(cx, WaitReason::Lock);
        Poll::Pending
    }
}

impl Drop for AcquireLock<'_> {
    fn drop(&mut self) {
        let State::Waiting(ticket) = self.state else { return };
        let (left, woken) = {
            let mut inner = self.lock.inner.borrow_mut();
            match inner.waiting.remove(&ticket) {
                // 6
                Some(w) => (Some(w), None),
                // 7: we own the lock without a guard; release it.
                None if inner.granted == Some(ticket) => {
                    inner.granted = None;
                    (None, inner.release())
                }
                None => (None, None),
            }
        };
        drop(left);
        if let Some(w) = woken {
            w.wake();
        }
    }
}

impl fmt::Debug for AcquireLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireLock").field("state", &self.state).finish_non_exhaustive()
    }
}
