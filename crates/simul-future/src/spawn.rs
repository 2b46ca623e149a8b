//! [`spawn`]: start a task on the runtime this code runs in.

use std::future::Future;
use std::panic::Location;

use crate::JoinHandle;
use crate::runtime::current;

/// Starts `future` as a task on the current runtime and returns its
/// handle. The task runs concurrently with the caller, interleaved at
/// `.await` points, on this thread.
///
/// # Panics
///
/// When called outside a runtime (not inside
/// [`Runtime::block_on`](crate::Runtime::block_on) or a task), where
/// there is no loop to run the task. Use
/// [`Runtime::spawn`](crate::Runtime::spawn) from outside.
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, spawn};
///
/// let mut rt = Runtime::new()?;
/// let n = rt.block_on(async {
///     let inner = spawn(async { spawn(async { 41 }).await.unwrap() + 1 });
///     inner.await.unwrap()
/// })?;
/// assert_eq!(n, 42);
/// # Ok::<(), simul_future::RuntimeError>(())
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match current() {
        Some(core) => core.spawn(future, Location::caller()),
        None => panic!(
            "simul_future::spawn called outside a runtime: call it inside Runtime::block_on, \
             or use Runtime::spawn"
        ),
    }
}
