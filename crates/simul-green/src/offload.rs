//! [`offload`]: run a closure on a worker thread while the calling green
//! thread parks (gevent's `threadpool.apply`, asyncio's `to_thread`).
//!
//! A green thread that computes for a long time, or calls something that
//! blocks the OS thread (a C library, `std::fs`, a DNS lookup), stops the
//! whole hub: no other green thread runs until it returns. `offload`
//! hands the closure to one of the hub's worker threads and parks the
//! caller on a [`ParkSlot`] of its own; the worker stores the result and
//! wakes it through an [`Unparker`] (the reactor's notifier). Meanwhile
//! the hub runs everyone else, and with several cores the jobs of
//! several green threads run in parallel.
//!
//! ```text
//!   green thread            hub                       worker thread
//!   offload(f) --submit--> queue -----------------> pops the job
//!     park on the slot      runs other threads        r = catch_unwind(f)
//!                           poll ...                  result <- r
//!                           <----- notifier.wake() --- unparker.unpark()
//!                           drains: wakes the slot
//!   takes the result <----- switches back
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::hub::with_current;
use crate::unpark::{ParkSlot, Unparker};
use crate::{Error, Wait};

/// A job for a worker: the user's closure, wrapped so it catches its own
/// panic and reports its result.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A hub's bounded pool of worker threads.
///
/// Threads start on demand, one per job that finds no idle worker, up to
/// `max`; further jobs wait in a FIFO queue. Idle workers stay (blocked on
/// a condition variable, costing no CPU) until the hub is dropped, which
/// drops the jobs still queued and joins every worker: a job in progress
/// cannot be interrupted, so the drop waits for it to return.
pub(crate) struct Workers {
    /// Shared with the worker threads.
    shared: Arc<Shared>,
    /// At most this many worker threads.
    max: usize,
    /// The workers started, for joining them (hub's thread only).
    threads: RefCell<Vec<std::thread::JoinHandle<()>>>,
}

/// What the workers share with the hub.
struct Shared {
    /// Jobs and the shutdown flag.
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
}

/// The part of [`Shared`] behind its mutex.
struct State {
    /// Jobs no worker has taken yet.
    queue: VecDeque<Job>,
    /// Workers blocked waiting for a job.
    idle: usize,
    /// The hub is gone: workers exit (queued jobs were dropped).
    shutdown: bool,
}

impl Workers {
    /// A pool of at most `max` (at least 1) threads; none started yet.
    pub(crate) fn new(max: usize) -> Workers {
        Workers {
            shared: Arc::new(Shared {
                state: Mutex::new(State { queue: VecDeque::new(), idle: 0, shutdown: false }),
                work: Condvar::new(),
            }),
            max,
            threads: RefCell::new(Vec::new()),
        }
    }

    /// Queues `job`, starting a worker for it if none is idle and the
    /// pool is not full.
    ///
    /// # Errors
    ///
    /// What the OS says when refusing a thread, if no worker exists to
    /// take the job instead (the job is then dropped, not run).
    fn submit(&self, job: Job) -> std::io::Result<()> {
        let mut threads = self.threads.borrow_mut();
        let start = {
            let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.queue.push_back(job);
            if state.idle > 0 {
                self.shared.work.notify_one();
            }
            // Each idle worker takes one queued job; the rest need a new
            // worker, while the pool has room.
            state.queue.len() > state.idle && threads.len() < self.max
        };
        if !start {
            return Ok(());
        }
        let shared = self.shared.clone();
        match std::thread::Builder::new()
            .name("simul-green-offload".into())
            .spawn(move || work(&shared))
        {
            Ok(handle) => threads.push(handle),
            Err(e) if threads.is_empty() => {
                // Nobody will ever take it: take it back (it is the only
                // job, since no worker exists) and report.
                let job = self
                    .shared
                    .state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .queue
                    .pop_back();
                drop(job);
                return Err(e);
            }
            // A running worker takes it when it is free.
            Err(_) => {}
        }
        Ok(())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let dropped = {
            let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.shutdown = true;
            std::mem::take(&mut state.queue)
        };
        self.shared.work.notify_all();
        // Outside the lock: a job's captures may take a while to drop.
        drop(dropped);
        let threads = std::mem::take(self.threads.get_mut());
        for t in threads {
            // Jobs catch their own panics; a worker cannot panic.
            let _ = t.join();
        }
    }
}

/// A worker's loop: take jobs until the pool shuts down.
fn work(shared: &Shared) {
    let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if state.shutdown {
            return;
        }
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job();
            state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        state.idle += 1;
        state = shared.work.wait(state).unwrap_or_else(PoisonError::into_inner);
        state.idle -= 1;
    }
}

/// Runs `f` on one of the hub's worker threads and parks the calling
/// green thread until it returns; the other green threads run meanwhile.
/// Returns `f`'s value, or its panic as [`Error::Panicked`].
///
/// At most [`Builder::offload_threads`](crate::Builder::offload_threads)
/// jobs of a hub run at once; more wait their turn in order.
///
/// **Kills.** An OS thread cannot be stopped from outside, so killing a
/// green thread parked here unwinds it at once (its destructors run) but
/// lets the job run to its end on the worker; its result is then dropped.
/// Dropping the hub waits for jobs in progress (and drops queued ones).
///
/// # Errors
///
/// [`Error::Panicked`] if `f` panicked; [`Error::Io`] outside a hub (`f`
/// is not run), while unwinding, or if the OS refuses the first worker
/// thread.
///
/// # Examples
///
/// ```
/// use simul_green::Hub;
/// use std::time::Duration;
///
/// let hub = Hub::new()?;
/// let (sum, beats) = hub.run(|| -> Result<(u64, u32), simul_green::Error> {
///     let beats = std::rc::Rc::new(std::cell::Cell::new(0));
///     let b = beats.clone();
///     let _heartbeat = simul_green::spawn(move || loop {
///         simul_green::sleep(Duration::from_millis(1)).unwrap();
///         b.set(b.get() + 1);
///     })?;
///     // Blocks a worker thread, not the hub: the heartbeat keeps beating.
///     let sum = simul_green::offload(|| {
///         std::thread::sleep(Duration::from_millis(30));
///         (1..=100u64).sum::<u64>()
///     })?;
///     Ok((sum, beats.get()))
/// })??;
/// assert_eq!(sum, 5050);
/// assert!(beats > 0);
/// let panicked = hub.run(|| simul_green::offload(|| -> u8 { panic!("in the worker") }))?;
/// assert_eq!(panicked.unwrap_err().panic_message(), Some("in the worker"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn offload<T, F>(f: F) -> Result<T, Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    with_current(|hub| -> Result<T, Error> {
        // Refuses (or unwinds for a pending kill) before the job is sent,
        // so a refused offload never runs `f`.
        hub.begin_wait()?;
        let done = Arc::new(Mutex::new(None::<std::thread::Result<T>>));
        let slot = ParkSlot::new();
        let unparker = Unparker::new(slot.clone(), hub.remote().clone());
        let theirs = done.clone();
        hub.workers().submit(Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            *theirs.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
            // The green thread may be gone (killed, or its hub dropped):
            // then nobody wants the result, and that is fine.
            let _ = unparker.unpark();
        }))?;
        loop {
            let result = done.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(result) = result {
                return result.map_err(Error::Panicked);
            }
            hub.park_remote(&slot, Wait::Offload)?;
        }
    })?
}
