//! [`Get`]: the future of [`Queue::get`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Queue;
use crate::task::{WaitReason, Waiter, note_wait};

/// The future of [`Queue::get`]: a leaf future.
///
/// ```text
///                  1. poll: an item is queued (or a putter waits
///                     at capacity 0): take it, let a putter in
///   [Start] ----------------------------------------------> Ready(item)
///      | 2. poll: empty: take a ticket, join the getters' line
///      v
///   [Waiting(ticket)] --3. a put hands us its item (moves it to
///      |                   `served[ticket]`), wakes us --------------+
///      | 4. poll, nothing served: refresh waker, Pending             |
///      |                                                             v
///      |                                 5. poll, served --> Ready(item)
///   drop in Waiting: leave the line (6), or, if an item was already
///                    served, give it back to the front (7)
/// ```
///
/// It is what this `async fn` would be:
///
/// ```text
/// async fn get<T>(q: &Queue<T>) -> T {
///     if let Ok(item) = q.get_nowait() { return item; }  // 1
///     let ticket = q.join_getters(current_waker());      // 2
///     wait_until(|| q.served(ticket)).await;             // 3, 4
///     q.take_served(ticket)                              // 5
/// }
/// ```
///
/// Step 7 is what makes it cancellation-safe: a `select` or `timeout`
/// that drops a getter at the wrong moment cannot lose an item.
///
/// # Examples
/// See [`Queue`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Get<'a, T> {
    /// The queue.
    queue: &'a Queue<T>,
    /// Where the get stands.
    state: State,
}

/// The states of [`Get`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not polled yet.
    Start,
    /// In the getters' line with this ticket.
    Waiting(u64),
    /// Returned its item.
    Done,
}

impl<'a, T> Get<'a, T> {
    /// A get that has not looked yet.
    pub(crate) fn new(queue: &'a Queue<T>) -> Get<'a, T> {
        Get { queue, state: State::Start }
    }
}

impl<T> Future for Get<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut inner = self.queue.inner.borrow_mut();
        match self.state {
            State::Start => {
                // 1
                if let Some((item, woken)) = inner.try_get() {
                    drop(inner);
                    self.state = State::Done;
                    if let Some(w) = woken {
                        w.wake();
                    }
                    return Poll::Ready(item);
                }
                // 2
                let ticket = inner.next_ticket;
                inner.next_ticket += 1;
                inner.getters.insert(ticket, Waiter::from_cx(cx));
                drop(inner);
                self.state = State::Waiting(ticket);
            }
            State::Waiting(ticket) => {
                // 5
                if let Some(item) = inner.served.remove(&ticket) {
                    drop(inner);
                    self.state = State::Done;
                    return Poll::Ready(item);
                }
                // 4
                let stale = match inner.getters.get_mut(&ticket) {
                    Some(w) if !w.will_wake(cx) => Some(std::mem::replace(w, Waiter::from_cx(cx))),
                    _ => None,
                };
                drop(inner);
                drop(stale);
            }
            State::Done => panic!("Get polled after it returned Ready"),
        }
        note_wait(cx, WaitReason::QueueGet);
        Poll::Pending
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        let State::Waiting(ticket) = self.state else { return };
        let (left, woken) = {
            let mut inner = self.queue.inner.borrow_mut();
            match inner.getters.remove(&ticket) {
                // 6
                Some(w) => (Some(w), None),
                // 7
                None => match inner.served.remove(&ticket) {
                    Some(item) => (None, inner.give_back(item)),
                    None => (None, None),
                },
            }
        };
        drop(left);
        if let Some(w) = woken {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").field("state", &self.state).finish_non_exhaustive()
    }
}
