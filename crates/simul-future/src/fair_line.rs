//! The fair line of waiters behind [`Semaphore`](crate::Semaphore) and
//! [`Lock`](crate::Lock) (a lock is a semaphore with one permit): tickets
//! in order, permits *handed* to the oldest waiter, and cancellation that
//! never loses or creates a permit.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::task::{Context, Poll};

use crate::task::{WaitReason, Waiter, note_wait};

/// Free permits and the acquirers waiting for one.
///
/// # Invariant
///
/// `permits > 0` implies `waiting` is empty: a released permit goes to
/// the oldest waiter before it can rest in `permits`.
pub(crate) struct Line {
    /// Permits nobody holds or has been handed.
    pub(crate) permits: usize,
    /// Waiting acquirers by ticket; tickets grow, so the first entry is
    /// the oldest waiter.
    pub(crate) waiting: BTreeMap<u64, Waiter>,
    /// Acquirers that were handed a permit but have not been polled since:
    /// the permit is theirs (and goes back if they are dropped).
    granted: BTreeSet<u64>,
    /// The next ticket.
    next_ticket: u64,
}

impl Line {
    /// A line with `permits` free permits and nobody waiting.
    pub(crate) fn new(permits: usize) -> RefCell<Line> {
        RefCell::new(Line {
            permits,
            waiting: BTreeMap::new(),
            granted: BTreeSet::new(),
            next_ticket: 0,
        })
    }

    /// Takes a free permit, if there is one (by the invariant, free
    /// permits mean nobody waits, so this never barges ahead).
    pub(crate) fn try_take(&mut self) -> bool {
        if self.permits == 0 {
            return false;
        }
        self.permits -= 1;
        true
    }

    /// Returns one permit: hands it to the oldest waiter, if any, whose
    /// waker is given back to be woken once the borrow is over.
    #[must_use]
    pub(crate) fn release(&mut self) -> Option<Waiter> {
        match self.waiting.pop_first() {
            Some((ticket, waiter)) => {
                self.granted.insert(ticket);
                Some(waiter)
            }
            None => {
                self.permits += 1;
                None
            }
        }
    }
}

/// Returns one permit to `line` and wakes whoever it was handed to, after
/// the borrow is over.
pub(crate) fn release(line: &RefCell<Line>) {
    let woken = line.borrow_mut().release();
    if let Some(w) = woken {
        w.wake();
    }
}

/// Where one acquisition stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Not polled yet.
    Start,
    /// In the line with this ticket.
    Waiting(u64),
    /// Got its permit.
    Done,
}

/// One acquirer's place in a [`Line`]: the state machine of
/// [`AcquirePermit`](crate::AcquirePermit) and
/// [`AcquireLock`](crate::AcquireLock).
pub(crate) struct Place<'a> {
    /// The line.
    line: &'a RefCell<Line>,
    /// Where the acquisition stands.
    pub(crate) state: State,
}

impl<'a> Place<'a> {
    /// A place not taken yet.
    pub(crate) fn new(line: &'a RefCell<Line>) -> Place<'a> {
        Place { line, state: State::Start }
    }

    /// Ready once a permit is ours; `name` is the public future's, for the
    /// misuse panic, and `reason` what the task is noted waiting for.
    pub(crate) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        name: &str,
        reason: WaitReason,
    ) -> Poll<()> {
        let mut line = self.line.borrow_mut();
        match self.state {
            State::Start => {
                // 1: free permits imply an empty line (the invariant).
                if line.try_take() {
                    drop(line);
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                // 2
                let ticket = line.next_ticket;
                line.next_ticket += 1;
                line.waiting.insert(ticket, Waiter::from_cx(cx));
                drop(line);
                self.state = State::Waiting(ticket);
            }
            State::Waiting(ticket) => {
                // 5
                if line.granted.remove(&ticket) {
                    drop(line);
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                // 4: polled by someone else (a select, a join) or a
                // spurious wake: keep the newest waker.
                let stale = match line.waiting.get_mut(&ticket) {
                    Some(w) if !w.will_wake(cx) => Some(std::mem::replace(w, Waiter::from_cx(cx))),
                    _ => None,
                };
                drop(line);
                drop(stale);
            }
            State::Done => panic!("{name} polled after it returned Ready"),
        }
        note_wait(cx, reason);
        Poll::Pending
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let State::Waiting(ticket) = self.state else { return };
        let (left, woken) = {
            let mut line = self.line.borrow_mut();
            match line.waiting.remove(&ticket) {
                // 6
                Some(w) => (Some(w), None),
                // 7: we own a permit without a guard; hand it on.
                None if line.granted.remove(&ticket) => (None, line.release()),
                None => (None, None),
            }
        };
        drop(left);
        if let Some(w) = woken {
            w.wake();
        }
    }
}
