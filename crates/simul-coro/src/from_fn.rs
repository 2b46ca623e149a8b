//! [`FromFn`]: a coroutine from a closure that keeps its own state.

use crate::{Coroutine, CoroutineState, Resume, ResumeError};

/// A coroutine whose every resume calls a closure. The closure keeps the
/// state in its captures (or decides from the input alone); once it
/// returns `Complete`, further resumes are
/// [`ResumeError::AfterCompletion`] without calling it again.
///
/// Handy for tests and small tasks; the coroutines that teach are written
/// as enums (see [`Countdown`](crate::Countdown)), because there the state
/// machine is visible.
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, CoroutineState::*, ResumeError, from_fn};
///
/// let mut n = 0;
/// let mut c = from_fn(move |()| {
///     n += 1;
///     Ok(if n < 3 { Yielded(n) } else { Complete("three") })
/// });
/// assert_eq!(c.resume(()), Ok(Yielded(1)));
/// assert_eq!(c.resume(()), Ok(Yielded(2)));
/// assert_eq!(c.resume(()), Ok(Complete("three")));
/// assert_eq!(c.resume(()), Err(ResumeError::AfterCompletion));
/// ```
pub fn from_fn<F>(f: F) -> FromFn<F> {
    FromFn { f, done: false }
}

/// The coroutine made by [`from_fn`].
///
/// ```text
///   +---------+  f(input) == Yielded(y): yield y
///   | Running | --+
///   +---------+ <-+
///        | f(input) == Complete(r), or an error: return it
///        v
///   +------+
///   | Done |  resume: Err(AfterCompletion); f is not called
///   +------+
/// ```
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, CoroutineState::Complete, from_fn};
/// let mut c = from_fn(|x: u8| Ok::<_, simul_coro::ResumeError>(Complete::<(), u8>(x * 2)));
/// assert_eq!(c.resume(21), Ok(Complete(42)));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a coroutine does nothing until it is resumed"]
pub struct FromFn<F> {
    /// Called on each resume.
    f: F,
    /// Set once `f` has completed or failed.
    done: bool,
}

impl<I, Y, R, F> Coroutine<I> for FromFn<F>
where
    F: FnMut(I) -> Resume<Y, R>,
{
    type Yield = Y;
    type Return = R;

    fn resume(&mut self, input: I) -> Resume<Y, R> {
        if self.done {
            return Err(ResumeError::AfterCompletion);
        }
        let step = (self.f)(input);
        if !matches!(step, Ok(CoroutineState::Yielded(_))) {
            self.done = true;
        }
        step
    }
}
