//! [`Yields`]: a `()`-input coroutine seen as an iterator.

use std::iter::FusedIterator;

use crate::{Coroutine, CoroutineState, ResumeError};

/// An [`Iterator`] over what a coroutine yields, for coroutines that take
/// no input: this is what a Python `for x in gen():` loop does. Made by
/// [`Coroutine::yields`].
///
/// The iterator ends when the coroutine completes; its result (or the
/// error if it could not be resumed at all) is kept and handed over by
/// [`into_return`](Yields::into_return), which a `for` loop in Python
/// throws away.
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, Countdown};
///
/// let mut it = Countdown::new(3).yields();
/// let sum: u64 = it.by_ref().sum();
/// assert_eq!(sum, 6);
/// assert_eq!(it.into_return(), Some(Ok("liftoff")));
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Yields<C: Coroutine<()>> {
    /// The coroutine being iterated.
    coroutine: C,
    /// How it ended; `None` while it is still running.
    ///
    /// # Invariant
    /// Once `Some`, `coroutine` is never resumed again.
    outcome: Option<Result<C::Return, ResumeError>>,
}

impl<C: Coroutine<()>> Yields<C> {
    /// Iterates over `coroutine`'s yields; prefer [`Coroutine::yields`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Countdown, Yields};
    /// assert_eq!(Yields::new(Countdown::new(1)).count(), 1);
    /// ```
    pub fn new(coroutine: C) -> Yields<C> {
        Yields { coroutine, outcome: None }
    }

    /// The coroutine's result once the iteration has ended: `Some(Ok(r))`
    /// when it completed, `Some(Err(e))` when resuming it failed, `None`
    /// when it has not finished yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Coroutine, Countdown, ResumeError};
    ///
    /// let mut it = Countdown::new(2).yields();
    /// it.next();
    /// assert_eq!(it.clone().into_return(), None); // still suspended
    ///
    /// let mut done = Countdown::Done.yields();
    /// assert_eq!(done.next(), None);
    /// assert_eq!(done.into_return(), Some(Err(ResumeError::AfterCompletion)));
    /// ```
    pub fn into_return(self) -> Option<Result<C::Return, ResumeError>> {
        self.outcome
    }
}

impl<C: Coroutine<()>> Iterator for Yields<C> {
    type Item = C::Yield;

    fn next(&mut self) -> Option<C::Yield> {
        if self.outcome.is_some() {
            return None;
        }
        match self.coroutine.resume(()) {
            Ok(CoroutineState::Yielded(y)) => Some(y),
            Ok(CoroutineState::Complete(r)) => {
                self.outcome = Some(Ok(r));
                None
            }
            Err(e) => {
                self.outcome = Some(Err(e));
                None
            }
        }
    }
}

impl<C: Coroutine<()>> FusedIterator for Yields<C> {}
