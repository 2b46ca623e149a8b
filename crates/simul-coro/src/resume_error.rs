//! [`ResumeError`]: a coroutine was resumed when it could not be.

use std::fmt;

/// Why a [`Coroutine::resume`](crate::Coroutine::resume) could not run the
/// coroutine.
///
/// Python raises `StopIteration` again when a finished generator is sent a
/// value; Rust's unstable compiler-made coroutines panic. simul's
/// hand-written coroutines keep a `Done` state and answer with this error
/// value instead, so a misuse is never undefined behaviour and never a
/// panic inside the runtime.
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, Countdown, CoroutineState, ResumeError};
///
/// let mut c = Countdown::new(0);
/// assert_eq!(c.resume(()), Ok(CoroutineState::Complete("liftoff")));
/// assert_eq!(c.resume(()), Err(ResumeError::AfterCompletion));
/// assert_eq!(
///     ResumeError::AfterCompletion.to_string(),
///     "coroutine resumed after it had completed"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResumeError {
    /// The coroutine had already returned [`CoroutineState::Complete`](crate::CoroutineState::Complete)
    /// (or had failed): there is nothing left to run.
    AfterCompletion,
    /// The coroutine was resumed with an input that does not answer what
    /// it yielded, e.g. a scheduler coroutine that asked for the time and
    /// was sent a task id. The text names what it expected.
    UnexpectedInput {
        /// What the coroutine was waiting for, e.g. `"Reply::Now"`.
        expected: &'static str,
    },
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeError::AfterCompletion => f.write_str("coroutine resumed after it had completed"),
            ResumeError::UnexpectedInput { expected } => {
                write!(f, "coroutine resumed with an unexpected input (it expected {expected})")
            }
        }
    }
}

impl std::error::Error for ResumeError {}
