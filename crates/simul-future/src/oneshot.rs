//! [`oneshot`]: a channel for exactly one value between two tasks of the
//! same runtime (asyncio's `Future` used as a result slot).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::task::{WaitReason, Waiter, note_wait};

/// Creates a one-value channel: the [`Sender`] gives a value once, the
/// [`Receiver`] is a future of it.
///
/// Both halves stay on the runtime's thread (`!Send`), which keeps the
/// channel free of atomics and lets the receiver wait as the task itself
/// (so a receiver whose sender sits in a stuck task is part of a deadlock
/// report).
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, oneshot, spawn};
///
/// let mut rt = Runtime::new()?;
/// let got = rt.block_on(async {
///     let (tx, rx) = oneshot::<&str>();
///     spawn(async move { tx.send("pong").unwrap() });
///     rx.await
/// })?;
/// assert_eq!(got, Ok("pong"));
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(RefCell::new(Shared { value: None, waiter: None, sender_gone: false }));
    (Sender { shared: shared.clone() }, Receiver { shared })
}

/// What both halves see.
struct Shared<T> {
    /// The value, once sent and until received.
    value: Option<T>,
    /// The task awaiting the receiver.
    waiter: Option<Waiter>,
    /// The sender was dropped (or used).
    sender_gone: bool,
}

/// The sending half of a [`oneshot`] channel.
///
/// # Examples
/// See [`oneshot`].
pub struct Sender<T> {
    /// The channel.
    shared: Rc<RefCell<Shared<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value` and wakes the receiver.
    ///
    /// # Errors
    ///
    /// Gives `value` back when the receiver was dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = simul_future::oneshot::<u8>();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        if Rc::strong_count(&self.shared) == 1 {
            return Err(value);
        }
        self.shared.borrow_mut().value = Some(value);
        Ok(())
        // `self` drops here: marks the sender gone and wakes the receiver.
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waiter = {
            let mut s = self.shared.borrow_mut();
            s.sender_gone = true;
            s.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

/// The error of a [`Receiver`] whose sender was dropped without sending.
///
/// # Examples
///
/// ```
/// assert_eq!(simul_future::RecvError.to_string(), "the sender was dropped without sending");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// The receiving half of a [`oneshot`] channel: a leaf future.
///
/// ```text
///   poll: value there? --yes--> Ready(Ok(value))
///         sender gone?  --yes--> Ready(Err(RecvError))
///         else: keep this task as the waiter --> Pending
///               (sending or dropping the sender wakes it)
/// ```
///
/// # Examples
/// See [`oneshot`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Receiver<T> {
    /// The channel.
    shared: Rc<RefCell<Shared<T>>>,
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.shared.borrow_mut();
        if let Some(v) = s.value.take() {
            return Poll::Ready(Ok(v));
        }
        if s.sender_gone {
            return Poll::Ready(Err(RecvError));
        }
        match &s.waiter {
            Some(w) if w.will_wake(cx) => {}
            _ => s.waiter = Some(Waiter::from_cx(cx)),
        }
        note_wait(cx, WaitReason::Channel);
        Poll::Pending
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
