//! [`join_all`]: run a `Vec` of futures concurrently; outputs in order.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::maybe_done::MaybeDone;

/// Runs every future of `futures` concurrently in the calling task and
/// returns their outputs in the order given (asyncio's `gather(*fs)`),
/// whatever order they finish in.
///
/// Each poll polls every unfinished future, so a wake costs `O(n)`: good
/// for tens or hundreds of futures. For thousands, spawn tasks (see
/// [`JoinSet`](crate::JoinSet)), which are woken one by one.
///
/// ```text
///   [k of n running] --poll: poll each running one in order--> all done? --> Ready(outputs)
///         ^------------------------- Pending ------------------------+
/// ```
///
/// Equivalent with tasks:
///
/// ```text
/// async fn join_all(fs: Vec<F>) -> Vec<F::Output> {
///     let handles: Vec<_> = fs.into_iter().map(spawn).collect();
///     let mut out = Vec::new();
///     for h in handles { out.push(h.await.unwrap()) }
///     out
/// }
/// ```
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, join_all, yield_now};
///
/// let mut rt = Runtime::new()?;
/// let futures: Vec<_> = (0..5u32)
///     .map(|i| async move {
///         for _ in 0..(5 - i) { yield_now().await } // the last finishes first
///         i * 10
///     })
///     .collect();
/// assert_eq!(rt.block_on(join_all(futures))?, [0, 10, 20, 30, 40]);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn join_all<F: Future>(futures: Vec<F>) -> JoinAll<F> {
    let slots: Box<[MaybeDone<F>]> = futures.into_iter().map(MaybeDone::new).collect();
    JoinAll { slots: Box::into_pin(slots) }
}

/// The future of [`join_all`].
///
/// # Examples
///
/// ```
/// let mut rt = simul_future::Runtime::new()?;
/// let j: simul_future::JoinAll<_> = simul_future::join_all(vec![std::future::ready(1), std::future::ready(2)]);
/// assert_eq!(rt.block_on(j)?, [1, 2]);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinAll<F: Future> {
    /// The futures, pinned in their own allocation (so `JoinAll` itself
    /// may move: it is `Unpin`).
    slots: Pin<Box<[MaybeDone<F>]>>,
}

/// Projects the `i`th slot of a pinned slice.
fn slot<F: Future>(slots: Pin<&mut [MaybeDone<F>]>, i: usize) -> Pin<&mut MaybeDone<F>> {
    // SAFETY: an element of a pinned slice is itself pinned; we never
    // move it out, only re-borrow it.
    unsafe { slots.map_unchecked_mut(|s| &mut s[i]) }
}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let n = self.slots.len();
        let mut all_done = true;
        for i in 0..n {
            // Poll every one, even after one is found pending.
            all_done &= slot(self.slots.as_mut(), i).poll_done(cx);
        }
        if !all_done {
            return Poll::Pending;
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            match slot(self.slots.as_mut(), i).take() {
                Some(v) => out.push(v),
                None => panic!("JoinAll polled after it returned Ready"),
            }
        }
        Poll::Ready(out)
    }
}
