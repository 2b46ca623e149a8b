//! [`AndThen`]: run one coroutine, then another built from its result.

use crate::{Coroutine, CoroutineState, Resume, ResumeError};

/// Sequencing: drives the first coroutine to completion, then the one `f`
/// builds from its result, passing the yields of both through. Made by
/// [`Coroutine::and_then`].
///
/// In Python:
///
/// ```python
/// def and_then(first, f):
///     r = yield from first
///     return (yield from f(r))
/// ```
///
/// ```text
///   +-----------------+  first yields y: yield y
///   | First{first, f} | --+
///   +-----------------+ <-+
///            | first returns r: second = f(r), resumed at once with I::default()
///            v
///   +-----------------+  second yields y: yield y
///   | Second{second}  | --+
///   +-----------------+ <-+   second returns r2: return r2
/// ```
///
/// The switch happens inside one `resume`: finishing `first` is not a
/// suspension point, so the caller sees `first`'s last yield followed
/// directly by `second`'s first. `second` is started with `I::default()`,
/// the "nothing to answer" input (`()`, or
/// [`Reply::Start`](crate::Reply::Start) under the trampoline), as Python's
/// `yield from` primes a sub-generator with `send(None)`.
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, Countdown};
///
/// // Count down from 2, then count down from the length of what it returned.
/// let c = Countdown::new(2).and_then(|s| Countdown::new(s.len() as u64 - 4));
/// assert_eq!(c.yields().collect::<Vec<_>>(), [2, 1, 3, 2, 1]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a coroutine does nothing until it is resumed"]
pub enum AndThen<A, F, B> {
    /// Driving the first coroutine.
    First {
        /// The first coroutine.
        first: A,
        /// Builds the second from the first's result; `None` once used.
        f: Option<F>,
    },
    /// Driving the second coroutine.
    Second {
        /// The second coroutine.
        second: B,
    },
}

impl<A, F, B> AndThen<A, F, B> {
    /// Sequences `first` and `f`; prefer [`Coroutine::and_then`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{AndThen, Coroutine, Countdown};
    /// let c = AndThen::new(Countdown::new(1), |_| Countdown::new(1));
    /// assert_eq!(c.yields().count(), 2);
    /// ```
    pub fn new(first: A, f: F) -> AndThen<A, F, B> {
        AndThen::First { first, f: Some(f) }
    }
}

impl<I, A, F, B> Coroutine<I> for AndThen<A, F, B>
where
    I: Default,
    A: Coroutine<I>,
    F: FnOnce(A::Return) -> B,
    B: Coroutine<I, Yield = A::Yield>,
{
    type Yield = A::Yield;
    type Return = B::Return;

    fn resume(&mut self, input: I) -> Resume<A::Yield, B::Return> {
        let second = match self {
            AndThen::Second { second } => return second.resume(input),
            AndThen::First { first, f } => match first.resume(input)? {
                CoroutineState::Yielded(y) => return Ok(CoroutineState::Yielded(y)),
                CoroutineState::Complete(r) => match f.take() {
                    Some(f) => f(r),
                    None => return Err(ResumeError::AfterCompletion),
                },
            },
        };
        *self = AndThen::Second { second };
        match self {
            AndThen::Second { second } => second.resume(I::default()),
            // Just assigned above.
            AndThen::First { .. } => Err(ResumeError::AfterCompletion),
        }
    }
}
