//! [`CoroutineState`]: what one resume of a coroutine produced.

/// What a coroutine did when it was resumed: it suspended with a value,
/// or it finished with its result.
///
/// In Python terms, `Yielded(y)` is `gen.send(x)` returning `y`, and
/// `Complete(r)` is `gen.send(x)` raising `StopIteration(r)`. It has the
/// same shape as Rust's unstable `core::ops::CoroutineState`.
///
/// # Examples
///
/// ```
/// use simul_coro::CoroutineState;
///
/// let s: CoroutineState<u32, &str> = CoroutineState::Yielded(3);
/// assert!(s.is_yielded());
/// assert_eq!(CoroutineState::<u32, &str>::Complete("done").complete(), Some("done"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a yielded value or a result is usually the point of resuming"]
pub enum CoroutineState<Y, R> {
    /// The coroutine suspended at a suspension point and handed out `Y`;
    /// it can be resumed again.
    Yielded(Y),
    /// The coroutine ran to its end and returned `R`; resuming it again
    /// is an error ([`ResumeError::AfterCompletion`](crate::ResumeError::AfterCompletion)).
    Complete(R),
}

impl<Y, R> CoroutineState<Y, R> {
    /// Whether this is [`Yielded`](CoroutineState::Yielded).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_coro::CoroutineState::<u8, ()>::Yielded(1).is_yielded());
    /// ```
    pub fn is_yielded(&self) -> bool {
        matches!(self, CoroutineState::Yielded(_))
    }

    /// The yielded value, if the coroutine suspended.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::CoroutineState;
    /// assert_eq!(CoroutineState::<u8, ()>::Yielded(1).yielded(), Some(1));
    /// assert_eq!(CoroutineState::<u8, ()>::Complete(()).yielded(), None);
    /// ```
    pub fn yielded(self) -> Option<Y> {
        match self {
            CoroutineState::Yielded(y) => Some(y),
            CoroutineState::Complete(_) => None,
        }
    }

    /// The result, if the coroutine completed.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_coro::CoroutineState;
    /// assert_eq!(CoroutineState::<u8, i32>::Complete(-1).complete(), Some(-1));
    /// ```
    pub fn complete(self) -> Option<R> {
        match self {
            CoroutineState::Yielded(_) => None,
            CoroutineState::Complete(r) => Some(r),
        }
    }
}
