//! [`Error`]: why a green thread's result, or a wait, did not come.

use std::any::Any;
use std::fmt;
use std::io;

use crate::Deadlock;

/// Why [`JoinHandle::join`](crate::JoinHandle::join),
/// [`JoinHandle::kill`](crate::JoinHandle::kill) or
/// [`Event::wait`](crate::Event::wait) gave no value.
///
/// # Examples
///
/// ```
/// use simul_green::{Error, Hub};
///
/// let hub = Hub::new()?;
/// let err = hub.run(|| simul_green::spawn(|| -> u32 { panic!("boom") })?.join().map(drop))?;
/// match err {
///     Err(Error::Panicked(payload)) => assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom")),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub enum Error {
    /// The green thread panicked; this is the payload it panicked with,
    /// as `std::thread::JoinHandle::join` hands it over.
    Panicked(Box<dyn Any + Send + 'static>),
    /// The green thread was killed before it finished.
    Killed,
    /// Nothing can ever run again: see [`Deadlock`].
    Deadlock(Deadlock),
    /// The hub could not do what was asked: called outside `Hub::run`,
    /// a stack could not be mapped, the reactor failed, or the caller
    /// tried to wait while unwinding.
    Io(io::Error),
}

impl Error {
    /// The panic message, when the payload is a string (as it is for
    /// `panic!("...")`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = simul_green::Error::Panicked(Box::new("oops"));
    /// assert_eq!(e.panic_message(), Some("oops"));
    /// assert_eq!(simul_green::Error::Killed.panic_message(), None);
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            Error::Panicked(p) => p
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            _ => None,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Panicked(_) => f.debug_tuple("Panicked").field(&self.panic_message()).finish(),
            Error::Killed => f.write_str("Killed"),
            Error::Deadlock(d) => f.debug_tuple("Deadlock").field(d).finish(),
            Error::Io(e) => f.debug_tuple("Io").field(e).finish(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Panicked(_) => match self.panic_message() {
                Some(m) => write!(f, "the green thread panicked: {m}"),
                None => f.write_str("the green thread panicked"),
            },
            Error::Killed => f.write_str("the green thread was killed"),
            Error::Deadlock(d) => d.fmt(f),
            Error::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

impl From<Error> for io::Error {
    /// Keeps an `Io` error as it is; the others become `ErrorKind::Other`
    /// with the message of their `Display` (a panic payload is not `Sync`,
    /// so only its message travels).
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            other => io::Error::other(other.to_string()),
        }
    }
}

/// The error for hub functions called outside [`Hub::run`](crate::Hub::run).
pub(crate) fn not_in_hub() -> io::Error {
    io::Error::other(
        "not inside a simul-green hub: green-thread functions work only inside Hub::run \
         (on the hub's main thread or in a green thread it runs)",
    )
}
