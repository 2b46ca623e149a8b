//! [`spawn_blocking`]: run blocking work on a bounded pool of worker
//! threads (asyncio's `to_thread`), and await its result.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use simul_reactor::Notifier;

use crate::JoinError;
use crate::runtime::current;

/// Worker threads per runtime, at most.
///
/// # Examples
///
/// ```
/// assert_eq!(simul_future::MAX_BLOCKING_THREADS, 4);
/// ```
pub const MAX_BLOCKING_THREADS: usize = 4;

/// How long an idle worker waits for a job before it exits.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A job for a worker.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A runtime's pool of worker threads.
///
/// Threads are started on demand, up to [`MAX_BLOCKING_THREADS`]; jobs
/// beyond that wait in a queue. An idle thread exits after ten seconds.
pub(crate) struct BlockingPool {
    /// Shared with the workers.
    inner: Arc<PoolInner>,
}

struct PoolInner {
    /// Jobs and thread accounting.
    state: Mutex<PoolState>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
    /// Jobs submitted and not yet finished (deadlock detection: a job in
    /// flight may still wake a task).
    in_flight: AtomicUsize,
    /// Wakes the loop when the last job in flight finishes, so it looks
    /// again for a deadlock even if nobody awaited the job.
    notifier: Notifier,
}

struct PoolState {
    /// Jobs not yet taken.
    queue: VecDeque<Job>,
    /// Worker threads alive.
    threads: usize,
    /// Workers waiting for a job.
    idle: usize,
    /// The runtime is gone: workers exit when the queue is empty.
    shutdown: bool,
}

impl BlockingPool {
    pub(crate) fn new(notifier: Notifier) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(PoolInner {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    shutdown: false,
                }),
                work: Condvar::new(),
                in_flight: AtomicUsize::new(0),
                notifier,
            }),
        }
    }

    /// Jobs submitted and not finished.
    pub(crate) fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::Acquire)
    }

    fn submit(&self, job: Job) {
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        let mut state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.queue.push_back(job);
        if state.idle > 0 {
            self.inner.work.notify_one();
        } else if state.threads < MAX_BLOCKING_THREADS {
            let inner = self.inner.clone();
            let started = std::thread::Builder::new()
                .name("simul-blocking".into())
                .spawn(move || worker(&inner));
            match started {
                Ok(_) => state.threads += 1,
                // The OS refused a thread and none is running: run the
                // job here rather than never (it blocks the loop, which
                // is what the caller was avoiding, but it completes).
                Err(_) if state.threads == 0 => {
                    let job = state.queue.pop_back();
                    drop(state);
                    if let Some(job) = job {
                        job();
                        finished(&self.inner);
                    }
                }
                // Otherwise a running worker takes it.
                Err(_) => {}
            }
        }
    }

    /// Lets the workers finish the queued jobs and exit.
    pub(crate) fn shutdown(&self) {
        let mut state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.shutdown = true;
        self.inner.work.notify_all();
    }
}

fn worker(inner: &PoolInner) {
    let mut state = inner.state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            // The job catches the closure's panics, but then wakes the
            // awaiting task, and a waker not made by simul may panic: a
            // worker unwound by it would never count the job finished, and
            // the runtime (which waits for jobs in flight before it moves a
            // virtual clock) would wait for ever. Nobody could act on the
            // panic here; the panic hook has reported it.
            let _ = catch_unwind(AssertUnwindSafe(job));
            finished(inner);
            state = inner.state.lock().unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        if state.shutdown {
            break;
        }
        state.idle += 1;
        let (s, timeout) =
            inner.work.wait_timeout(state, IDLE_TIMEOUT).unwrap_or_else(PoisonError::into_inner);
        state = s;
        state.idle -= 1;
        if timeout.timed_out() && state.queue.is_empty() {
            break;
        }
    }
    state.threads -= 1;
}

/// Accounts for a finished job; the last one in flight wakes the loop.
fn finished(inner: &PoolInner) {
    if inner.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
        // Nothing to do if the runtime is gone.
        let _ = inner.notifier.wake();
    }
}

/// Where a job's result meets its handle.
struct Slot<T> {
    /// The result, once the job ran.
    result: Option<Result<T, JoinError>>,
    /// The task awaiting it.
    waker: Option<Waker>,
}

/// Runs `f` on a worker thread and returns a future of its result, so
/// the loop keeps running other tasks meanwhile.
///
/// A panic in `f` comes back as [`JoinError::Panic`]. At most
/// [`MAX_BLOCKING_THREADS`] jobs of a runtime run at once; the others
/// queue. When the job finishes, the worker wakes the awaiting task
/// through its waker (from another thread: the reactor's notifier).
/// Dropping the handle does not stop the job.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, spawn_blocking};
///
/// let mut rt = Runtime::new()?;
/// let sum = rt.block_on(async {
///     spawn_blocking(|| (1..=100u64).sum::<u64>()).await
/// })?;
/// assert_eq!(sum.unwrap(), 5050);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
pub fn spawn_blocking<T, F>(f: F) -> BlockingHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let Some(core) = current() else {
        panic!("simul_future::spawn_blocking called outside a runtime");
    };
    let slot = Arc::new(Mutex::new(Slot { result: None, waker: None }));
    let theirs = slot.clone();
    core.blocking.submit(Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::Panic);
        let waker = {
            let mut s = theirs.lock().unwrap_or_else(PoisonError::into_inner);
            s.result = Some(result);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }));
    BlockingHandle { slot }
}

/// The future of [`spawn_blocking`]: a leaf future.
///
/// ```text
///   poll: result there? --yes--> Ready(result)
///            | no
///            v
///        keep a clone of the waker in the slot --> Pending
///        (the worker takes it and wakes the task when the job is done)
/// ```
///
/// # Panics
///
/// Polling it again after it returned `Ready`.
///
/// # Examples
/// See [`spawn_blocking`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BlockingHandle<T> {
    /// Shared with the job.
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for BlockingHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(result) = s.result.take() {
            return Poll::Ready(result);
        }
        match &s.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            // A real clone: the worker wakes it from its own thread.
            _ => s.waker = Some(cx.waker().clone()),
        }
        crate::task::note_wait(cx, crate::task::WaitReason::Thread);
        Poll::Pending
    }
}

impl<T> fmt::Debug for BlockingHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingHandle").finish_non_exhaustive()
    }
}
