//! Everything that calls the operating system.
//!
//! One file per OS mechanism. The backend is chosen here, by `cfg`, and
//! nowhere else: the rest of the crate sees one small selector API
//!
//! ```text
//! Selector::new() -> io::Result<Selector>
//! Selector::register(fd, token, interest)    // edge-triggered
//! Selector::reregister(fd, token, interest)
//! Selector::deregister(fd)
//! Selector::select(&mut Vec<RawEvent>, Option<Duration>)
//! Waker::new(&Selector, token) / wake() / reset()
//! ```
//!
//! and never names `epoll` or `kqueue`.
//!
//! The other mechanisms are shared by every backend: `socket` and
//! `sockaddr` (plain functions over borrowed descriptors, used by the
//! public `net` types), `pipe` (non-blocking pipes), `signal` (a
//! `sigaction` handler feeding self-pipes) and `process` (a descriptor
//! that becomes readable when a child exits: pidfd on Linux, a private
//! kqueue elsewhere).

/// Calls a libc function and turns its `-1` into `io::Error::last_os_error()`.
///
/// Every system call in the crate goes through this one macro, so the
/// error convention lives in a single place. The call is made inside an
/// `unsafe` block: the caller writes the `// SAFETY:` comment above the
/// macro invocation, saying why the arguments are valid.
macro_rules! syscall {
    ($fn: ident ( $($arg: expr),* $(,)* ) ) => {{
        #[allow(unused_unsafe, clippy::undocumented_unsafe_blocks)]
        let res = unsafe { libc::$fn($($arg, )*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

pub(crate) mod pipe;
pub(crate) mod process;
pub(crate) mod signal;
mod sockaddr;
pub(crate) mod socket;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod eventfd;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use self::{
    epoll::{RawEvent, Selector, event},
    eventfd::Waker,
};

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly",
))]
mod kqueue;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly",
))]
pub(crate) use self::kqueue::{RawEvent, Selector, Waker, event};
/// kqueue without `EVFILT_USER` on older releases: the notifier is a pipe.
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
mod pipe_waker;

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly",
)))]
compile_error!(
    "simul-reactor supports epoll (Linux, Android) and kqueue (macOS, iOS, the BSDs) only"
);

/// Checks that `fd` can name an open file before it reaches the kernel.
///
/// Negative numbers are never valid descriptors; the kernel would say
/// `EBADF`, but a message naming the caller's mistake is clearer.
pub(crate) fn check_fd(fd: std::os::fd::RawFd) -> std::io::Result<()> {
    if fd < 0 {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid file descriptor {fd}: descriptors are never negative"),
        ))
    } else {
        Ok(())
    }
}
