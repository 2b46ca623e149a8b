//! [`Put`]: the future of [`Queue::put`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Queue;
use crate::task::{WaitReason, Waiter, note_wait};

/// The future of [`Queue::put`]: a leaf future.
///
/// ```text
///                  1. poll: a getter waits (hand it the item) or
///                     there is room (queue it)
///   [Start(item)] ------------------------------------------> Ready(())
///      | 2. poll: full: take a ticket, leave the item with the
///      |    putters' line
///      v
///   [Waiting(ticket)] --3. a get makes room and moves our item into the
///      |                   queue (or takes it, at capacity 0), wakes us --+
///      | 4. poll, item still in line: refresh waker, Pending              |
///      |                                                                  v
///      |                                   5. poll, item taken --> Ready(())
///   drop in Waiting: withdraw the item if still in line (6): it is
///                    dropped, never queued; if taken, nothing to undo
/// ```
///
/// It is what this `async fn` would be:
///
/// ```text
/// async fn put<T>(q: &Queue<T>, item: T) {
///     let Err(QueueFull(item)) = q.put_nowait(item) else { return };  // 1
///     let ticket = q.join_putters(item, current_waker());             // 2
///     wait_until(|| q.accepted(ticket)).await;                        // 3, 4, 5
/// }
/// ```
///
/// # Examples
/// See [`Queue`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Put<'a, T> {
    /// The queue.
    queue: &'a Queue<T>,
    /// Where the put stands.
    state: State<T>,
}

/// The states of [`Put`].
enum State<T> {
    /// Not polled yet, holding the item.
    Start(T),
    /// The item waits in the putters' line under this ticket.
    Waiting(u64),
    /// The item was accepted.
    Done,
}

// The item is never pinned: it is moved into the queue by value.
impl<T> Unpin for Put<'_, T> {}

impl<'a, T> Put<'a, T> {
    /// A put that has not tried yet.
    pub(crate) fn new(queue: &'a Queue<T>, item: T) -> Put<'a, T> {
        Put { queue, state: State::Start(item) }
    }
}

impl<T> Future for Put<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut inner = this.queue.inner.borrow_mut();
        match std::mem::replace(&mut this.state, State::Done) {
            State::Start(item) => match inner.try_put(item) {
                // 1
                Ok(woken) => {
                    drop(inner);
                    if let Some(w) = woken {
                        w.wake();
                    }
                    return Poll::Ready(());
                }
                // 2
                Err(item) => {
                    let ticket = inner.next_ticket;
                    inner.next_ticket += 1;
                    inner.putters.insert(ticket, (item, Waiter::from_cx(cx)));
                    this.state = State::Waiting(ticket);
                }
            },
            State::Waiting(ticket) => {
                let Some((_, w)) = inner.putters.get_mut(&ticket) else {
                    // 5
                    return Poll::Ready(());
                };
                // 4
                this.state = State::Waiting(ticket);
                let stale = (!w.will_wake(cx)).then(|| std::mem::replace(w, Waiter::from_cx(cx)));
                drop(inner);
                drop(stale);
            }
            State::Done => panic!("Put polled after it returned Ready"),
        }
        note_wait(cx, WaitReason::QueuePut);
        Poll::Pending
    }
}

impl<T> Drop for Put<'_, T> {
    fn drop(&mut self) {
        let State::Waiting(ticket) = self.state else { return };
        // 6: the item and waker are dropped outside the borrow.
        let withdrawn = self.queue.inner.borrow_mut().putters.remove(&ticket);
        drop(withdrawn);
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Start(_) => "Start",
            State::Waiting(_) => "Waiting",
            State::Done => "Done",
        };
        f.debug_struct("Put").field("state", &state).finish_non_exhaustive()
    }
}
