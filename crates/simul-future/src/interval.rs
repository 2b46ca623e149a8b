//! [`interval`]: a tick every period, on the runtime's clock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_reactor::Instant;

use crate::{Sleep, sleep, sleep_until};

/// Ticks every `period`: the `k`th [`tick`](Interval::tick) completes at
/// `start + k × period`, where `start` is when `interval` was called (or
/// first polled, outside a runtime). Unlike a loop of `sleep(period)`,
/// the time spent between ticks does not accumulate as drift.
///
/// **Missed ticks are skipped**: a tick that is late completes at once
/// (reporting its scheduled instant), and the ticks that fell due
/// meanwhile are dropped: the next is the next multiple of `period` still
/// in the future, so a stalled loop gets no burst. A zero `period` is
/// taken as 1 ns.
///
/// # Panics
///
/// Polling a tick outside a runtime.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, interval, now};
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let mut rt = Runtime::with_clock(Clock::new_virtual())?;
/// let ticks = rt.block_on(async {
///     let mut every = interval(Duration::from_millis(200));
///     let mut at = Vec::new();
///     for _ in 0..3 {
///         every.tick().await;
///         at.push(now().since_origin().as_millis());
///     }
///     at
/// })?;
/// assert_eq!(ticks, [200, 400, 600]);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn interval(period: Duration) -> Interval {
    let period = period.max(Duration::from_nanos(1));
    Interval { period, sleep: sleep(period) }
}

/// A periodic timer; see [`interval`].
///
/// # Examples
/// See [`interval`].
#[derive(Debug)]
pub struct Interval {
    /// Time between ticks.
    period: Duration,
    /// Sleeps until the next tick.
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// # Examples
    /// See [`interval`].
    pub fn tick(&mut self) -> Tick<'_> {
        Tick { interval: self }
    }

    /// The period.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let i = simul_future::interval(Duration::from_secs(1));
    /// assert_eq!(i.period(), Duration::from_secs(1));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

/// The future of [`Interval::tick`].
///
/// ```text
///   [Waiting for sleep(next)] --sleep Ready--> next' = next + period
///        ^                                     (skipping ticks already past)
///        +------- reset the sleep to next' <---+--> Ready(next)
/// ```
///
/// Equivalent `async fn`:
///
/// ```text
/// async fn tick(i: &mut Interval) -> Instant {
///     let due = i.next;
///     sleep_until(due).await;
///     i.next = first multiple of period after now();
///     due
/// }
/// ```
///
/// # Examples
/// See [`interval`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Tick<'a> {
    /// The interval ticking.
    interval: &'a mut Interval,
}

impl Future for Tick<'_> {
    type Output = Instant;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        let interval = &mut *self.interval;
        if Pin::new(&mut interval.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The sleep has its deadline by now (it was polled).
        let due = interval.sleep.deadline().unwrap_or(Instant::ZERO);
        let now = crate::now();
        let mut next = due.saturating_add(interval.period);
        if next <= now {
            // Late by more than a period: skip to the next tick to come.
            let period = interval.period.as_nanos().max(1);
            let behind = (now - due).as_nanos();
            let skip = behind / period + 1;
            let jump = u64::try_from(skip.saturating_mul(period)).unwrap_or(u64::MAX);
            next = due.saturating_add(Duration::from_nanos(jump));
        }
        interval.sleep = sleep_until(next);
        Poll::Ready(due)
    }
}
