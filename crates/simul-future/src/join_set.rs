//! [`JoinSet`]: a group of tasks owned together (asyncio's `TaskGroup`),
//! cancelled together when the set is dropped.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::task::{WaitReason, Waiter, note_wait};
use crate::{JoinError, JoinHandle};

/// A set of spawned tasks with one owner: results come out as tasks
/// finish ([`join_next`](JoinSet::join_next)), and dropping the set
/// aborts every task still in it, so no task outlives its owner by
/// accident (structured concurrency, as asyncio's `TaskGroup`).
///
/// # Examples
///
/// ```
/// use simul_future::{JoinSet, Runtime, yield_now};
///
/// let mut rt = Runtime::new()?;
/// let finished = rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..3u32 {
///         set.spawn(async move {
///             for _ in 0..(3 - i) { yield_now().await }
///             i
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(r) = set.join_next().await {
///         order.push(r.unwrap());
///     }
///     order
/// })?;
/// assert_eq!(finished, [2, 1, 0]); // in the order they finished
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub struct JoinSet<T> {
    /// The tasks not yet returned by `join_next`, by key (spawn order).
    handles: BTreeMap<u64, JoinHandle<T>>,
    /// Keys of finished tasks, in finishing order, and who to wake.
    finished: Rc<RefCell<Finished>>,
    /// The next key.
    next_key: u64,
}

/// What the tasks of a set tell their set.
#[derive(Default)]
struct Finished {
    /// Keys of members whose future is gone, in that order.
    keys: VecDeque<u64>,
    /// The task waiting in `join_next`.
    waiter: Option<Waiter>,
}

pin_project_lite::pin_project! {
    /// A member's future, wrapped so that its end (output, panic or
    /// cancellation: the future is dropped in every case) is reported.
    struct Member<F> {
        #[pin]
        future: F,
        // Declared after `future`, so dropped after it.
        report: Report,
    }
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// Reports a member's key to its set when dropped.
struct Report {
    /// The member.
    key: u64,
    /// The set's shared list.
    finished: Rc<RefCell<Finished>>,
}

impl Drop for Report {
    fn drop(&mut self) {
        let mut f = self.finished.borrow_mut();
        f.keys.push_back(self.key);
        let waiter = f.waiter.take();
        drop(f);
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set: simul_future::JoinSet<()> = simul_future::JoinSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet { handles: BTreeMap::new(), finished: Rc::default(), next_key: 0 }
    }

    /// Spawns `future` on the current runtime as a task of this set and
    /// returns its id.
    ///
    /// # Panics
    ///
    /// Outside a runtime, as [`spawn`](fn@crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = simul_future::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     assert_eq!(set.len(), 1);
    /// })?;
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> u64
    where
        F: Future<Output = T> + 'static,
    {
        let key = self.next_key;
        self.next_key += 1;
        let report = Report { key, finished: self.finished.clone() };
        let handle = crate::spawn(Member { future, report });
        let id = handle.id();
        self.handles.insert(key, handle);
        id
    }

    /// How many tasks are in the set (running, or finished and not yet
    /// returned by `join_next`).
    ///
    /// # Examples
    /// See [`spawn`](JoinSet::spawn).
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether the set is empty.
    ///
    /// # Examples
    /// See [`new`](JoinSet::new).
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Waits for the next task of the set to finish and removes it;
    /// `None` when the set is empty. Tasks come out in the order they
    /// finished; each costs `O(log len)`.
    ///
    /// # Examples
    /// See [`JoinSet`].
    pub fn join_next(&mut self) -> JoinNext<'_, T> {
        JoinNext { set: self }
    }

    /// Aborts every task in the set. They stay in it: `join_next` then
    /// returns them as they finish, most with [`JoinError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = simul_future::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// })?;
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    pub fn abort_all(&mut self) {
        for h in self.handles.values() {
            h.abort();
        }
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for h in self.handles.values() {
            h.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.handles.len()).finish_non_exhaustive()
    }
}

/// The future of [`JoinSet::join_next`].
///
/// ```text
///   poll: set empty? --> Ready(None)
///         a member reported its end? --> take its handle, poll it --> Ready(Some(result))
///         else: remember this task as the set's waiter --> Pending
/// ```
///
/// Each member's future is wrapped so that dropping it (which the
/// runtime does when the task returns, panics or is cancelled) appends
/// its key to the set's list and wakes the waiter: finishing order,
/// without scanning. Equivalent `async fn`, given a channel:
///
/// ```text
/// async fn join_next(set: &mut JoinSet<T>) -> Option<Result<T, JoinError>> {
///     if set.is_empty() { return None }
///     let key = set.finished_keys.recv().await;
///     Some(set.handles.remove(&key).await)
/// }
/// ```
///
/// # Examples
/// See [`JoinSet`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinNext<'a, T> {
    /// The set being drained.
    set: &'a mut JoinSet<T>,
}

impl<T> Future for JoinNext<'_, T> {
    type Output = Option<Result<T, JoinError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let set = &mut *self.set;
        if set.handles.is_empty() {
            return Poll::Ready(None);
        }
        loop {
            let next = set.finished.borrow_mut().keys.pop_front();
            let Some(key) = next else { break };
            // A key whose handle is gone was already returned; skip it.
            if let Some(mut handle) = set.handles.remove(&key) {
                match Pin::new(&mut handle).poll(cx) {
                    Poll::Ready(result) => return Poll::Ready(Some(result)),
                    // Dropped but not yet marked complete (the runtime
                    // marks it right after the drop, before polling
                    // anything else, so this is defensive): keep both.
                    Poll::Pending => {
                        set.handles.insert(key, handle);
                        set.finished.borrow_mut().keys.push_front(key);
                        return Poll::Pending;
                    }
                }
            }
        }
        let mut finished = set.finished.borrow_mut();
        match &finished.waiter {
            Some(w) if w.will_wake(cx) => {}
            _ => finished.waiter = Some(Waiter::from_cx(cx)),
        }
        note_wait(cx, WaitReason::JoinSet(set.handles.len()));
        Poll::Pending
    }
}
