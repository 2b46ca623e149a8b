//! The executor's run queue: tasks to poll, in order.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::task::Header;

/// A FIFO of task pointers, touched only by the runtime's own thread.
///
/// A `RefCell<VecDeque>` would check a borrow flag on every push and pop,
/// four times per task switch on the runtime's hottest path. No check is
/// needed: every method takes the deque, does one operation that calls no
/// code outside `VecDeque` (no waker, no destructor: the entries are plain
/// pointers), and lets go before returning, so no two accesses can
/// overlap. The queue is `!Sync` (and the runtime that holds it `!Send`).
pub(crate) struct RunQueue {
    /// The entries. See the type's docs for why no borrow flag.
    tasks: UnsafeCell<VecDeque<NonNull<Header>>>,
    /// Not `Sync`: one thread at a time.
    _not_sync: PhantomData<*const ()>,
}

impl RunQueue {
    /// An empty queue with room for `capacity` tasks.
    pub(crate) fn with_capacity(capacity: usize) -> RunQueue {
        RunQueue {
            tasks: UnsafeCell::new(VecDeque::with_capacity(capacity)),
            _not_sync: PhantomData,
        }
    }

    /// Runs `f` on the deque.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut VecDeque<NonNull<Header>>) -> R) -> R {
        // SAFETY: the queue is !Sync, so only this thread is here, and
        // `f` is one of the methods below, which call nothing that could
        // reach the queue again: the only live reference is this one.
        f(unsafe { &mut *self.tasks.get() })
    }

    /// Appends a task.
    #[inline]
    pub(crate) fn push_back(&self, ptr: NonNull<Header>) {
        self.with(|q| q.push_back(ptr));
    }

    /// Takes the task at the front.
    #[inline]
    pub(crate) fn pop_front(&self) -> Option<NonNull<Header>> {
        self.with(VecDeque::pop_front)
    }

    /// How many tasks are queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.with(|q| q.len())
    }

    /// Whether no task is queued.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.with(|q| q.is_empty())
    }
}
