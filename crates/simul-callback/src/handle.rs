//! [`Handle`] and [`TimerHandle`]: what scheduling a callback returns.

use simul_reactor::Instant;

use crate::EventLoop;

/// A callback scheduled with [`EventLoop::call_soon`] (or received from
/// another thread), kept to cancel it.
///
/// A `Handle` is two integers, not a shared flag: the loop numbers every
/// entry of its ready queue, and the handle remembers the number. That is
/// why scheduling costs nothing extra when the handle is thrown away, and
/// why [`cancel`](Handle::cancel) needs the loop.
///
/// # Examples
///
/// ```
/// use simul_callback::EventLoop;
///
/// let mut lp = EventLoop::new()?;
/// let h = lp.call_soon(|_| unreachable!("cancelled"));
/// assert!(h.cancel(&mut lp));
/// assert!(!h.cancel(&mut lp), "a second cancel is a no-op");
/// lp.call_soon(|lp| lp.stop());
/// lp.run_forever()?;
/// # Ok::<(), simul_callback::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Handle {
    /// Which loop scheduled the callback (see `EventLoop::id`).
    pub(crate) loop_id: u32,
    /// The callback's position in the loop's ready queue, counted from the
    /// loop's creation.
    pub(crate) seq: u64,
}

impl Handle {
    /// Cancels the callback if it has not run yet; returns whether it did.
    ///
    /// The callback (and everything it captured) is dropped at once. A
    /// panic in a destructor there does not escape `cancel`: it goes to the
    /// [exception handler](EventLoop::set_exception_handler). After the
    /// callback has run, or on a second call, this is a no-op that returns
    /// `false`; a handle from another loop is ignored the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// let mut lp = EventLoop::new()?;
    /// let ran = Rc::new(Cell::new(false));
    /// let r = ran.clone();
    /// let h = lp.call_soon(move |lp| { r.set(true); lp.stop() });
    /// lp.run_forever()?;
    /// assert!(ran.get());
    /// assert!(!h.cancel(&mut lp), "too late: it ran");
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn cancel(self, lp: &mut EventLoop) -> bool {
        lp.cancel_ready(self)
    }
}

/// A callback scheduled with [`EventLoop::call_later`] or
/// [`EventLoop::call_at`], kept to cancel it or ask when it is due.
///
/// # Examples
///
/// ```
/// use simul_callback::EventLoop;
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
/// let h = lp.call_later(Duration::from_secs(60), |_| unreachable!("cancelled"));
/// assert_eq!(h.when().since_origin(), Duration::from_secs(60));
/// assert!(h.cancel(&mut lp));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerHandle {
    /// Which loop scheduled the timer.
    pub(crate) loop_id: u32,
    /// Index into the loop's timer slots.
    pub(crate) slot: u32,
    /// The slot's generation when the timer was scheduled.
    pub(crate) generation: u32,
    /// When the timer is due.
    pub(crate) when: Instant,
}

impl TimerHandle {
    /// When the callback is due, on the loop's clock (asyncio's
    /// `TimerHandle.when()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::{Clock, Instant};
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// let at = Instant::from_nanos(5_000);
    /// let h = lp.call_at(at, |_| {});
    /// assert_eq!(h.when(), at);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn when(&self) -> Instant {
        self.when
    }

    /// Cancels the timer if its callback has not run yet; returns whether
    /// it did.
    ///
    /// Works while the timer is pending and also after it became due but
    /// before its turn in the ready queue (for example when an earlier
    /// callback of the same iteration cancels it). The callback is dropped
    /// at once, as by [`Handle::cancel`]. After the callback ran it is a
    /// no-op that returns `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::EventLoop;
    /// use simul_reactor::Clock;
    /// use std::time::Duration;
    ///
    /// let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    /// let late = lp.call_later(Duration::from_secs(2), |_| unreachable!("cancelled"));
    /// lp.call_later(Duration::from_secs(1), move |lp| {
    ///     assert!(late.cancel(lp));
    ///     lp.stop();
    /// });
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    pub fn cancel(self, lp: &mut EventLoop) -> bool {
        lp.cancel_timer(self)
    }
}
