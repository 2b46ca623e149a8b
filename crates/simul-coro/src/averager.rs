//! [`Averager`]: a hand-written coroutine that consumes what it is sent.

use crate::{Coroutine, CoroutineState, Resume, ResumeError};

/// A running average: each value sent in is answered with the average so
/// far; sending `None` ends it, and it returns how many values it saw and
/// their average.
///
/// Generators became *coroutines* in Python when `yield` became an
/// expression (PEP 342): the caller's `send(x)` is the value of the
/// `yield`. This is the textbook example:
///
/// ```python
/// def averager():
///     total, count, average = 0.0, 0, None
///     while True:
///         term = yield average     # hand out the average, take a term
///         if term is None:
///             return count, average
///         total += term
///         count += 1
///         average = total / count
/// ```
///
/// ```text
///   +-------+  resume(_): yield None   +------------------------+
///   | Start | -----------------------> | AtYield{total, count}  | --+ resume(Some(x)):
///   +-------+                          +------------------------+ <-+ yield new average
///                                                  |
///                                                  | resume(None): return (count, average)
///                                                  v
///                                              +------+
///                                              | Done |  resume: Err(AfterCompletion)
///                                              +------+
/// ```
///
/// The first resume primes it (runs up to the first `yield`); its input is
/// ignored, as Python requires the first `send` to be `None`.
///
/// # Examples
///
/// ```
/// use simul_coro::{Averager, Coroutine, CoroutineState::*};
///
/// let mut avg = Averager::new();
/// assert_eq!(avg.resume(None), Ok(Yielded(None)));
/// assert_eq!(avg.resume(Some(1.0)), Ok(Yielded(Some(1.0))));
/// assert_eq!(avg.resume(Some(2.0)), Ok(Yielded(Some(1.5))));
/// assert_eq!(avg.resume(None), Ok(Complete((2, Some(1.5)))));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a coroutine does nothing until it is resumed"]
pub enum Averager {
    /// Created, not yet primed.
    Start,
    /// Suspended at `term = yield average`.
    AtYield {
        /// Sum of the terms so far.
        total: f64,
        /// How many terms so far.
        count: u64,
    },
    /// Returned; every further resume is an error.
    Done,
}

impl Averager {
    /// A fresh averager, not yet primed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_coro::Averager::new(), simul_coro::Averager::Start);
    /// ```
    pub fn new() -> Averager {
        Averager::Start
    }
}

impl Default for Averager {
    fn default() -> Averager {
        Averager::new()
    }
}

impl Coroutine<Option<f64>> for Averager {
    type Yield = Option<f64>;
    type Return = (u64, Option<f64>);

    fn resume(&mut self, term: Option<f64>) -> Resume<Option<f64>, (u64, Option<f64>)> {
        match *self {
            Averager::Start => {
                *self = Averager::AtYield { total: 0.0, count: 0 };
                Ok(CoroutineState::Yielded(None))
            }
            Averager::AtYield { total, count } => {
                let average = |total: f64, count: u64| (count > 0).then(|| total / count as f64);
                match term {
                    None => {
                        *self = Averager::Done;
                        Ok(CoroutineState::Complete((count, average(total, count))))
                    }
                    Some(x) => {
                        let (total, count) = (total + x, count + 1);
                        *self = Averager::AtYield { total, count };
                        Ok(CoroutineState::Yielded(average(total, count)))
                    }
                }
            }
            Averager::Done => Err(ResumeError::AfterCompletion),
        }
    }
}
