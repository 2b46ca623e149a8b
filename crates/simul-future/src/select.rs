//! [`select`]: race two futures; the first to finish wins, the other is
//! dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Which side of a [`select`] finished first, with its output.
///
/// # Examples
///
/// ```
/// use simul_future::Either;
/// let e: Either<u8, &str> = Either::Left(1);
/// assert_eq!(e, Either::Left(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

/// Races `a` against `b` in the calling task: returns the output of the
/// first to finish, and drops the other one at once (asyncio's
/// `wait(..., return_when=FIRST_COMPLETED)` followed by cancelling the
/// rest). When both are ready in the same poll, `a` wins.
///
/// ```text
///   [Racing{a, b}] --poll: a Ready(x)--> drop b --> [Done] --> Ready(Left(x))
///        |         --poll: b Ready(y)--> drop a --> [Done] --> Ready(Right(y))
///        +-- both Pending: stay
/// ```
///
/// Dropping the loser is cancellation in the future style: its state
/// machine is destroyed at its current suspension point, running its
/// destructors; it never resumes. There is no sequential `async fn`
/// equivalent; with tasks it would be
///
/// ```text
/// async fn select(a: A, b: B) -> Either<A::Output, B::Output> {
///     // spawn both, wait for whichever JoinHandle is ready first,
///     // abort() the other
/// }
/// ```
///
/// # Examples
///
/// ```
/// use simul_future::{Either, Runtime, select, yield_now};
///
/// let mut rt = Runtime::new()?;
/// let slow = async { for _ in 0..10 { yield_now().await } "slow" };
/// let quick = async { yield_now().await; 7 };
/// assert_eq!(rt.block_on(select(slow, quick))?, Either::Right(7));
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn select<A: Future, B: Future>(a: A, b: B) -> Select<A, B> {
    Select { state: Race::Racing { a, b } }
}

pin_project_lite::pin_project! {
    /// The future of [`select`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rt = simul_future::Runtime::new()?;
    /// let s: simul_future::Select<_, _> = simul_future::select(async { 1 }, async { 2 });
    /// assert_eq!(rt.block_on(s)?, simul_future::Either::Left(1));
    /// # Ok::<(), simul_future::RuntimeError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Select<A, B> {
        #[pin]
        state: Race<A, B>,
    }
}

pin_project_lite::pin_project! {
    /// The states of a [`Select`].
    #[project = RaceProj]
    #[project_replace = RaceReplace]
    enum Race<A, B> {
        // Both running; `a` wins ties.
        Racing { #[pin] a: A, #[pin] b: B },
        // One finished; both futures are gone.
        Done,
    }
}

impl<A: Future, B: Future> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let winner = match state.as_mut().project() {
            RaceProj::Racing { a, b } => {
                if let Poll::Ready(x) = a.poll(cx) {
                    Either::Left(x)
                } else if let Poll::Ready(y) = b.poll(cx) {
                    Either::Right(y)
                } else {
                    return Poll::Pending;
                }
            }
            RaceProj::Done => panic!("Select polled after it returned Ready"),
        };
        // Drops both futures in place (the winner is finished, the loser
        // is cancelled).
        state.project_replace(Race::Done);
        Poll::Ready(winner)
    }
}
