//! [`JoinHandle`]: await a spawned task's result, or abort it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::JoinError;
use crate::task::{Header, WaitReason, Waiter, header, note_wait, release_local, state};

/// An owned permission to await a task's result, returned by
/// [`spawn`](fn@crate::spawn). It is itself a future.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] when the task
/// panicked or was [aborted](JoinHandle::abort). Dropping it detaches the
/// task: it keeps running, and its output is dropped when it finishes.
/// (So it is not `#[must_use]`: unlike a future, a task runs whether or
/// not its handle is awaited.)
///
/// A leaf future, written by hand; its state machine:
///
/// ```text
///   poll: task COMPLETE? --yes--> take the result --> Ready(result)
///            | no
///            v
///        remember this poller's waker as the task's join waiter --> Pending
///        (the task's completion wakes it)
/// ```
///
/// # Panics
///
/// Polling it again after it returned `Ready` panics, as for any future
/// polled after completion.
///
/// # Examples
///
/// ```
/// use simul_future::{JoinError, Runtime, spawn};
///
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let ok = spawn(async { 7 });
///     assert_eq!(ok.await.unwrap(), 7);
///     let boom = spawn(async { panic!("boom") });
///     assert!(matches!(boom.await, Err(JoinError::Panic(_))));
/// })?;
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub struct JoinHandle<T> {
    /// The task; this handle is one of its local holders.
    ptr: NonNull<Header>,
    /// The output type, and `!Send`: the handle touches the task's
    /// thread-local state.
    _marker: PhantomData<(T, *const ())>,
}

impl<T> JoinHandle<T> {
    /// Wraps a task whose local count already includes this handle.
    pub(crate) fn new(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle { ptr, _marker: PhantomData }
    }

    /// Cancels the task: its future is dropped at its next suspension
    /// point (at once if it is not running), and awaiting this handle then
    /// gives [`JoinError::Cancelled`]. Does nothing if the task has
    /// finished; calling it twice is the same as once.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Runtime, spawn};
    ///
    /// let mut rt = Runtime::new()?;
    /// rt.block_on(async {
    ///     let h = spawn(std::future::pending::<()>());
    ///     h.abort();
    ///     assert!(h.await.unwrap_err().is_cancelled());
    /// })?;
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    pub fn abort(&self) {
        let h = header(self.ptr);
        let s = h.state.get();
        if s & (state::COMPLETE | state::CANCELLED) != 0 {
            return;
        }
        h.state.set(s | state::CANCELLED);
        if s & (state::RUNNING | state::SCHEDULED) == 0 {
            // Queue it so the loop drops the future: directly inside the
            // runtime's block_on, through the injection queue otherwise
            // (say, between two block_on calls).
            crate::waker::wake_task(self.ptr);
        }
    }

    /// Whether the task has finished (returned, panicked or was
    /// cancelled); awaiting the handle then returns at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// let h = rt.spawn(async {});
    /// assert!(!h.is_finished());
    /// rt.block_on(simul_future::yield_now())?;
    /// assert!(h.is_finished());
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        header(self.ptr).state.get() & state::COMPLETE != 0
    }

    /// The task's id, unique within its runtime (used in deadlock
    /// reports).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = simul_future::Runtime::new()?;
    /// let (a, b) = (rt.spawn(async {}), rt.spawn(async {}));
    /// assert_ne!(a.id(), b.id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u64 {
        header(self.ptr).id
    }
}

// The handle holds a pointer, never a `T` in place: moving it is always
// fine, whatever `T` is.
impl<T> Unpin for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let h = header(self.ptr);
        let s = h.state.get();
        if s & state::COMPLETE != 0 {
            assert!(s & state::CLOSED == 0, "JoinHandle polled after it returned Ready");
            let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
            // SAFETY: the task's output type is T (this handle was made
            // for it), it is complete, and we are on its thread.
            unsafe { (h.vtable.read_output)(self.ptr, (&raw mut out).cast()) };
            h.state.set(s | state::CLOSED);
            return out;
        }
        match h.take_join_waiter() {
            Some(w) if w.will_wake(cx) => h.set_join_waiter(w),
            _ => h.set_join_waiter(Waiter::from_cx(cx)),
        }
        note_wait(cx, WaitReason::Join(h.id));
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let h = header(self.ptr);
        let s = h.state.get() & !state::HANDLE;
        h.state.set(s);
        drop(h.take_join_waiter());
        if s & state::COMPLETE != 0 && s & state::CLOSED == 0 {
            h.state.set(s | state::CLOSED);
            // SAFETY: complete, on the task's thread, output type T.
            unsafe { (h.vtable.drop_output)(self.ptr) };
        }
        release_local(self.ptr);
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
