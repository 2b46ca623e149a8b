//! [`join`]: run two futures concurrently and wait for both.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::maybe_done::MaybeDone;

/// Runs `a` and `b` concurrently, in the calling task, and returns both
/// outputs once both are done (asyncio's `gather(a, b)`).
///
/// "Concurrently" means interleaved: while one waits, the other runs.
/// `(a.await, b.await)` would not do that: `b` would not even start until
/// `a` finished. No `async fn` without a combinator can express it; the
/// nearest with tasks is
///
/// ```text
/// async fn join(a: A, b: B) -> (A::Output, B::Output) {
///     let (ha, hb) = (spawn(a), spawn(b)); // two tasks instead of one
///     (ha.await.unwrap(), hb.await.unwrap())
/// }
/// ```
///
/// `join` keeps both futures inside the caller's own state machine:
///
/// ```text
///   [Both running] --a Ready--> [b running, a's output kept] --b Ready--+
///        |  \--b Ready--> [a running, b's output kept] --a Ready--------+--> Ready((a, b))
///        every poll polls each unfinished future once, a first
/// ```
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, join, yield_now};
/// use std::{cell::RefCell, rc::Rc};
///
/// let trace = Rc::new(RefCell::new(Vec::new()));
/// let step = |name: &'static str, t: Rc<RefCell<Vec<&'static str>>>| async move {
///     t.borrow_mut().push(name);
///     yield_now().await;
///     t.borrow_mut().push(name);
///     name.len()
/// };
/// let mut rt = Runtime::new()?;
/// let out = rt.block_on(join(step("a", trace.clone()), step("bb", trace.clone())))?;
/// assert_eq!(out, (1, 2));
/// assert_eq!(*trace.borrow(), ["a", "bb", "a", "bb"]); // interleaved
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn join<A: Future, B: Future>(a: A, b: B) -> Join<A, B> {
    Join { a: MaybeDone::new(a), b: MaybeDone::new(b) }
}

pin_project_lite::pin_project! {
    /// The future of [`join`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// let j: simul_future::Join<_, _> = simul_future::join(async { 1 }, async { 2 });
    /// assert_eq!(rt.block_on(j)?, (1, 2));
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Join<A: Future, B: Future> {
        #[pin]
        a: MaybeDone<A>,
        #[pin]
        b: MaybeDone<B>,
    }
}

impl<A: Future, B: Future> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let a_done = this.a.as_mut().poll_done(cx);
        let b_done = this.b.as_mut().poll_done(cx);
        if !(a_done && b_done) {
            return Poll::Pending;
        }
        match (this.a.take(), this.b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            _ => panic!("Join polled after it returned Ready"),
        }
    }
}
