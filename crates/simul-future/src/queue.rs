//! [`Queue`]: a first-in first-out queue between tasks, bounded or not
//! (asyncio's `Queue`), with its errors [`QueueFull`] and [`QueueEmpty`].

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::rc::Rc;

use crate::task::Waiter;
use crate::{Get, Put, QueueJoin};

/// A first-in first-out queue of `T` between tasks of one runtime.
///
/// [`put`](Queue::put) waits while a bounded queue is full;
/// [`get`](Queue::get) waits while the queue is empty. The `_nowait`
/// forms never wait and return [`QueueFull`] / [`QueueEmpty`] instead.
///
/// **Fair.** Waiting getters are served in the order they began to wait,
/// and so are waiting putters: an item put while getters wait is *handed*
/// to the oldest getter (it never rests in the queue where a newcomer
/// could take it), and room made while putters wait is filled by the
/// oldest putter's item. The `_nowait` forms do not barge either: they
/// fail while others wait for the same thing.
///
/// **Cancellation-safe.** Dropping a [`Get`] future while it waits
/// removes it from the line; dropping it after an item was handed to it,
/// before it ran, puts that item back at the *front* (or hands it to the
/// next getter), so no item is lost and order is kept. Dropping a [`Put`]
/// future while it waits withdraws its item (it was never in the queue,
/// so it is dropped with the future); once the item was accepted, the put
/// has happened and dropping the future changes nothing. No item is ever
/// duplicated.
///
/// A capacity of 0 makes a rendezvous: a put completes only when a get
/// takes its item directly. Clones share the queue. Local to the
/// runtime's thread (`!Send`), as asyncio's is local to its loop.
///
/// # Examples
///
/// A producer and a slower consumer through a queue of two:
///
/// ```
/// use simul_future::{Queue, Runtime, join, now, sleep};
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// let got = rt.block_on(async {
///     let q = Queue::bounded(2);
///     let producer = async {
///         for i in 0..4 {
///             q.put(i).await; // waits while two are queued
///         }
///     };
///     let consumer = async {
///         let mut got = Vec::new();
///         for _ in 0..4 {
///             sleep(Duration::from_secs(1)).await;
///             got.push((q.get().await, now().since_origin().as_secs()));
///         }
///         got
///     };
///     join(producer, consumer).await.1
/// })?;
/// assert_eq!(got, [(0, 1), (1, 2), (2, 3), (3, 4)]);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub struct Queue<T> {
    /// Shared by clones.
    pub(crate) inner: Rc<RefCell<Inner<T>>>,
}

/// The state behind a [`Queue`].
///
/// # Invariant
///
/// * `getters` not empty implies `items` and `putters` are empty (an item
///   meets a waiting getter before it can rest in the queue);
/// * `putters` not empty implies `getters` is empty and the queue is full.
///
/// `items` may hold one more than `capacity` for a while, after a
/// cancelled getter gave back its item with nobody waiting to take it.
pub(crate) struct Inner<T> {
    /// The queued items, oldest first.
    pub(crate) items: VecDeque<T>,
    /// At most this many queued items; `None`: unbounded.
    pub(crate) capacity: Option<usize>,
    /// Waiting getters by ticket; the first entry is the oldest.
    pub(crate) getters: BTreeMap<u64, Waiter>,
    /// Items handed to getters that have not been polled since.
    pub(crate) served: BTreeMap<u64, T>,
    /// Waiting putters by ticket, each with its item. A ticket that has
    /// left this map (and was not withdrawn) had its item accepted.
    pub(crate) putters: BTreeMap<u64, (T, Waiter)>,
    /// The next ticket (shared by getters, putters and joiners).
    pub(crate) next_ticket: u64,
    /// Items accepted (queued or handed over) for which
    /// [`Queue::task_done`] has not been called yet: asyncio's
    /// `unfinished_tasks`.
    pub(crate) unfinished: usize,
    /// Tasks in [`Queue::join`] by ticket. A ticket that has left this map
    /// (and was not withdrawn) was released: `unfinished` reached zero.
    pub(crate) joiners: BTreeMap<u64, Waiter>,
}

impl<T> Inner<T> {
    /// Whether one more item fits in `items`.
    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|c| self.items.len() < c)
    }

    /// Puts without waiting: hands `item` to the oldest getter (whose
    /// waker is returned, to be woken once the borrow is over), or queues
    /// it, or gives it back.
    pub(crate) fn try_put(&mut self, item: T) -> Result<Option<Waiter>, T> {
        if let Some((ticket, waiter)) = self.getters.pop_first() {
            self.served.insert(ticket, item);
            self.unfinished += 1;
            return Ok(Some(waiter));
        }
        if self.putters.is_empty() && self.has_room() {
            self.items.push_back(item);
            self.unfinished += 1;
            return Ok(None);
        }
        Err(item)
    }

    /// Gets without waiting: the oldest item, refilled from the oldest
    /// putter; or, at capacity 0, a waiting putter's item directly. The
    /// putter to wake is returned beside the item.
    pub(crate) fn try_get(&mut self) -> Option<(T, Option<Waiter>)> {
        if let Some(item) = self.items.pop_front() {
            let mut woken = None;
            if self.has_room()
                && let Some((_, (next, waiter))) = self.putters.pop_first()
            {
                self.items.push_back(next);
                self.unfinished += 1;
                woken = Some(waiter);
            }
            return Some((item, woken));
        }
        let (_, (item, waiter)) = self.putters.pop_first()?;
        self.unfinished += 1;
        Some((item, Some(waiter)))
    }

    /// Takes back an item handed to a getter that was dropped before it
    /// ran: to the next getter, or to the front of the queue.
    pub(crate) fn give_back(&mut self, item: T) -> Option<Waiter> {
        if let Some((ticket, waiter)) = self.getters.pop_first() {
            self.served.insert(ticket, item);
            return Some(waiter);
        }
        self.items.push_front(item);
        None
    }
}

impl<T> Queue<T> {
    /// A queue that is never full.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = simul_future::Queue::unbounded();
    /// for i in 0..1000 { q.put_nowait(i).unwrap(); }
    /// assert_eq!((q.len(), q.capacity()), (1000, None));
    /// ```
    pub fn unbounded() -> Queue<T> {
        Queue::with_capacity(None)
    }

    /// A queue of at most `capacity` items; 0 makes a rendezvous (see
    /// [`Queue`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Queue, QueueFull};
    /// let q = Queue::bounded(1);
    /// q.put_nowait('a').unwrap();
    /// assert_eq!(q.put_nowait('b'), Err(QueueFull('b')));
    /// ```
    pub fn bounded(capacity: usize) -> Queue<T> {
        Queue::with_capacity(Some(capacity))
    }

    /// The common constructor.
    fn with_capacity(capacity: Option<usize>) -> Queue<T> {
        let inner = Inner {
            items: VecDeque::new(),
            capacity,
            getters: BTreeMap::new(),
            served: BTreeMap::new(),
            putters: BTreeMap::new(),
            next_ticket: 0,
            unfinished: 0,
            joiners: BTreeMap::new(),
        };
        Queue { inner: Rc::new(RefCell::new(inner)) }
    }

    /// Puts `item` at the back, waiting while the queue is full.
    ///
    /// # Examples
    /// See [`Queue`].
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put::new(self, item)
    }

    /// Takes the front item, waiting while the queue is empty.
    ///
    /// # Examples
    /// See [`Queue`].
    pub fn get(&self) -> Get<'_, T> {
        Get::new(self)
    }

    /// Puts `item` at the back if there is room and no putter waits (or
    /// hands it to a waiting getter).
    ///
    /// # Errors
    ///
    /// [`QueueFull`], holding `item`, when it does not fit.
    ///
    /// # Examples
    /// See [`Queue::bounded`].
    pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        let woken = self.inner.borrow_mut().try_put(item).map_err(QueueFull)?;
        if let Some(w) = woken {
            w.wake();
        }
        Ok(())
    }

    /// Takes the front item if there is one.
    ///
    /// # Errors
    ///
    /// [`QueueEmpty`] when there is none.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Queue, QueueEmpty};
    /// let q = Queue::unbounded();
    /// q.put_nowait(1).unwrap();
    /// assert_eq!(q.get_nowait(), Ok(1));
    /// assert_eq!(q.get_nowait(), Err(QueueEmpty));
    /// ```
    pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
        let (item, woken) = self.inner.borrow_mut().try_get().ok_or(QueueEmpty)?;
        if let Some(w) = woken {
            w.wake();
        }
        Ok(item)
    }

    /// How many items are queued (not counting waiting putters' items).
    ///
    /// # Examples
    /// See [`Queue::unbounded`].
    pub fn len(&self) -> usize {
        self.inner.borrow().items.len()
    }

    /// Whether no item is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_future::Queue::<u8>::unbounded().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.borrow().items.is_empty()
    }

    /// Whether a put would have to wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = simul_future::Queue::bounded(1);
    /// q.put_nowait(()).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        let inner = self.inner.borrow();
        inner.getters.is_empty() && (!inner.putters.is_empty() || !inner.has_room())
    }

    /// Marks one item taken from the queue as processed (asyncio's
    /// `Queue.task_done`). Every accepted item (queued, or handed straight
    /// to a waiting getter) counts as unfinished until a `task_done`; when
    /// the count reaches zero, every task in [`join`](Queue::join) is
    /// released.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] when called more times than items were put
    /// (asyncio raises `ValueError`); the count stays at zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Queue, TaskDoneError};
    /// let q = Queue::unbounded();
    /// q.put_nowait("job").unwrap();
    /// let _job = q.get_nowait().unwrap();
    /// assert_eq!(q.unfinished(), 1);
    /// q.task_done().unwrap();
    /// assert_eq!(q.unfinished(), 0);
    /// assert_eq!(q.task_done(), Err(TaskDoneError));
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let released = {
            let mut inner = self.inner.borrow_mut();
            if inner.unfinished == 0 {
                return Err(TaskDoneError);
            }
            inner.unfinished -= 1;
            if inner.unfinished > 0 {
                return Ok(());
            }
            std::mem::take(&mut inner.joiners)
        };
        // Woken outside the borrow: a waker may run code that uses the queue.
        for waiter in released.into_values() {
            waiter.wake();
        }
        Ok(())
    }

    /// Waits until every item put so far has been processed: until
    /// [`unfinished`](Queue::unfinished) is zero (asyncio's `Queue.join`).
    /// Completes at once if it is zero already. A task released by the
    /// count reaching zero completes even if new items arrive before it
    /// runs, as asyncio's does.
    ///
    /// # Examples
    ///
    /// A producer waits for its workers to finish every job:
    ///
    /// ```
    /// use simul_future::{Queue, Runtime, now, sleep, spawn};
    /// use simul_reactor::Clock;
    /// use std::time::Duration;
    ///
    /// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
    /// let done_at = rt.block_on(async {
    ///     let q = Queue::unbounded();
    ///     for secs in [3, 1, 2] {
    ///         q.put_nowait(secs).unwrap();
    ///     }
    ///     for _ in 0..2 {
    ///         let q = q.clone();
    ///         spawn(async move {
    ///             loop {
    ///                 let secs = q.get().await;
    ///                 sleep(Duration::from_secs(secs)).await;
    ///                 q.task_done().unwrap();
    ///             }
    ///         });
    ///     }
    ///     q.join().await;
    ///     now().since_origin()
    /// })?;
    /// // Worker A: 3 s; worker B: 1 s, then 2 s. All done at 3 s.
    /// assert_eq!(done_at, Duration::from_secs(3));
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    pub fn join(&self) -> QueueJoin<'_, T> {
        QueueJoin::new(self)
    }

    /// How many accepted items still await [`task_done`](Queue::task_done).
    ///
    /// # Examples
    /// See [`Queue::task_done`].
    pub fn unfinished(&self) -> usize {
        self.inner.borrow().unfinished
    }

    /// The bound, or `None` for an unbounded queue.
    ///
    /// # Examples
    /// See [`Queue::unbounded`].
    pub fn capacity(&self) -> Option<usize> {
        self.inner.borrow().capacity
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Queue<T> {
        Queue { inner: self.inner.clone() }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("Queue")
            .field("len", &inner.items.len())
            .field("capacity", &inner.capacity)
            .field("getters", &inner.getters.len())
            .field("putters", &inner.putters.len())
            .field("unfinished", &inner.unfinished)
            .finish_non_exhaustive()
    }
}

/// [`Queue::put_nowait`] found no room; the item comes back.
///
/// # Examples
/// See [`Queue::bounded`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct QueueFull<T>(pub T);

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is full")
    }
}

impl<T: fmt::Debug> std::error::Error for QueueFull<T> {}

/// [`Queue::get_nowait`] found no item.
///
/// # Examples
/// See [`Queue::get_nowait`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct QueueEmpty;

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is empty")
    }
}

impl std::error::Error for QueueEmpty {}

/// [`Queue::task_done`] was called more times than items were put.
///
/// # Examples
/// See [`Queue::task_done`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Queue::task_done called more times than there were items")
    }
}

impl std::error::Error for TaskDoneError {}
