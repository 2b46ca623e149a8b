//! [`Unparker`] and [`park`]: waking a green thread from another OS thread.
//!
//! Everything else in a hub is single-threaded (`Rc`, `RefCell`, no
//! locks): a green thread is woken by its own hub, on the hub's OS thread.
//! The one way in from outside is the reactor's
//! [`Notifier`], which breaks the hub's `poll`
//! from any thread. An [`Unparker`] pairs it with a mutex-protected queue:
//!
//! ```text
//!   other OS thread                         hub's OS thread
//!   ---------------                         ---------------
//!   unpark():                               park():
//!     notified: false -> true                 notified true? take it, return
//!     (already true: done, nothing queued)    else record the wait in `waiter`,
//!     queued: false -> true                   park (run other green threads)
//!     (already true: done, the entry
//!      still on the queue covers it)        poll returns `woken`:
//!     push the slot on the queue  ------+     drain the queue; for each slot:
//!     notifier.wake() -------------+    |       queued: -> false, then if
//!                                  v    v       `notified` and `waiter` is
//!                               (eventfd)       set, wake it
//!                                           park() returns: take `notified`
//! ```
//!
//! A slot is on the queue at most once (its `queued` flag), so the queue
//! never holds more entries than there are slots, however many threads
//! unpark at once and however often a `park` takes a token without
//! parking (which leaves the slot's entry on the queue); and a
//! notification that comes before the `park` is kept in the flag, so none
//! is lost (std's `Thread::unpark` token, one per green thread).

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use simul_reactor::Notifier;

use crate::Error;
use crate::hub::{WaitToken, with_current};

/// `ParkSlot::waiter` when nobody waits on the slot.
const NO_WAITER: u64 = u64::MAX;

/// What one parked thread (or one offloaded job) is woken through.
pub(crate) struct ParkSlot {
    /// An unpark came and no `park` has taken it yet.
    ///
    /// # Invariant
    /// Set by `unpark` (any thread) and cleared by the parked side (the
    /// hub's thread). While it is set, the slot is on the queue or its
    /// thread has already been woken for it (or was not parked on it).
    notified: AtomicBool,
    /// The slot is on [`Remote`]'s queue, not yet taken by a drain.
    ///
    /// # Invariant
    /// Set by the `unpark` that pushes the slot, cleared by the drain
    /// that takes it, before that drain reads `notified`: an `unpark`
    /// that finds it set needs no entry of its own, since the drain still
    /// to come sees its notification. Without it, every unpark of a
    /// thread that takes its token in `park` without parking queued one
    /// more entry, and the queue grew until the hub next blocked.
    queued: AtomicBool,
    /// The packed [`WaitToken`] of the thread parked on this slot, or
    /// [`NO_WAITER`]. Read and written on the hub's thread only (atomic
    /// just so the slot can be shared), hence `Relaxed`.
    waiter: AtomicU64,
    /// Live [`Unparker`]s of this slot. When it is 0, nobody can ever
    /// wake a thread parked here: the hub counts that as a deadlock.
    handles: AtomicUsize,
}

impl ParkSlot {
    pub(crate) fn new() -> Arc<ParkSlot> {
        Arc::new(ParkSlot {
            notified: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            waiter: AtomicU64::new(NO_WAITER),
            handles: AtomicUsize::new(0),
        })
    }

    /// Takes a pending notification. `AcqRel`: whatever the unparker
    /// published before its `unpark` is visible after this returns true.
    pub(crate) fn take_notification(&self) -> bool {
        self.notified.swap(false, Ordering::AcqRel)
    }

    /// Takes the slot off the queue and says whether an unpark is
    /// pending (hub's thread, when draining). An entry seen with the flag
    /// down is stale (a `park` took the token without parking) and may be
    /// skipped: the next unpark queues the slot again.
    ///
    /// `AcqRel` on `queued`: an unpark that found it still set (and so
    /// pushed nothing) released its `notified` store with that swap, and
    /// this swap reads it, so the load below sees the notification.
    pub(crate) fn dequeue(&self) -> bool {
        self.queued.swap(false, Ordering::AcqRel);
        self.notified.load(Ordering::Acquire)
    }

    /// Records (or with `None`, clears) the wait that an unpark wakes.
    pub(crate) fn set_waiter(&self, token: Option<WaitToken>) {
        self.waiter.store(token.map_or(NO_WAITER, WaitToken::pack), Ordering::Relaxed);
    }

    /// The wait an unpark should wake now, if any.
    pub(crate) fn waiter(&self) -> Option<WaitToken> {
        match self.waiter.load(Ordering::Relaxed) {
            NO_WAITER => None,
            packed => Some(WaitToken::unpack(packed)),
        }
    }

    /// Whether some [`Unparker`] of this slot is alive. `Acquire` pairs
    /// with the `Release` of the last handle's drop, so when this returns
    /// false every unpark that handle made is already on the queue.
    pub(crate) fn may_be_unparked(&self) -> bool {
        self.handles.load(Ordering::Acquire) > 0
    }
}

/// The hub's end of the cross-thread door: the queue other threads push
/// onto and the notifier that makes the hub look at it.
pub(crate) struct Remote {
    /// Slots unparked since the hub last drained the queue.
    queue: Mutex<RemoteQueue>,
    /// Breaks the hub's `poll`.
    notifier: Notifier,
    /// Set once the hub is gone; checked before the fast path of
    /// `unpark`, so every unpark after that reports it (the queue's own
    /// `open` settles a close that races with an unpark).
    closed: AtomicBool,
}

/// The part of [`Remote`] behind its mutex.
struct RemoteQueue {
    /// Unparked slots, at most once each (see [`ParkSlot::queued`]).
    slots: Vec<Arc<ParkSlot>>,
    /// False once the hub is gone: unparks then report it.
    open: bool,
}

impl Remote {
    pub(crate) fn new(notifier: Notifier) -> Arc<Remote> {
        Arc::new(Remote {
            queue: Mutex::new(RemoteQueue { slots: Vec::new(), open: true }),
            notifier,
            closed: AtomicBool::new(false),
        })
    }

    /// Takes every queued slot (hub's thread). Swapped with `spare`, so a
    /// busy hub does not allocate per drain.
    pub(crate) fn drain_into(&self, spare: &mut Vec<Arc<ParkSlot>>) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::swap(&mut queue.slots, spare);
    }

    /// The hub is going away: later unparks fail, queued ones are dropped.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let slots = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.open = false;
            std::mem::take(&mut queue.slots)
        };
        drop(slots);
    }
}

/// A `Send + Sync + Clone` handle that wakes one green thread from any OS
/// thread: a worker thread, a signal-handling thread, another hub.
///
/// [`unparker`] gives the one of the calling green thread; [`park`] waits
/// for it. The semantics are those of `std::thread::park` / `unpark`: each
/// green thread has one token. `unpark` makes it available (a no-op if it
/// is already); `park` takes it, returning at once if it was available and
/// parking the green thread (not the OS thread: the hub runs the others)
/// until an `unpark` otherwise. An `unpark` that comes before the `park`
/// is therefore never lost.
///
/// Waking goes through a mutex-protected queue and the reactor's
/// [`Notifier`]: one `eventfd` write per burst of
/// unparks, however many threads unpark at once.
///
/// Unparking a green thread that has finished or was killed does nothing;
/// unparking after its hub was dropped gives an error (`NotConnected`)
/// and nothing else: no panic, nothing touches freed memory (the handle
/// shares only atomics and the queue with the hub).
///
/// # Examples
///
/// ```
/// use simul_green::Hub;
///
/// let hub = Hub::new()?;
/// let answer = hub.run(|| -> std::io::Result<u32> {
///     let unparker = simul_green::unparker()?;
///     let (tx, rx) = std::sync::mpsc::channel();
///     let worker = std::thread::spawn(move || {
///         tx.send(6 * 7).unwrap();
///         unparker.unpark() // wakes the green thread parked below
///     });
///     simul_green::park()?; // other green threads would run meanwhile
///     worker.join().unwrap()?;
///     Ok(rx.recv().unwrap())
/// })??;
/// assert_eq!(answer, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Unparker {
    /// The thread's (or the job's) slot.
    slot: Arc<ParkSlot>,
    /// Its hub's queue and notifier; outlives the hub harmlessly.
    remote: Arc<Remote>,
}

impl Unparker {
    pub(crate) fn new(slot: Arc<ParkSlot>, remote: Arc<Remote>) -> Unparker {
        slot.handles.fetch_add(1, Ordering::Relaxed);
        Unparker { slot, remote }
    }

    /// Makes the green thread's token available, waking it if it is
    /// parked in [`park`]. Callable from any thread, any number of times.
    ///
    /// # Errors
    ///
    /// `NotConnected` if the hub is gone (dropped); what the OS says when
    /// signalling the reactor, which does not happen in practice.
    ///
    /// # Examples
    /// See [`Unparker`].
    pub fn unpark(&self) -> io::Result<()> {
        if self.remote.closed.load(Ordering::Acquire) {
            return Err(hub_gone());
        }
        // Only the `false -> true` change queues the slot: the rest of a
        // burst is already covered by that entry.
        if self.slot.notified.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // Still on the queue (a `park` took the last token without
        // parking, before any drain): that entry covers this unpark, and
        // its pusher rang the notifier.
        if self.slot.queued.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        {
            let mut queue = self.remote.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if !queue.open {
                return Err(hub_gone());
            }
            queue.slots.push(self.slot.clone());
        }
        self.remote.notifier.wake()
    }
}

/// The error of an unpark after the hub was dropped.
fn hub_gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "unpark: the green thread's hub has been dropped")
}

impl Clone for Unparker {
    fn clone(&self) -> Unparker {
        Unparker::new(self.slot.clone(), self.remote.clone())
    }
}

impl Drop for Unparker {
    fn drop(&mut self) {
        // Release: see `ParkSlot::may_be_unparked`.
        let last = self.slot.handles.fetch_sub(1, Ordering::Release) == 1;
        // The hub may be blocked in its poll only because this handle
        // could still wake a thread parked on the slot. With the last one
        // gone nobody can, so the hub must look again and report the
        // deadlock instead of waiting forever: ring it. (The notifier's
        // swap releases the decrement above to the hub's reset of it.) On
        // the hub's own thread there is no need: it looks before it next
        // blocks. Once the hub is gone nobody waits.
        if last && !self.remote.closed.load(Ordering::Acquire) && !on_hub_thread(&self.remote) {
            let _ = self.remote.notifier.wake();
        }
    }
}

/// Whether the calling OS thread is running the hub that owns `remote`.
fn on_hub_thread(remote: &Arc<Remote>) -> bool {
    with_current(|hub| Arc::ptr_eq(hub.remote(), remote)).unwrap_or(false)
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker")
            .field("notified", &self.slot.notified.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The [`Unparker`] of the calling green thread (or of main).
///
/// # Errors
///
/// Outside a hub.
///
/// # Examples
/// See [`Unparker`].
pub fn unparker() -> io::Result<Unparker> {
    with_current(|hub| hub.unparker())
}

/// Parks the calling green thread until its [`Unparker`] is used, or
/// returns at once if it was used since the last `park` (taking the
/// token). Other green threads run meanwhile.
///
/// While some `Unparker` of the thread exists (anywhere, even on the
/// parked thread's own stack) the hub assumes it may be used, so it waits
/// for it rather than report a deadlock; with none left, a parked main
/// gets [`Error::Deadlock`], also when the last one is dropped on another
/// OS thread while the hub waits.
///
/// # Errors
///
/// [`Error::Deadlock`] if the caller is main and nothing can wake anyone;
/// [`Error::Io`] outside a hub, while unwinding, or if the reactor fails.
///
/// # Examples
///
/// ```
/// let hub = simul_green::Hub::new()?;
/// hub.run(|| -> Result<(), simul_green::Error> {
///     simul_green::unparker()?.unpark()?; // before the park: kept
///     simul_green::park()?; // returns at once, taking it
///     // No unparker is left now: nobody could ever wake a second park.
///     assert!(matches!(simul_green::park(), Err(simul_green::Error::Deadlock(_))));
///     Ok(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn park() -> Result<(), Error> {
    with_current(|hub| hub.park_current())?
}
