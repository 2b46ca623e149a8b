//! Anonymous pipes, non-blocking and close-on-exec from birth.
//!
//! `pipe2` sets both flags atomically on Linux and the BSDs; macOS has only
//! `pipe`, so the flags are set with `fcntl` right after (with the fork
//! window described in `socket.rs`).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// Opens a pipe; returns `(read end, write end)`.
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as RawFd; 2];
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        // SAFETY: `fds` has room for the two descriptors the call writes.
        syscall!(pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC))?;
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        // SAFETY: `fds` has room for the two descriptors the call writes.
        syscall!(pipe(fds.as_mut_ptr()))?;
    }
    // SAFETY: the call above succeeded, so the read end is new and ours alone.
    let reader = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    // SAFETY: likewise for the write end.
    let writer = unsafe { OwnedFd::from_raw_fd(fds[1]) };
    let ends = (reader, writer);
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        use std::os::fd::AsFd;
        for fd in [ends.0.as_fd(), ends.1.as_fd()] {
            super::socket::set_cloexec(fd)?;
            super::socket::set_nonblocking(fd, true)?;
        }
    }
    Ok(ends)
}
