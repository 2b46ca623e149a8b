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
    /// Ticket 0: the first waiter, kept inline, so that an event with one
    /// waiter at a time (a handoff, a start signal) touches no `Vec`.
    first: Option<Waiter>,
    /// Tickets 1, 2, ...: waiters that came while `first` was taken, in
    /// arrival order. A slot is emptied when its future is dropped or
    /// woken.
    rest: Vec<Option<Waiter>>,
    /// Bumped by every `set` that found waiters, so a ticket from before
    /// is known as stale.
    epoch: u64,
}

impl Inner {
    /// The slot of ticket `slot`.
    fn slot(&mut self, slot: usize) -> Option<&mut Option<Waiter>> {
        match slot {
            0 => Some(&mut self.first),
            n => self.rest.get_mut(n - 1),
        }
    }
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
        let (first, mut rest) = {
            let mut inner = self.inner.borrow_mut();
            inner.set = true;
            if inner.first.is_none() && inner.rest.is_empty() {
                // No ticket of this epoch is out (a ticket's slot stays
                // filled until a set or its future's drop): nothing to
                // wake, and nobody to tell that the epoch moved on.
                return;
            }
            inner.epoch += 1;
            let rest =
                if inner.rest.is_empty() { Vec::new() } else { std::mem::take(&mut inner.rest) };
            (inner.first.take(), rest)
        };
        // Woken outside the borrow, in arrival order (`first` came before
        // all of `rest`): a foreign waker may run code that uses this
        // event.
        if let Some(w) = first {
            w.wake();
        }
        if rest.is_empty() {
            return;
        }
        for slot in &mut rest {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        rest.clear();
        // Give the emptied buffer back, so that an event with several
        // waiters set and waited on in a loop allocates once, not once
        // per round.
        let mut inner = self.inner.borrow_mut();
        if inner.rest.capacity() == 0 {
            inner.rest = rest;
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
                let Some(waiter) = inner.slot(slot) else {
                    unreachable!("a ticket of the current epoch names a slot")
                };
                if !waiter.as_ref().is_some_and(|w| w.will_wake(cx)) {
                    let old = waiter.replace(Waiter::from_cx(cx));
                    drop(inner);
                    // A foreign waker's destructor is foreign code: not
                    // inside the borrow.
                    drop(old);
                }
            }
            None => {
                let waiter = Some(Waiter::from_cx(cx));
                // Slot 0 only when nobody else waits, so that slot order
                // stays arrival order.
                let slot = if inner.first.is_none() && inner.rest.is_empty() {
                    inner.first = waiter;
                    0
                } else {
                    inner.rest.push(waiter);
                    inner.rest.len()
                };
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
                    let removed = inner.slot(slot).and_then(Option::take);
                    while inner.rest.last().is_some_and(Option::is_none) {
                        inner.rest.pop();
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
        assert!(e.inner.borrow().first.is_none());
        assert_eq!(e.inner.borrow().rest.len(), 0);
    }

    /// Rounds of three waiters through `set` and `wait` reuse the waiter
    /// list's buffer (the first waiter of a round is kept inline).
    #[test]
    fn set_gives_the_emptied_buffer_back() {
        let mut rt = Runtime::new().unwrap();
        let e = Event::new();
        rt.block_on(async {
            let round = || {
                (0..3)
                    .map(|i| {
                        let e = e.clone();
                        crate::spawn(async move {
                            e.wait().await;
                            i
                        })
                    })
                    .collect::<Vec<_>>()
            };
            let waiters = round();
            crate::yield_now().await;
            assert!(e.inner.borrow().first.is_some());
            assert_eq!(e.inner.borrow().rest.len(), 2);
            let before = e.inner.borrow().rest.as_ptr();
            e.set();
            assert_eq!(e.inner.borrow().rest.as_ptr(), before);
            assert!(e.inner.borrow().rest.is_empty());
            let mut woken = Vec::new();
            for w in waiters {
                woken.push(w.await.unwrap());
            }
            assert_eq!(woken, [0, 1, 2]);
            e.clear();
            let waiters = round();
            crate::yield_now().await;
            assert_eq!(e.inner.borrow().rest.as_ptr(), before);
            e.set();
            for w in waiters {
                w.await.unwrap();
            }
        })
        .unwrap();
    }

    /// Waiters are woken in arrival order even when the inline slot was
    /// given up and taken again: a newcomer waits behind the rest.
    #[test]
    fn wakes_in_arrival_order_after_the_first_waiter_left() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let mut rt = Runtime::new().unwrap();
        let e = Event::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        rt.block_on(async {
            let waiter = |i: u32| {
                let (e, order) = (e.clone(), order.clone());
                crate::spawn(async move {
                    e.wait().await;
                    order.borrow_mut().push(i);
                })
            };
            let first = waiter(0);
            let second = waiter(1);
            crate::yield_now().await;
            // The first waiter (inline) gives up; a third comes.
            first.abort();
            crate::yield_now().await;
            let third = waiter(2);
            crate::yield_now().await;
            e.set();
            second.await.unwrap();
            third.await.unwrap();
        })
        .unwrap();
        assert_eq!(*order.borrow(), [1, 2]);
    }
}
