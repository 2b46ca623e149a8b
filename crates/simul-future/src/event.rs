//! [`Event`]: a flag tasks can wait for (asyncio's `Event`).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::task::{WaitReason, Waiter, note_wait};

/// A flag, initially clear; [`wait`](Event::wait) completes once it is
/// set. Setting it wakes every waiting task; it stays set until
/// [`clear`](Event::clear). Clones share the flag. Local to the
/// runtime's thread (`!Send`), like asyncio's.
///
/// # Examples
///
/// ```
/// use simul_future::{Event, Runtime, spawn, yield_now};
///
/// let mut rt = Runtime::new()?;
/// let woken = rt.block_on(async {
///     let go = Event::new();
///     let waiters: Vec<_> = (0..3)
///         .map(|i| { let go = go.clone(); spawn(async move { go.wait().await; i }) })
///         .collect();
///     yield_now().await;
///     go.set();
///     let mut woken = Vec::new();
///     for w in waiters { woken.push(w.await.unwrap()) }
///     woken
/// })?;
/// assert_eq!(woken, [0, 1, 2]);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
#[derive(Clone, Default)]
pub struct Event {
    /// Shared by clones.
    inner: Rc<RefCell<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// The flag.
    set: bool,
    /// Waiting tasks by ticket; a slot is emptied when its future is
    /// dropped or woken.
    waiters: Vec<Option<Waiter>>,
    /// Bumped by every `set`, so a ticket from before is known as stale.
    epoch: u64,
}

impl Event {
    /// A clear event.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!simul_future::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// # Examples
    /// See [`Event`].
    pub fn set(&self) {
        let mut waiters = {
            let mut inner = self.inner.borrow_mut();
            inner.set = true;
            inner.epoch += 1;
            std::mem::take(&mut inner.waiters)
        };
        // Woken outside the borrow: a foreign waker may run code that
        // uses this event.
        for w in waiters.drain(..).flatten() {
            w.wake();
        }
        // Give the emptied buffer back, so that an event set and waited
        // on in a loop (a handoff) allocates once, not once per wait.
        let mut inner = self.inner.borrow_mut();
        if inner.waiters.capacity() == 0 {
            inner.waiters = waiters;
        }
    }

    /// Clears the flag.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = simul_future::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        self.inner.borrow_mut().set = false;
    }

    /// Whether the flag is set.
    ///
    /// # Examples
    /// See [`clear`](Event::clear).
    pub fn is_set(&self) -> bool {
        self.inner.borrow().set
    }

    /// Waits until the flag is set (at once if it is).
    ///
    /// # Examples
    /// See [`Event`].
    pub fn wait(&self) -> Wait<'_> {
        Wait { event: self, ticket: None }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("set", &self.is_set()).finish_non_exhaustive()
    }
}

/// The future of [`Event::wait`]: a leaf future.
///
/// ```text
///   poll: set? --yes--> Ready(())
///         | no: take a ticket (a slot holding this task) --> Pending
///   (set() empties every slot and wakes each task; dropping the future
///    empties its slot)
/// ```
///
/// A task woken by `set` completes even if the flag was cleared again
/// before it ran: it saw the flag set (asyncio behaves the same).
///
/// # Examples
/// See [`Event`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    /// The event.
    event: &'a Event,
    /// (epoch, slot) of this future's waiter, once it waits.
    ticket: Option<(u64, usize)>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.event.inner.borrow_mut();
        if inner.set {
            drop(inner);
            self.ticket = None;
            return Poll::Ready(());
        }
        match self.ticket {
            // Woken by a set (epoch moved on) that a clear then undid.
            Some((epoch, _)) if epoch != inner.epoch => {
                drop(inner);
                self.ticket = None;
                return Poll::Ready(());
            }
            Some((_, slot)) => {
                let keep = inner.waiters[slot].as_ref().is_some_and(|w| w.will_wake(cx));
                if !keep {
                    inner.waiters[slot] = Some(Waiter::from_cx(cx));
                }
            }
            None => {
                let slot = inner.waiters.len();
                inner.waiters.push(Some(Waiter::from_cx(cx)));
                let epoch = inner.epoch;
                drop(inner);
                self.ticket = Some((epoch, slot));
            }
        }
        note_wait(cx, WaitReason::Event);
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some((epoch, slot)) = self.ticket {
            let removed = {
                let mut inner = self.event.inner.borrow_mut();
                if inner.epoch == epoch {
                    let removed = inner.waiters.get_mut(slot).and_then(Option::take);
                    // Drop emptied slots at the end, so that waits given
                    // up again and again (a `timeout` around `wait` in a
                    // loop) do not grow the list until the next `set`.
                    while inner.waiters.last().is_some_and(Option::is_none) {
                        inner.waiters.pop();
                    }
                    removed
                } else {
                    None
                }
            };
            drop(removed);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::Event;
    use crate::{Runtime, timeout};
    use simul_reactor::Clock;
    use std::time::Duration;

    /// A `timeout` around `wait`, given up 1,000 times with nobody
    /// setting the event, leaves no slot behind.
    #[test]
    fn waits_given_up_in_a_loop_do_not_grow_the_waiter_list() {
        let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
        let e = Event::new();
        rt.block_on(async {
            for _ in 0..1000 {
                assert!(timeout(Duration::from_millis(1), e.wait()).await.is_err());
            }
        })
        .unwrap();
        assert_eq!(e.inner.borrow().waiters.len(), 0);
    }

    /// A handoff through `set` and `wait` reuses the waiter list's buffer.
    #[test]
    fn set_gives_the_emptied_buffer_back() {
        let mut rt = Runtime::new().unwrap();
        let e = Event::new();
        rt.block_on(async {
            let waiter = crate::spawn({
                let e = e.clone();
                async move { e.wait().await }
            });
            crate::yield_now().await;
            let before = e.inner.borrow().waiters.as_ptr();
            e.set();
            assert_eq!(e.inner.borrow().waiters.as_ptr(), before);
            assert!(e.inner.borrow().waiters.is_empty());
            waiter.await.unwrap();
        })
        .unwrap();
    }
}
