//! [`QueueJoin`]: the future of [`Queue::join`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Queue;
use crate::task::{WaitReason, Waiter, note_wait};

/// The future of [`Queue::join`]: a leaf future.
///
/// ```text
///             1. poll: nothing unfinished
///   [Start] ------------------------------------------------> Ready(())
///      | 2. poll: items unfinished: take a ticket, join the joiners
///      v
///   [Waiting(ticket)] --3. the last task_done releases every joiner,
///      |                   wakes us ---------------------------------+
///      | 4. poll, still a joiner: refresh waker, Pending              |
///      |                                                              v
///      |                                    5. poll, released --> Ready(())
///   drop in Waiting: leave the joiners (6)
/// ```
///
/// It is what this `async fn` would be:
///
/// ```text
/// async fn join<T>(q: &Queue<T>) {
///     if q.unfinished() == 0 { return }                        // 1
///     let ticket = q.join_joiners(current_waker());            // 2
///     wait_until(|| q.released(ticket)).await;                 // 3, 4, 5
/// }
/// ```
///
/// # Examples
/// See [`Queue::join`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct QueueJoin<'a, T> {
    /// The queue.
    queue: &'a Queue<T>,
    /// Where the join stands.
    state: State,
}

/// The states of [`QueueJoin`].
#[derive(Clone, Copy, Debug)]
enum State {
    /// Not polled yet.
    Start,
    /// Among the joiners under this ticket.
    Waiting(u64),
    /// Completed.
    Done,
}

impl<'a, T> QueueJoin<'a, T> {
    /// A join that has not looked yet.
    pub(crate) fn new(queue: &'a Queue<T>) -> QueueJoin<'a, T> {
        QueueJoin { queue, state: State::Start }
    }
}

impl<T> Future for QueueJoin<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut inner = this.queue.inner.borrow_mut();
        match this.state {
            State::Start => {
                if inner.unfinished == 0 {
                    // 1
                    this.state = State::Done;
                    return Poll::Ready(());
                }
                // 2
                let ticket = inner.next_ticket;
                inner.next_ticket += 1;
                inner.joiners.insert(ticket, Waiter::from_cx(cx));
                this.state = State::Waiting(ticket);
            }
            State::Waiting(ticket) => {
                let Some(w) = inner.joiners.get_mut(&ticket) else {
                    // 5
                    this.state = State::Done;
                    return Poll::Ready(());
                };
                // 4
                let stale = (!w.will_wake(cx)).then(|| std::mem::replace(w, Waiter::from_cx(cx)));
                drop(inner);
                drop(stale);
            }
            State::Done => panic!("QueueJoin polled after it returned Ready"),
        }
        note_wait(cx, WaitReason::QueueJoin);
        Poll::Pending
    }
}

impl<T> Drop for QueueJoin<'_, T> {
    fn drop(&mut self) {
        let State::Waiting(ticket) = self.state else { return };
        // 6: the waker is dropped outside the borrow.
        let left = self.queue.inner.borrow_mut().joiners.remove(&ticket);
        drop(left);
    }
}

impl<T> fmt::Debug for QueueJoin<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueJoin").field("state", &self.state).finish_non_exhaustive()
    }
}
