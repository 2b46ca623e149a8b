//! [`AcquirePermit`]: the future of [`Semaphore::acquire`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::{WaitReason, Waiter, note_wait};
use crate::{Permit, Semaphore};

/// The future of [`Semaphore::acquire`]: a leaf future.
///
/// ```text
///                  1. poll: permit free
///   [Start] ----------------------------------------------> Ready(Permit)
///      | 2. poll: none free (or others wait): take a ticket,
///      |    join the line with our waker
///      v
///   [Waiting(ticket)] --3. Permit::drop / add_permits hands us one,
///      |                    moves the ticket to `granted`, wakes us-->+
///      | 4. poll, not granted: refresh waker, Pending                 |
///      |                                                              v
///      |                                   5. poll, granted --> Ready(Permit)
///   drop in Waiting: leave the line (6), or, if already granted,
///                    hand the permit on to the next waiter (7)
/// ```
///
/// It is what this `async fn` would be, if the line could be written in
/// safe code:
///
/// ```text
/// async fn acquire(s: &Semaphore) -> Permit<'_> {
///     if let Some(p) = s.try_acquire() { return p; }   // 1
///     let ticket = s.join_line(current_waker());       // 2
///     wait_until(|| s.granted(ticket)).await;          // 3, 4
///     Permit { semaphore: s }                          // 5
/// }
/// ```
///
/// # Examples
/// See [`Semaphore`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AcquirePermit<'a> {
    /// The semaphore.
    semaphore: &'a Semaphore,
    /// Where the acquisition stands.
    state: State,
}

/// The states of [`AcquirePermit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not polled yet.
    Start,
    /// In the line with this ticket.
    Waiting(u64),
    /// Returned its permit.
    Done,
}

impl<'a> AcquirePermit<'a> {
    /// A future that has not asked yet.
    pub(crate) fn new(semaphore: &'a Semaphore) -> AcquirePermit<'a> {
        AcquirePermit { semaphore, state: State::Start }
    }
}

impl<'a> Future for AcquirePermit<'a> {
    type Output = Permit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let semaphore = self.semaphore;
        let mut inner = semaphore.inner.borrow_mut();
        match self.state {
            State::Start => {
                // 1: free permits imply an empty line (the invariant).
                if inner.permits > 0 {
                    inner.permits -= 1;
                    drop(inner);
                    self.state = State::Done;
                    return Poll::Ready(Permit { semaphore });
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
                if inner.granted.remove(&ticket) {
                    drop(inner);
                    self.state = State::Done;
                    return Poll::Ready(Permit { semaphore });
                }
                // 4: polled by someone else (a select, a join) or a
                // spurious wake: keep the newest waker.
                let stale = match inner.waiting.get_mut(&ticket) {
                    Some(w) if !w.will_wake(cx) => Some(std::mem::replace(w, Waiter::from_cx(cx))),
                    _ => None,
                };
                drop(inner);
                drop(stale);
            }
            State::Done => panic!("AcquirePermit polled after it returned Ready"),
        }
        note_wait(cx, WaitReason::Semaphore);
        Poll::Pending
    }
}

impl Drop for AcquirePermit<'_> {
    fn drop(&mut self) {
        let State::Waiting(ticket) = self.state else { return };
        let (left, woken) = {
            let mut inner = self.semaphore.inner.borrow_mut();
            match inner.waiting.remove(&ticket) {
                // 6
                Some(w) => (Some(w), None),
                // 7
                None if inner.granted.remove(&ticket) => (None, inner.release()),
                None => (None, None),
            }
        };
        drop(left);
        if let Some(w) = woken {
            w.wake();
        }
    }
}

impl fmt::Debug for AcquirePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquirePermit").field("state", &self.state).finish_non_exhaustive()
    }
}
