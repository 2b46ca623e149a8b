//! [`Notifier`]: wake a blocked reactor from any thread.

use crate::sync::{Arc, AtomicBool, Ordering};
use crate::sys;
use std::fmt;
use std::io;

/// The OS object the notifier signals. Under `cfg(loom)` it may also be
/// loom's fake of one (see `crate::model`); a normal build uses the OS
/// waker directly.
#[cfg(not(loom))]
type Waker = sys::Waker;
#[cfg(loom)]
type Waker = crate::model::Waker;

/// A handle that wakes the reactor's wait from any thread.
///
/// A scheduler hands other threads a way to give it work (a queue behind
/// a mutex, say); after pushing, the other thread calls [`wake`]. The
/// reactor's current or next [`poll`](crate::Reactor::poll) then returns
/// with [`Events::woken`](crate::Events::woken) set, and the scheduler
/// looks at its queue.
///
/// **Coalescing.** Any number of wakes before the reactor looks are one
/// wake-up, and they cost one system call: a `pending` flag is set by the
/// first wake and cleared by the reactor only *after* it has drained the
/// OS object, so wakes that find it set skip the system call. The contract
/// that makes this safe: whatever a thread published before calling
/// `wake` is visible to the scheduler after the `poll` that reports
/// `woken` (or after the one in progress) returns.
///
/// Clone it freely; it is `Send + Sync`. A notifier that outlives its
/// reactor is harmless: waking it does nothing.
///
/// [`wake`]: Notifier::wake
///
/// # Examples
///
/// ```
/// use simul_reactor::{Events, Reactor};
///
/// let mut reactor = Reactor::new()?;
/// let notifier = reactor.notifier();
/// let t = std::thread::spawn(move || notifier.wake());
/// let mut events = Events::with_capacity(8);
/// while !events.woken() {
///     reactor.poll(&mut events, None)?; // returns once the thread wakes us
/// }
/// t.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Notifier {
    /// Shared with the reactor, which resets it.
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The OS object: an eventfd, or kqueue's `EVFILT_USER`.
    waker: Waker,
    /// Set by the first `wake` since the reactor last drained the waker.
    ///
    /// # Invariant
    /// When `pending` is `true`, the OS object has been signalled and not
    /// yet drained, so a wait will return (or is returning).
    pending: AtomicBool,
}

impl Notifier {
    pub(crate) fn new(waker: sys::Waker) -> Notifier {
        #[cfg(loom)]
        let waker = Waker::Os(waker);
        Notifier::from_waker(waker)
    }

    /// The notifier over `waker`, with no wake pending.
    pub(crate) fn from_waker(waker: Waker) -> Notifier {
        Notifier { inner: Arc::new(Inner { waker, pending: AtomicBool::new(false) }) }
    }

    /// Wakes the reactor: its current wait returns, or its next one does
    /// not block.
    ///
    /// # Errors
    ///
    /// Only what the OS reports for the wake-up write, which does not
    /// happen in practice: the notifier owns its descriptor.
    ///
    /// # Examples
    /// See [`Notifier`].
    pub fn wake(&self) -> io::Result<()> {
        // AcqRel pairs with the reactor's swap in `reset`: see there.
        if self.inner.pending.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.inner.waker.wake()
    }

    /// Called by the reactor when the waker's event is seen.
    ///
    /// Drain first, then clear `pending`. The other order loses wakes: a
    /// wake between "clear" and "drain" would be drained away, leaving
    /// `pending` set over an empty waker, and every later wake would skip
    /// the system call. With this order a wake that still finds `pending`
    /// set has its data published before its swap, which the swap below
    /// reads (release sequence of RMWs), so the scheduler sees that data
    /// after this poll returns.
    pub(crate) fn reset(&self) -> io::Result<()> {
        self.inner.waker.reset()?;
        self.inner.pending.swap(false, Ordering::AcqRel);
        Ok(())
    }

    /// The wrong order, for the loom test only (`tests/loom_notifier.rs`
    /// shows it loses wakes): clear `pending`, then drain.
    #[cfg(loom)]
    pub(crate) fn reset_clear_then_drain(&self) -> io::Result<()> {
        self.inner.pending.swap(false, Ordering::AcqRel);
        self.inner.waker.reset()
    }
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("pending", &self.inner.pending.load(Ordering::Relaxed))
            .finish()
    }
}
