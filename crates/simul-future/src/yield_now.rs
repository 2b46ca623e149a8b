//! [`yield_now`]: let every other ready task run once (asyncio's
//! `await asyncio.sleep(0)`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::{WaitReason, note_wait};

/// Gives way: the calling task goes to the back of the run queue, so
/// every task that is ready now is polled before it resumes.
///
/// No system call is made: the task wakes itself (`wake_by_ref`, which
/// just queues it) and returns `Pending` once. Timers that fell due
/// meanwhile join the queue before the task runs again (the runtime fires
/// them between rounds), as with asyncio's `await asyncio.sleep(0)`; I/O
/// readiness is looked at every [`BUDGET`](crate::BUDGET) polls.
///
/// Equivalent `async fn` (the future stands for what this would be if
/// Rust had a way to suspend without a leaf future):
///
/// ```text
/// async fn yield_now() { suspend_once_after_waking_myself().await }
/// ```
///
/// ```text
///   [First] --poll: wake_by_ref(), Pending--> [Yielded] --poll--> Ready(())
/// ```
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, spawn, yield_now};
/// use std::{cell::RefCell, rc::Rc};
///
/// let trace = Rc::new(RefCell::new(Vec::new()));
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let t = trace.clone();
///     let a = spawn(async move { for i in 0..2 { t.borrow_mut().push(("a", i)); yield_now().await } });
///     let t = trace.clone();
///     let b = spawn(async move { for i in 0..2 { t.borrow_mut().push(("b", i)); yield_now().await } });
///     a.await.unwrap();
///     b.await.unwrap();
/// })?;
/// assert_eq!(*trace.borrow(), [("a", 0), ("b", 0), ("a", 1), ("b", 1)]);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// # Examples
///
/// ```
/// let mut rt = simul_future::Runtime::new()?;
/// let y: simul_future::YieldNow = simul_future::yield_now();
/// rt.block_on(y)?;
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    /// `false` in state First, `true` in state Yielded.
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        note_wait(cx, WaitReason::Yield);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
