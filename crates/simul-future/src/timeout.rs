//! [`timeout`]: give a future a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::{Sleep, sleep};

/// The error of a [`timeout`] whose time ran out.
///
/// # Examples
///
/// ```
/// assert_eq!(simul_future::Elapsed.to_string(), "deadline has elapsed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration` (asyncio's `wait_for`): its
/// output, or [`Elapsed`] if the time ran out first, in which case the
/// future is dropped (cancelled at its current suspension point).
///
/// The future is polled before the clock is checked, so a future that is
/// ready at once wins even with a zero duration.
///
/// ```text
///   [Running{future, sleep}] --poll: future Ready(v)--> Ready(Ok(v))
///         |                  --poll: sleep Ready-----> Ready(Err(Elapsed)), future dropped
///         +-- both Pending: stay (the task waits on both)
/// ```
///
/// Equivalent `async fn` with [`select`](fn@crate::select):
///
/// ```text
/// async fn timeout<F: Future>(d: Duration, f: F) -> Result<F::Output, Elapsed> {
///     match select(f, sleep(d)).await {
///         Either::Left(v) => Ok(v),
///         Either::Right(()) => Err(Elapsed),
///     }
/// }
/// ```
///
/// # Panics
///
/// Polling it outside a runtime (it contains a [`Sleep`]).
///
/// # Examples
///
/// ```
/// use simul_future::{Elapsed, Runtime, sleep, timeout};
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// rt.block_on(async {
///     let quick = timeout(Duration::from_secs(2), async { sleep(Duration::from_secs(1)).await; 'q' });
///     assert_eq!(quick.await, Ok('q'));
///     let slow = timeout(Duration::from_secs(2), sleep(Duration::from_secs(3)));
///     assert_eq!(slow.await, Err(Elapsed));
///     assert_eq!(simul_future::now().since_origin(), Duration::from_secs(3)); // 1 + 2
/// })?;
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout { future, sleep: sleep(duration) }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut rt = simul_future::Runtime::new()?;
    /// let t: simul_future::Timeout<_> = simul_future::timeout(Duration::from_secs(1), async { 5 });
    /// assert_eq!(rt.block_on(t)?, Ok(5));
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}
