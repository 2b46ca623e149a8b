//! [`LoopHandle`]: reaching a loop from other threads.

use std::fmt;
use std::mem;
use std::panic::Location;
use std::sync::{Arc, Mutex, MutexGuard};

use simul_reactor::Notifier;

use crate::runnable::{Call, Runnable, Tag};
use crate::{CallbackKind, Error, EventLoop};

/// A callback sent from another thread, waiting for the loop to pick it
/// up. `Send`, because it crosses threads; once on the loop it runs like
/// any other.
pub(crate) type RemoteCall = Box<dyn Runnable + Send>;

/// The mailbox shared by a loop and every [`LoopHandle`] to it.
pub(crate) struct Remote {
    /// Calls not yet taken by the loop, and whether the loop is gone.
    queue: Mutex<RemoteQueue>,
    /// Wakes the loop's reactor.
    notifier: Notifier,
}

/// What `Remote::queue` protects.
struct RemoteQueue {
    /// In the order they were sent.
    calls: Vec<RemoteCall>,
    /// Set when the loop is dropped; later calls are refused.
    closed: bool,
}

impl Remote {
    pub(crate) fn new(notifier: Notifier) -> Remote {
        Remote { queue: Mutex::new(RemoteQueue { calls: Vec::new(), closed: false }), notifier }
    }

    /// A callback panicking while the lock is held cannot happen (we only
    /// push and swap under it), so a poisoned lock holds consistent data.
    fn lock(&self) -> MutexGuard<'_, RemoteQueue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `call` and wakes the loop.
    pub(crate) fn post(&self, call: RemoteCall) -> Result<(), Error> {
        {
            let mut q = self.lock();
            if q.closed {
                return Err(Error::Closed);
            }
            q.calls.push(call);
        }
        // Published before the wake: the Notifier guarantees the loop sees
        // the call after the poll that reports the wake-up.
        self.notifier.wake()?;
        Ok(())
    }

    /// Moves every queued call into `into` (which the loop keeps to reuse
    /// its allocation).
    pub(crate) fn take(&self, into: &mut Vec<RemoteCall>) {
        mem::swap(&mut self.lock().calls, into);
    }

    /// Refuses further calls and returns those still queued, to be dropped
    /// by the caller outside the lock.
    pub(crate) fn close(&self) -> Vec<RemoteCall> {
        let mut q = self.lock();
        q.closed = true;
        mem::take(&mut q.calls)
    }
}

/// A `Send + Sync` handle to an [`EventLoop`], for other threads (asyncio's
/// `loop.call_soon_threadsafe`).
///
/// The loop itself is single-threaded and `!Send`: its callbacks may hold
/// `Rc`s. Other threads reach it through this handle, which queues a
/// callback in a mutex-protected mailbox and wakes the loop's reactor with
/// its [`Notifier`]. The loop empties the mailbox into its ready queue
/// right after the poll that saw the wake-up.
///
/// While a `LoopHandle` exists the loop never reports
/// [`Error::Stalled`]: someone may still call it.
///
/// # Examples
///
/// ```
/// use simul_callback::EventLoop;
///
/// let mut lp = EventLoop::new()?;
/// let handle = lp.handle();
/// let worker = std::thread::spawn(move || {
///     handle.call_soon_threadsafe(|lp| lp.stop())
/// });
/// lp.run_forever()?; // blocks until the other thread's callback stops it
/// worker.join().unwrap()?;
/// # Ok::<(), simul_callback::Error>(())
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    /// The loop's mailbox.
    pub(crate) remote: Arc<Remote>,
}

impl LoopHandle {
    /// Schedules `f` to run on the loop, from any thread, and wakes the
    /// loop.
    ///
    /// Calls from one thread run in the order they were made; calls from
    /// different threads run in the order they reached the mailbox. Each
    /// runs in the first iteration that starts after the loop saw it, with
    /// the same ordering rules as [`EventLoop::call_soon`].
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the loop has been dropped (`f` is dropped);
    /// [`Error::Io`] if waking the reactor failed (not expected).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_callback::{Error, EventLoop};
    ///
    /// let lp = EventLoop::new()?;
    /// let handle = lp.handle();
    /// drop(lp);
    /// assert!(matches!(handle.call_soon_threadsafe(|_| {}), Err(Error::Closed)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn call_soon_threadsafe(
        &self,
        f: impl FnOnce(&mut EventLoop) + Send + 'static,
    ) -> Result<(), Error> {
        let location = Location::caller();
        self.remote.post(Box::new(Call { f, location, tag: Tag::new(CallbackKind::Threadsafe, 0) }))
    }

    /// Stops the loop from another thread: shorthand for
    /// `call_soon_threadsafe(|lp| lp.stop())`.
    ///
    /// # Errors
    ///
    /// As [`call_soon_threadsafe`](LoopHandle::call_soon_threadsafe).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lp = simul_callback::EventLoop::new()?;
    /// let h = lp.handle();
    /// std::thread::spawn(move || h.stop());
    /// lp.run_forever()?;
    /// # Ok::<(), simul_callback::Error>(())
    /// ```
    #[track_caller]
    pub fn stop(&self) -> Result<(), Error> {
        self.call_soon_threadsafe(|lp| lp.stop())
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopHandle").field("closed", &self.remote.lock().closed).finish()
    }
}
