//! [`CoroutineFuture`]: a coroutine driven as a `Future`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::{Coroutine, CoroutineState, ResumeError};

/// Drives a coroutine that yields `()` ("not ready yet") and is resumed
/// with the task's [`Waker`], as a [`Future`].
///
/// This is how rustc lowers an `async fn`: the body becomes a coroutine
/// whose every `.await` that finds its future pending is a `yield ()`,
/// resumed with the task's context on the next poll, and a thin `Future`
/// impl turns `Yielded(())` into `Poll::Pending` and `Complete(r)` into
/// `Poll::Ready(r)`:
///
/// ```text
///   poll(cx) --> coroutine.resume(cx.waker().clone())
///                  |-- Ok(Yielded(()))   --> Poll::Pending   (the coroutine arranged a wake-up)
///                  |-- Ok(Complete(r))   --> Poll::Ready(Ok(r))
///                  '-- Err(e)            --> Poll::Ready(Err(e))   (polled after completion)
/// ```
///
/// The contract is the future's: before yielding, the coroutine must have
/// handed the waker to whoever will make it ready (or woken it itself),
/// or it is never polled again. The compiler passes a raw pointer to the
/// context; this bridge passes an owned `Waker` clone instead (one
/// reference-count increment per poll for most wakers), which keeps it free
/// of `unsafe`.
///
/// Coroutines written for the [`Scheduler`](crate::Scheduler) yield
/// [`Trap`](crate::Trap)s, not `()`: running them as futures needs an
/// executor that can carry out each trap (a timer for `Sleep`, the reactor
/// for `Readable`), which is the future crate's business.
///
/// # Examples
///
/// ```
/// use simul_coro::{CoroutineState::*, CoroutineFuture, from_fn};
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
///
/// // Pending twice (waking itself each time), then ready with 42.
/// let mut polls = 0;
/// let co = from_fn(move |waker: Waker| {
///     polls += 1;
///     if polls < 3 {
///         waker.wake();
///         Ok(Yielded(()))
///     } else {
///         Ok(Complete(42))
///     }
/// });
/// let mut fut = pin!(CoroutineFuture::new(co));
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Pending);
/// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(42)));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct CoroutineFuture<C> {
    /// The coroutine; `Unpin` or not, it is never pinned itself (see
    /// [`Coroutine`] on why hand-written coroutines need no pinning).
    coroutine: C,
}

impl<C> CoroutineFuture<C> {
    /// Wraps `coroutine`.
    ///
    /// # Examples
    ///
    /// See [`CoroutineFuture`].
    pub fn new(coroutine: C) -> CoroutineFuture<C> {
        CoroutineFuture { coroutine }
    }
}

// The coroutine is moved, never pinned, so the wrapper is Unpin whatever
// it holds.
impl<C> Unpin for CoroutineFuture<C> {}

impl<C> Future for CoroutineFuture<C>
where
    C: Coroutine<Waker, Yield = ()>,
{
    type Output = Result<C::Return, ResumeError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut().coroutine.resume(cx.waker().clone()) {
            Ok(CoroutineState::Yielded(())) => Poll::Pending,
            Ok(CoroutineState::Complete(r)) => Poll::Ready(Ok(r)),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}
