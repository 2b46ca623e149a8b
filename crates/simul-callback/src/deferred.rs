//! [`Deferred`]: a result that a callback will set later.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A slot for a result that some callback will provide later: asyncio's
/// `Future` as `loop.create_future()` makes it (Twisted calls it a
/// `Deferred`, which is the name used here so it is not confused with
/// Rust's `Future` trait).
///
/// Clone it into the callbacks that will produce the value; hand it to
/// [`EventLoop::run_until_complete`](crate::EventLoop::run_until_complete)
/// to run the loop until the value is there.
///
/// # Examples
///
/// ```
/// use simul_callback::{Deferred, EventLoop};
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
/// let answer = Deferred::new();
/// let a = answer.clone();
/// lp.call_later(Duration::from_secs(3), move |_| { a.set_result(42).unwrap(); });
/// assert_eq!(lp.run_until_complete(&answer)?, 42);
/// assert_eq!(lp.time().since_origin(), Duration::from_secs(3));
/// # Ok::<(), simul_callback::Error>(())
/// ```
pub struct Deferred<T> {
    /// The value once set, until taken.
    state: Rc<RefCell<State<T>>>,
}

/// Where a [`Deferred`] is in its life.
///
/// ```text
///   Pending --set_result--> Done(value) --take--> Taken
/// ```
enum State<T> {
    /// No value yet.
    Pending,
    /// Set, not yet taken.
    Done(T),
    /// Set and taken.
    Taken,
}

impl<T> Deferred<T> {
    /// An empty slot.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = simul_callback::Deferred::<u8>::new();
    /// assert!(!d.is_done());
    /// ```
    pub fn new() -> Deferred<T> {
        Deferred { state: Rc::new(RefCell::new(State::Pending)) }
    }

    /// Sets the value.
    ///
    /// # Errors
    ///
    /// Gives `value` back when a value was set already (asyncio raises
    /// `InvalidStateError`).
    ///
    /// # Examples
    ///
    /// ```
    /// let d = simul_callback::Deferred::new();
    /// assert_eq!(d.set_result(1), Ok(()));
    /// assert_eq!(d.set_result(2), Err(2));
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), T> {
        let mut st = self.state.borrow_mut();
        match *st {
            State::Pending => {
                *st = State::Done(value);
                Ok(())
            }
            _ => Err(value),
        }
    }

    /// Whether a value has been set (even if it was taken since).
    ///
    /// # Examples
    ///
    /// ```
    /// let d = simul_callback::Deferred::new();
    /// d.set_result("ok").unwrap();
    /// assert!(d.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        !matches!(*self.state.borrow(), State::Pending)
    }

    /// Takes the value out, if it is there and was not taken before.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = simul_callback::Deferred::new();
    /// assert_eq!(d.take(), None);
    /// d.set_result(7).unwrap();
    /// assert_eq!(d.take(), Some(7));
    /// assert_eq!(d.take(), None);
    /// ```
    pub fn take(&self) -> Option<T> {
        let mut st = self.state.borrow_mut();
        match std::mem::replace(&mut *st, State::Taken) {
            State::Done(v) => Some(v),
            other => {
                *st = other;
                None
            }
        }
    }
}

impl<T> Default for Deferred<T> {
    fn default() -> Deferred<T> {
        Deferred::new()
    }
}

impl<T> Clone for Deferred<T> {
    fn clone(&self) -> Deferred<T> {
        Deferred { state: self.state.clone() }
    }
}

impl<T> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match *self.state.borrow() {
            State::Pending => "pending",
            State::Done(_) => "done",
            State::Taken => "taken",
        };
        f.debug_struct("Deferred").field("state", &state).finish()
    }
}
