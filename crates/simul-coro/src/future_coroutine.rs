//! [`FutureCoroutine`]: a `Future` seen as a coroutine.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::{Coroutine, CoroutineState, Resume, ResumeError};

/// A [`Future`] as a coroutine: each resume (with the waker to use) polls
/// it once; `Poll::Pending` is `Yielded(())` and `Poll::Ready(r)` is
/// `Complete(r)`.
///
/// The mirror image of [`CoroutineFuture`](crate::CoroutineFuture), to show
/// that a future *is* a coroutine with a fixed protocol: it yields nothing
/// but "not yet", and what it waits for is known only to the waker it was
/// given, where a trampoline coroutine says what it waits for in the value
/// it yields.
///
/// ```text
///   +----------------+  resume(waker): poll == Pending, yield ()
///   | Polling{future} | --+
///   +----------------+ <-+
///          | poll == Ready(r): return r
///          v
///   +------+
///   | Done |  resume: Err(AfterCompletion); the future is not polled again
///   +------+
/// ```
///
/// The future is boxed and pinned once, so it may be any future, and the
/// coroutine itself stays free to move.
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, CoroutineState::*, FutureCoroutine, ResumeError};
/// use std::task::Waker;
///
/// let mut yielded_once = false;
/// let mut c = FutureCoroutine::new(std::future::poll_fn(move |cx| {
///     if yielded_once {
///         std::task::Poll::Ready("done")
///     } else {
///         yielded_once = true;
///         cx.waker().wake_by_ref();
///         std::task::Poll::Pending
///     }
/// }));
/// assert_eq!(c.resume(Waker::noop().clone()), Ok(Yielded(())));
/// assert_eq!(c.resume(Waker::noop().clone()), Ok(Complete("done")));
/// assert_eq!(c.resume(Waker::noop().clone()), Err(ResumeError::AfterCompletion));
/// ```
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct FutureCoroutine<F: Future> {
    /// The future, until it completes.
    future: Option<Pin<Box<F>>>,
}

impl<F: Future> FutureCoroutine<F> {
    /// Wraps `future`.
    ///
    /// # Examples
    ///
    /// See [`FutureCoroutine`].
    pub fn new(future: F) -> FutureCoroutine<F> {
        FutureCoroutine { future: Some(Box::pin(future)) }
    }
}

impl<F: Future> Coroutine<Waker> for FutureCoroutine<F> {
    type Yield = ();
    type Return = F::Output;

    fn resume(&mut self, waker: Waker) -> Resume<(), F::Output> {
        let Some(future) = self.future.as_mut() else {
            return Err(ResumeError::AfterCompletion);
        };
        match future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => Ok(CoroutineState::Yielded(())),
            Poll::Ready(r) => {
                self.future = None;
                Ok(CoroutineState::Complete(r))
            }
        }
    }
}
