//! [`Clock`]: the real monotonic clock, or a virtual one that jumps.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::Instant;

/// The time source of a reactor: real or virtual.
///
/// * **Real**: the OS monotonic clock (`CLOCK_MONOTONIC`, through
///   `std::time::Instant`). Waits really wait.
/// * **Virtual**: a counter that only moves when told to. A reactor on a
///   virtual clock never sleeps for a timer: when nothing is runnable and
///   the OS has no I/O event ready, it *jumps* the clock to the next
///   deadline. Twelve simulated hours of the chess simul pass in
///   milliseconds, and every timing in a test is exact to the nanosecond.
///
/// Code reads time only through the clock, so the same program runs under
/// either one. Clones share the same time: a virtual clock advanced through
/// one clone is advanced for all.
///
/// Blocking work (a `time.sleep` in a seed, a CPU-heavy loop) is modelled
/// by [`Clock::block_for`]: on the real clock it blocks the thread, on the
/// virtual clock it moves time forward while nothing else can run, which
/// is exactly what blocking does to an event loop.
///
/// # Examples
///
/// ```
/// use simul_reactor::{Clock, Instant};
/// use std::time::Duration;
///
/// let clock = Clock::new_virtual();
/// assert_eq!(clock.now(), Instant::ZERO);
/// clock.block_for(Duration::from_secs(4)); // a blocking nap: 4 s pass at once
/// assert_eq!(clock.now(), Instant::ZERO + Duration::from_secs(4));
///
/// let real = Clock::real();
/// assert!(!real.is_virtual());
/// ```
#[derive(Clone, Debug)]
pub struct Clock {
    /// Which clock, and its state.
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// Nanoseconds are measured from `epoch`, taken when the clock was made.
    Real { epoch: std::time::Instant },
    /// Nanoseconds since the clock's creation; only moves forward.
    Virtual(Arc<AtomicU64>),
}

impl Clock {
    /// The OS monotonic clock; [`Instant::ZERO`] is now.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = simul_reactor::Clock::real();
    /// let a = c.now();
    /// assert!(c.now() >= a);
    /// ```
    pub fn real() -> Clock {
        Clock { kind: Kind::Real { epoch: std::time::Instant::now() } }
    }

    /// A virtual clock standing at [`Instant::ZERO`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = simul_reactor::Clock::new_virtual();
    /// assert!(c.is_virtual());
    /// assert_eq!(c.now(), simul_reactor::Instant::ZERO);
    /// ```
    pub fn new_virtual() -> Clock {
        Clock { kind: Kind::Virtual(Arc::new(AtomicU64::new(0))) }
    }

    /// Whether this is a virtual clock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_reactor::Clock::new_virtual().is_virtual());
    /// ```
    pub fn is_virtual(&self) -> bool {
        matches!(self.kind, Kind::Virtual(_))
    }

    /// The current time.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = simul_reactor::Clock::new_virtual();
    /// assert_eq!(c.now().as_nanos(), 0);
    /// ```
    #[inline]
    pub fn now(&self) -> Instant {
        match &self.kind {
            Kind::Real { epoch } => {
                let nanos = epoch.elapsed().as_nanos();
                Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            }
            Kind::Virtual(t) => Instant::from_nanos(t.load(Ordering::Acquire)),
        }
    }

    /// Moves a virtual clock forward by `d` (saturating at
    /// [`Instant::MAX`]).
    ///
    /// # Errors
    ///
    /// `ErrorKind::Unsupported` on the real clock: real time cannot be
    /// advanced.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Clock;
    /// use std::time::Duration;
    ///
    /// let c = Clock::new_virtual();
    /// c.advance(Duration::from_millis(5))?;
    /// assert_eq!(c.now().since_origin(), Duration::from_millis(5));
    /// assert!(Clock::real().advance(Duration::from_millis(5)).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn advance(&self, d: Duration) -> io::Result<()> {
        match &self.kind {
            Kind::Virtual(_) => {
                self.advance_to(self.now().saturating_add(d))?;
                Ok(())
            }
            Kind::Real { .. } => Err(real_clock_error()),
        }
    }

    /// Moves a virtual clock forward to `t`; a `t` in the past leaves it
    /// where it is (time never goes backwards). Returns the new time.
    ///
    /// # Errors
    ///
    /// `ErrorKind::Unsupported` on the real clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Clock, Instant};
    ///
    /// let c = Clock::new_virtual();
    /// c.advance_to(Instant::from_nanos(100))?;
    /// c.advance_to(Instant::from_nanos(40))?; // the past: no effect
    /// assert_eq!(c.now(), Instant::from_nanos(100));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn advance_to(&self, t: Instant) -> io::Result<Instant> {
        match &self.kind {
            Kind::Virtual(now) => {
                let prev = now.fetch_max(t.as_nanos(), Ordering::AcqRel);
                Ok(Instant::from_nanos(prev.max(t.as_nanos())))
            }
            Kind::Real { .. } => Err(real_clock_error()),
        }
    }

    /// Does `d` of blocking work: the calling thread sleeps for `d` on the
    /// real clock; on the virtual clock `d` is charged to the clock at
    /// once. Either way nothing else on this thread's loop runs meanwhile.
    /// A running [trace recording](crate::trace) charges `d` to the unit
    /// that runs ([`TraceKind::Blocked`](crate::trace::TraceKind::Blocked)).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Clock;
    /// use std::time::Duration;
    ///
    /// let c = Clock::new_virtual();
    /// c.block_for(Duration::from_secs(3600));
    /// assert_eq!(c.now().since_origin(), Duration::from_secs(3600));
    /// ```
    pub fn block_for(&self, d: Duration) {
        crate::trace::blocked(self, d);
        match &self.kind {
            Kind::Real { .. } => std::thread::sleep(d),
            Kind::Virtual(now) => {
                let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                // A CAS loop rather than fetch_add: it saturates instead
                // of wrapping when `d` is huge.
                let _ = now.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                    Some(t.saturating_add(nanos))
                });
            }
        }
    }
}

fn real_clock_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "the real clock cannot be advanced; build the reactor with Clock::new_virtual()",
    )
}
