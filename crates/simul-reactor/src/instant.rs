//! [`Instant`]: a point on a reactor clock.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time on a [`Clock`](crate::Clock): nanoseconds since the
/// clock was created.
///
/// Unlike `std::time::Instant` it can be built from a number, which is
/// what a virtual clock needs, and all arithmetic **saturates**: adding
/// `Duration::MAX` gives [`Instant::MAX`] ("never", about 584 years away)
/// instead of overflowing or panicking, and subtracting a later instant
/// gives zero.
///
/// # Examples
///
/// ```
/// use simul_reactor::Instant;
/// use std::time::Duration;
///
/// let t = Instant::ZERO + Duration::from_secs(3);
/// assert_eq!(t.as_nanos(), 3_000_000_000);
/// assert_eq!(t + Duration::MAX, Instant::MAX);
/// assert_eq!(Instant::ZERO - t, Duration::ZERO);
/// assert_eq!(t - Instant::ZERO, Duration::from_secs(3));
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The clock's origin: the moment it was created.
    pub const ZERO: Instant = Instant(0);
    /// The latest representable instant; timers set for it never fire in
    /// practice.
    pub const MAX: Instant = Instant(u64::MAX);

    /// The instant `nanos` nanoseconds after the clock's origin.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = simul_reactor::Instant::from_nanos(1_500);
    /// assert_eq!(t.as_nanos(), 1_500);
    /// ```
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    /// Nanoseconds since the clock's origin.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_reactor::Instant::ZERO.as_nanos(), 0);
    /// ```
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since the clock's origin, as a `Duration`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Instant;
    /// use std::time::Duration;
    /// assert_eq!(Instant::from_nanos(2_000_000).since_origin(), Duration::from_millis(2));
    /// ```
    pub const fn since_origin(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// `self + d`, saturating at [`Instant::MAX`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Instant;
    /// use std::time::Duration;
    /// assert_eq!(Instant::MAX.saturating_add(Duration::from_secs(1)), Instant::MAX);
    /// ```
    pub fn saturating_add(self, d: Duration) -> Instant {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Instant;
    /// use std::time::Duration;
    /// let a = Instant::from_nanos(10);
    /// assert_eq!(a.saturating_duration_since(Instant::from_nanos(4)), Duration::from_nanos(6));
    /// assert_eq!(Instant::ZERO.saturating_duration_since(a), Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Instant::MAX {
            f.write_str("Instant::MAX")
        } else {
            write!(f, "Instant({:?})", self.since_origin())
        }
    }
}

impl fmt::Display for Instant {
    /// Seconds since the origin with microsecond precision, e.g. `3.000250s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Instant::MAX {
            return f.write_str("never");
        }
        write!(f, "{}.{:06}s", self.0 / 1_000_000_000, (self.0 % 1_000_000_000) / 1_000)
    }
}
