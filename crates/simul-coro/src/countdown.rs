//! [`Countdown`]: a hand-written generator that only hands values out.

use crate::{Coroutine, CoroutineState, Resume, ResumeError};

/// Counts down from `n` to 1, yielding each number, then returns
/// `"liftoff"`: the smallest useful generator, written by hand.
///
/// It is this Python generator:
///
/// ```python
/// def countdown(n):
///     while n > 0:
///         yield n          # the one suspension point
///         n -= 1
///     return "liftoff"
/// ```
///
/// The generator has one suspension point, so the enum has one
/// suspended variant besides its start and its end:
///
/// ```text
///                    resume: n > 0, yield n
///   +----------+  -------------------------->  +----------------+
///   | Start{n} |                               | AtYield{n}     | --+ resume: n-1 > 0,
///   +----------+                               +----------------+ <-+ yield n-1
///        |  resume: n == 0                              |
///        |  return "liftoff"                            | resume: n-1 == 0
///        v                                              v return "liftoff"
///   +------+  <-----------------------------------------+
///   | Done |  resume: Err(AfterCompletion)
///   +------+
/// ```
///
/// `n` lives in the variant: what the Python frame keeps as a local, the
/// hand-written coroutine keeps as a field of the state it is in.
///
/// # Examples
///
/// ```
/// use simul_coro::{Coroutine, Countdown, CoroutineState::*, ResumeError};
///
/// let mut c = Countdown::new(2);
/// assert_eq!(c.resume(()), Ok(Yielded(2)));
/// assert_eq!(c.resume(()), Ok(Yielded(1)));
/// assert_eq!(c.resume(()), Ok(Complete("liftoff")));
/// assert_eq!(c.resume(()), Err(ResumeError::AfterCompletion));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a coroutine does nothing until it is resumed"]
pub enum Countdown {
    /// Created, not yet resumed: the body has not started.
    Start {
        /// Where to count down from.
        n: u64,
    },
    /// Suspended at `yield n`.
    AtYield {
        /// The value just yielded.
        n: u64,
    },
    /// Returned; every further resume is an error.
    Done,
}

impl Countdown {
    /// A countdown from `n`, not yet started.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_coro::Countdown::new(5), simul_coro::Countdown::Start { n: 5 });
    /// ```
    pub fn new(n: u64) -> Countdown {
        Countdown::Start { n }
    }
}

impl Coroutine<()> for Countdown {
    type Yield = u64;
    type Return = &'static str;

    fn resume(&mut self, (): ()) -> Resume<u64, &'static str> {
        // `n` is the next value to yield: the loop test `while n > 0`.
        let n = match *self {
            Countdown::Start { n } => n,
            Countdown::AtYield { n } => n - 1, // `n -= 1` after the yield
            Countdown::Done => return Err(ResumeError::AfterCompletion),
        };
        if n > 0 {
            *self = Countdown::AtYield { n };
            Ok(CoroutineState::Yielded(n))
        } else {
            *self = Countdown::Done;
            Ok(CoroutineState::Complete("liftoff"))
        }
    }
}
