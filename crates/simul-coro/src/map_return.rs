//! [`MapReturn`]: change what a coroutine returns, keep what it yields.

use crate::{Coroutine, CoroutineState, Resume, ResumeError};

/// A coroutine that yields what its inner coroutine yields and returns
/// `f(inner's result)`. Made by [`Coroutine::map_return`].
///
/// In Python: `return f((yield from inner))`.
///
/// ```text
///   +-------------------+  inner yields y: yield y
///   | Running{inner, f} | --+
///   +-------------------+ <-+
///            | inner returns r: return f(r)   (f is used up)
///            v
///   +-------------------+
///   | Running{inner, -} |  resume: inner's own AfterCompletion error
///   +-------------------+
/// ```
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, Countdown};
///
/// let mut y = Countdown::new(2).map_return(|s| s.len()).yields();
/// assert_eq!(y.by_ref().count(), 2);
/// assert_eq!(y.into_return(), Some(Ok(7)));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct MapReturn<C, F> {
    /// The coroutine being driven.
    inner: C,
    /// The mapping; `None` once it has been applied.
    f: Option<F>,
}

impl<C, F> MapReturn<C, F> {
    /// Wraps `inner`; prefer [`Coroutine::map_return`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Coroutine, Countdown, MapReturn};
    /// let mut m = MapReturn::new(Countdown::new(0), |s: &str| s.len());
    /// assert_eq!(m.resume(()).unwrap().complete(), Some(7));
    /// ```
    pub fn new(inner: C, f: F) -> MapReturn<C, F> {
        MapReturn { inner, f: Some(f) }
    }
}

impl<I, C, F, R2> Coroutine<I> for MapReturn<C, F>
where
    C: Coroutine<I>,
    F: FnOnce(C::Return) -> R2,
{
    type Yield = C::Yield;
    type Return = R2;

    fn resume(&mut self, input: I) -> Resume<C::Yield, R2> {
        match self.inner.resume(input)? {
            CoroutineState::Yielded(y) => Ok(CoroutineState::Yielded(y)),
            CoroutineState::Complete(r) => match self.f.take() {
                Some(f) => Ok(CoroutineState::Complete(f(r))),
                // Only an inner coroutine that completes twice gets here.
                None => Err(ResumeError::AfterCompletion),
            },
        }
    }
}
