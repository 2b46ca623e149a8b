//! [`join3`]: the tuple join, for three futures.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::maybe_done::MaybeDone;

/// Runs three futures concurrently in the calling task and returns their
/// outputs as a tuple, in argument order (asyncio's `gather(a, b, c)`).
///
/// The state machine is [`join`](fn@crate::join)'s with one more slot:
///
/// ```text
///   [some running] --each poll: poll every unfinished one, in order--+
///        ^---------------------- Pending -------------------------+
///   all done --> Ready((a, b, c))
/// ```
///
/// Equivalent with tasks (but without spawning):
///
/// ```text
/// async fn join3(a: A, b: B, c: C) -> (A::Output, B::Output, C::Output) {
///     let (ha, hb, hc) = (spawn(a), spawn(b), spawn(c));
///     (ha.await.unwrap(), hb.await.unwrap(), hc.await.unwrap())
/// }
/// ```
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, join3};
///
/// let mut rt = Runtime::new()?;
/// let out = rt.block_on(join3(async { 'x' }, async { 2 }, async { "three" }))?;
/// assert_eq!(out, ('x', 2, "three"));
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn join3<A: Future, B: Future, C: Future>(a: A, b: B, c: C) -> Join3<A, B, C> {
    Join3 { a: MaybeDone::new(a), b: MaybeDone::new(b), c: MaybeDone::new(c) }
}

pin_project_lite::pin_project! {
    /// The future of [`join3`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// let j: simul_future::Join3<_, _, _> = simul_future::join3(async {}, async {}, async {});
    /// rt.block_on(j)?;
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Join3<A: Future, B: Future, C: Future> {
        #[pin]
        a: MaybeDone<A>,
        #[pin]
        b: MaybeDone<B>,
        #[pin]
        c: MaybeDone<C>,
    }
}

impl<A: Future, B: Future, C: Future> Future for Join3<A, B, C> {
    type Output = (A::Output, B::Output, C::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let a = this.a.as_mut().poll_done(cx);
        let b = this.b.as_mut().poll_done(cx);
        let c = this.c.as_mut().poll_done(cx);
        if !(a && b && c) {
            return Poll::Pending;
        }
        match (this.a.take(), this.b.take(), this.c.take()) {
            (Some(a), Some(b), Some(c)) => Poll::Ready((a, b, c)),
            _ => panic!("Join3 polled after it returned Ready"),
        }
    }
}
