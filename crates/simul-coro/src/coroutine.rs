//! [`Coroutine`]: the generator protocol, resume by resume.

use crate::{AndThen, CoroutineState, MapReturn, Yields};

/// What [`Coroutine::resume`] returns: a step, or the reason there was none.
///
/// # Examples
///
/// ```
/// use simul_coro::{CoroutineState, Resume};
/// let step: Resume<u8, ()> = Ok(CoroutineState::Yielded(1));
/// assert!(step.is_ok());
/// ```
pub type Resume<Y, R> = Result<CoroutineState<Y, R>, crate::ResumeError>;

/// A computation that can stop in the middle, hand a value out, and be
/// continued later with a value handed in.
///
/// This is Python's generator protocol, written as a trait:
///
/// | Python                         | simul                                  |
/// | ------------------------------ | -------------------------------------- |
/// | `g = gen()` (nothing runs yet) | `let mut c = Gen::new()`               |
/// | `y = g.send(x)`                | `c.resume(x)` → `Ok(Yielded(y))`       |
/// | `StopIteration(r)`             | `c.resume(x)` → `Ok(Complete(r))`      |
/// | `send` on a finished generator | `c.resume(x)` → `Err(AfterCompletion)` |
///
/// and it has the shape of Rust's unstable `core::ops::Coroutine<I>`, with
/// two deliberate differences:
///
/// * **`&mut self`, not `Pin<&mut Self>`.** The compiler's coroutines keep
///   their local variables inside the coroutine value, and a local may
///   borrow another local across a `yield`: the value refers into itself,
///   so it must never move once started, hence `Pin`. A hand-written
///   coroutine is an enum whose variants *are* the suspension points and
///   whose fields are owned values; nothing in it points into itself, so
///   it may move freely between resumes (the trampoline moves coroutines
///   in and out of its task table) and needs no pinning and no `unsafe`.
/// * **Resuming after completion is a value, not a panic.** A hand-written
///   coroutine keeps a `Done` variant and answers
///   [`ResumeError::AfterCompletion`](crate::ResumeError::AfterCompletion) from it.
///
/// The first `resume` starts the coroutine from its beginning; its input
/// answers nothing (Python insists the first `send` be `None`). Coroutines
/// that take `()` ignore it; scheduler coroutines receive
/// [`Reply::Start`](crate::Reply::Start).
///
/// # Examples
///
/// The running averager, the classic Python coroutine that consumes what
/// it is sent:
///
/// ```
/// use simul_coro::{Averager, Coroutine, CoroutineState::Yielded};
///
/// let mut avg = Averager::new();
/// assert_eq!(avg.resume(None), Ok(Yielded(None))); // prime it, like next(gen)
/// assert_eq!(avg.resume(Some(10.0)), Ok(Yielded(Some(10.0))));
/// assert_eq!(avg.resume(Some(20.0)), Ok(Yielded(Some(15.0))));
/// ```
pub trait Coroutine<I = ()> {
    /// What the coroutine hands out at each suspension point.
    type Yield;
    /// What the coroutine returns when it finishes.
    type Return;

    /// Runs the coroutine from where it last stopped, with `input` as the
    /// value of the `yield` it was suspended at, until its next
    /// suspension point or its end.
    ///
    /// # Errors
    ///
    /// [`ResumeError::AfterCompletion`](crate::ResumeError::AfterCompletion) when the coroutine had already
    /// completed; [`ResumeError::UnexpectedInput`](crate::ResumeError::UnexpectedInput) when `input` does not
    /// answer what it yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Coroutine, Countdown, CoroutineState::*};
    ///
    /// let mut c = Countdown::new(2);
    /// assert_eq!(c.resume(()), Ok(Yielded(2)));
    /// assert_eq!(c.resume(()), Ok(Yielded(1)));
    /// assert_eq!(c.resume(()), Ok(Complete("liftoff")));
    /// assert!(c.resume(()).is_err());
    /// ```
    fn resume(&mut self, input: I) -> Resume<Self::Yield, Self::Return>;

    /// A coroutine that yields what `self` yields and returns
    /// `f(self's result)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Coroutine, Countdown};
    ///
    /// let mut loud = Countdown::new(1).map_return(str::to_uppercase);
    /// let _ = loud.resume(());
    /// assert_eq!(loud.resume(()).unwrap().complete(), Some("LIFTOFF".to_string()));
    /// ```
    fn map_return<F, R2>(self, f: F) -> MapReturn<Self, F>
    where
        Self: Sized,
        F: FnOnce(Self::Return) -> R2,
    {
        MapReturn::new(self, f)
    }

    /// Sequencing: runs `self` to completion, then the coroutine `f`
    /// builds from its result; yields of both pass through. In Python:
    /// `r = yield from self; return (yield from f(r))`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Coroutine, Countdown};
    ///
    /// let twice = Countdown::new(2).and_then(|_| Countdown::new(1));
    /// let mut yields = twice.yields();
    /// assert_eq!(yields.by_ref().collect::<Vec<_>>(), [2, 1, 1]);
    /// assert_eq!(yields.into_return(), Some(Ok("liftoff")));
    /// ```
    fn and_then<F, B>(self, f: F) -> AndThen<Self, F, B>
    where
        Self: Sized,
        I: Default,
        F: FnOnce(Self::Return) -> B,
        B: Coroutine<I, Yield = Self::Yield>,
    {
        AndThen::new(self, f)
    }

    /// An [`Iterator`] over the values a `()`-input coroutine yields; its
    /// return value is kept for [`Yields::into_return`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::{Coroutine, Countdown};
    /// assert_eq!(Countdown::new(3).yields().collect::<Vec<_>>(), [3, 2, 1]);
    /// ```
    fn yields(self) -> Yields<Self>
    where
        Self: Sized + Coroutine<()>,
    {
        Yields::new(self)
    }
}

/// A mutable borrow of a coroutine is a coroutine: delegation can drive a
/// sub-coroutine it does not own.
impl<I, C: Coroutine<I> + ?Sized> Coroutine<I> for &mut C {
    type Yield = C::Yield;
    type Return = C::Return;
    #[inline]
    fn resume(&mut self, input: I) -> Resume<C::Yield, C::Return> {
        (**self).resume(input)
    }
}

/// A boxed coroutine is a coroutine: this is how the trampoline holds
/// coroutines of different types in one table (`Box<dyn Coroutine<..>>`).
impl<I, C: Coroutine<I> + ?Sized> Coroutine<I> for Box<C> {
    type Yield = C::Yield;
    type Return = C::Return;
    #[inline]
    fn resume(&mut self, input: I) -> Resume<C::Yield, C::Return> {
        (**self).resume(input)
    }
}
