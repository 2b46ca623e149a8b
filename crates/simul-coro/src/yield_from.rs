//! [`yield_from!`](crate::yield_from!): delegation to a sub-coroutine.

/// `yield from` for hand-written coroutines: resumes a sub-coroutine
/// (given as `&mut`) with an input; if it yields, the *enclosing* `resume` returns that yield at
/// once; if it completes, the macro evaluates to its result.
///
/// ```text
///   yield_from!(sub, input)
///        |
///        +-- sub.resume(input) == Ok(Yielded(y))   -> return Ok(Yielded(y))    (outer suspends)
///        +-- sub.resume(input) == Ok(Complete(r))  -> r                        (outer goes on)
///        +-- sub.resume(input) == Err(e)           -> return Err(e)
/// ```
///
/// Python's `r = yield from sub` does three things: it forwards every value
/// `sub` yields to the outer caller, forwards every value the caller sends
/// back into `sub`, and gives `sub`'s return value to `r`. A hand-written
/// outer coroutine gets all three by keeping `sub` inside the variant for
/// that suspension point and, on every resume in that state, handing its
/// input to this macro. It is to coroutines what `?` is to `Result`: an
/// early return for the "not finished" case.
///
/// The enclosing function must return [`Resume`](crate::Resume) with the
/// same yield type as `sub`. When the outer coroutine *enters* a
/// delegation (rather than continuing one), the sub-coroutine has not
/// started yet and is given the "nothing to answer" input (`()`, or
/// [`Reply::Start`](crate::Reply::Start)), as Python primes it with
/// `send(None)`.
///
/// # Examples
///
/// Two countdowns in a row, returning both results:
///
/// ```python
/// def launch():
///     a = yield from countdown(2)
///     b = yield from countdown(1)
///     return a, b
/// ```
///
/// ```
/// use simul_coro::{yield_from, Coroutine, Countdown, CoroutineState, Resume, ResumeError};
///
/// enum Launch {
///     Start,
///     InFirst(Countdown),
///     InSecond(&'static str, Countdown),
///     Done,
/// }
///
/// impl Coroutine for Launch {
///     type Yield = u64;
///     type Return = (&'static str, &'static str);
///
///     fn resume(&mut self, (): ()) -> Resume<u64, Self::Return> {
///         loop {
///             match self {
///                 Launch::Start => *self = Launch::InFirst(Countdown::new(2)),
///                 Launch::InFirst(sub) => {
///                     let a = yield_from!(sub, ());
///                     *self = Launch::InSecond(a, Countdown::new(1));
///                 }
///                 Launch::InSecond(a, sub) => {
///                     let b = yield_from!(sub, ());
///                     let a = *a;
///                     *self = Launch::Done;
///                     return Ok(CoroutineState::Complete((a, b)));
///                 }
///                 Launch::Done => return Err(ResumeError::AfterCompletion),
///             }
///         }
///     }
/// }
///
/// let mut it = Launch::Start.yields();
/// assert_eq!(it.by_ref().collect::<Vec<_>>(), [2, 1, 1]);
/// assert_eq!(it.into_return(), Some(Ok(("liftoff", "liftoff"))));
/// ```
#[macro_export]
macro_rules! yield_from {
    ($sub:expr, $input:expr $(,)?) => {
        match $crate::Coroutine::resume($sub, $input) {
            ::core::result::Result::Ok($crate::CoroutineState::Yielded(y)) => {
                return ::core::result::Result::Ok($crate::CoroutineState::Yielded(y));
            }
            ::core::result::Result::Ok($crate::CoroutineState::Complete(r)) => r,
            ::core::result::Result::Err(e) => return ::core::result::Result::Err(e),
        }
    };
}
