//! [`Error`]: why running or reaching the loop failed.

use std::fmt;
use std::io;

/// Why a run of the loop, or a call into it from another thread, failed.
///
/// OS-facing calls that only touch one descriptor (`add_reader`, ...)
/// return `io::Result` instead; this enum is for the loop as a whole.
///
/// # Examples
///
/// ```
/// use simul_callback::{Error, EventLoop};
///
/// // Nothing scheduled, nothing watched, nobody holding a LoopHandle:
/// // asyncio would block forever here. simul says so instead.
/// let mut lp = EventLoop::new()?;
/// assert!(matches!(lp.run_forever(), Err(Error::Stalled)));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The reactor failed while waiting (not expected in a correct
    /// program).
    Io(io::Error),
    /// Nothing is ready, no timer is pending, no descriptor is watched, no
    /// executor job is running and no [`LoopHandle`](crate::LoopHandle)
    /// exists: nothing can ever happen again, so waiting would hang.
    Stalled,
    /// [`EventLoop::stop`](crate::EventLoop::stop) was called before the
    /// awaited condition or result came true (asyncio: "Event loop stopped
    /// before Future completed").
    Stopped,
    /// A `run_*` method was called from a callback of the same loop, which
    /// is already running (asyncio: "This event loop is already running").
    AlreadyRunning,
    /// The loop has been dropped; calls from other threads can no longer
    /// reach it.
    Closed,
    /// [`EventLoop::run_until_complete`](crate::EventLoop::run_until_complete)
    /// found its [`Deferred`](crate::Deferred) done but empty: a callback
    /// took the value first.
    Taken,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "the event loop's reactor failed: {e}"),
            Error::Stalled => f.write_str(
                "the event loop would wait forever: nothing is ready, scheduled, watched or \
                 running elsewhere",
            ),
            Error::Stopped => f.write_str("the event loop was stopped before the awaited result"),
            Error::AlreadyRunning => f.write_str("the event loop is already running"),
            Error::Closed => f.write_str("the event loop is closed"),
            Error::Taken => f.write_str("the awaited result was taken by someone else"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}
