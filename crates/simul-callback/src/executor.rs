//! The loop's worker-thread pool for `run_in_executor`, and
//! [`ExecutorError`].

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

/// Why a job given to [`EventLoop::run_in_executor`](crate::EventLoop::run_in_executor)
/// produced no value.
///
/// # Examples
///
/// ```
/// use simul_callback::ExecutorError;
/// let e = ExecutorError::Panicked("division by zero".into());
/// assert_eq!(e.to_string(), "the executor job panicked: division by zero");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecutorError {
    /// The job panicked; the panic's message (or a placeholder when the
    /// payload was not a string). The worker thread survives.
    Panicked(String),
}

impl fmt::Display for ExecutorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutorError::Panicked(msg) => write!(f, "the executor job panicked: {msg}"),
        }
    }
}

impl std::error::Error for ExecutorError {}

/// A job as the pool sees it: it delivers its own result.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// A bounded pool of worker threads, started lazily.
///
/// ```text
///  submit(job) --> queue --> idle worker picks it up
///                    |
///                    +--> no idle worker and threads < cap: start one
/// ```
///
/// Dropping the pool (with its loop) empties the queue and tells the
/// workers to exit: idle ones leave at once, busy ones after their current
/// job. Nobody waits for them, so dropping never hangs on a slow job
/// (asyncio's `executor.shutdown(wait=False)`).
pub(crate) struct Pool {
    /// State shared with the workers.
    shared: Arc<Shared>,
}

/// What the pool and its workers share.
struct Shared {
    /// The queue and the counters.
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
}

/// What `Shared::state` protects.
struct State {
    /// Jobs not yet picked up, oldest first.
    queue: VecDeque<Job>,
    /// Most worker threads allowed at once.
    cap: usize,
    /// Worker threads alive (started and not yet exited).
    /// # Invariant
    /// `threads <= cap` except briefly after the cap was lowered, until
    /// the extra workers notice and exit.
    threads: usize,
    /// Workers waiting for a job.
    idle: usize,
    /// Set when the pool is dropped.
    shutdown: bool,
}

impl Pool {
    pub(crate) fn new(cap: usize) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    cap: cap.max(1),
                    threads: 0,
                    idle: 0,
                    shutdown: false,
                }),
                work: Condvar::new(),
            }),
        }
    }

    pub(crate) fn set_cap(&self, cap: usize) {
        self.shared.lock().cap = cap.max(1);
        // Extra workers that are idle notice the lower cap when woken.
        self.shared.work.notify_all();
    }

    pub(crate) fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// Queues `job`, starting a worker if none is free and the cap allows.
    ///
    /// # Errors
    ///
    /// When no worker exists and the OS refuses to start one; the job is
    /// not queued then.
    pub(crate) fn submit(&self, job: Job) -> io::Result<()> {
        let mut st = self.shared.lock();
        st.queue.push_back(job);
        if st.queue.len() > st.idle && st.threads < st.cap {
            st.threads += 1;
            let shared = self.shared.clone();
            let spawned = thread::Builder::new()
                .name("simul-callback-executor".into())
                .spawn(move || worker(&shared));
            if let Err(e) = spawned {
                st.threads -= 1;
                if st.threads == 0 {
                    // Nobody would ever run it: give it back as an error.
                    let job = st.queue.pop_back();
                    drop(st);
                    drop(job);
                    return Err(e);
                }
            }
        }
        drop(st);
        self.shared.work.notify_one();
        Ok(())
    }
}

impl Shared {
    /// Jobs run outside the lock and catch their own panics, so the lock
    /// is never poisoned with inconsistent state.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn worker(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if st.shutdown || st.threads > st.cap {
            break;
        }
        if let Some(job) = st.queue.pop_front() {
            drop(st);
            job();
            st = shared.lock();
            continue;
        }
        st.idle += 1;
        st = shared.work.wait(st).unwrap_or_else(|poisoned| poisoned.into_inner());
        st.idle -= 1;
    }
    st.threads -= 1;
}

impl Pool {
    /// Tells the workers to exit (busy ones after their job) and hands
    /// back the jobs not started, for the caller to drop outside the lock:
    /// a job's captures may do anything in their destructors, panic
    /// included.
    pub(crate) fn shut_down(&mut self) -> VecDeque<Job> {
        let queued = {
            let mut st = self.shared.lock();
            st.shutdown = true;
            mem::take(&mut st.queue)
        };
        self.shared.work.notify_all();
        queued
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        drop(self.shut_down());
    }
}
