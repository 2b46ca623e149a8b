//! [`AcquirePermit`]: the future of [`Semaphore::acquire`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::fair_line::Place;
use crate::task::WaitReason;
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
    /// Our place in its line (leaves it, or hands a granted permit on, when
    /// dropped: 6, 7).
    place: Place<'a>,
}

impl<'a> AcquirePermit<'a> {
    /// A future that has not asked yet.
    pub(crate) fn new(semaphore: &'a Semaphore) -> AcquirePermit<'a> {
        AcquirePermit { semaphore, place: Place::new(&semaphore.line) }
    }
}

impl<'a> Future for AcquirePermit<'a> {
    type Output = Permit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let semaphore = self.semaphore;
        self.place.poll(cx, "AcquirePermit", WaitReason::Semaphore).map(|()| Permit { semaphore })
    }
}

impl fmt::Debug for AcquirePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquirePermit").field("state", &self.place.state).finish_non_exhaustive()
    }
}
