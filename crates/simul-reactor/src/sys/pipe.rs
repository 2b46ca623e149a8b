//! Pipes: the plumbing under `net::pipe`, signals and child processes.
//!
//! A signal listener is a *self-pipe*: the signal handler writes a byte to
//! the write end, and the read end is what the reactor watches. A child's
//! standard streams are pipes too, made by `std::process::Command`; we only
//! switch them to non-blocking mode (with `fd::set_nonblocking`).

use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};

/// Opens a pipe whose two ends are non-blocking and close-on-exec.
///
/// Returns `(read end, write end)`.
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        // SAFETY: `fds` is a live array of two ints, as `pipe2` expects.
        syscall!(pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC))?;
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        // Apple has no `pipe2`: set the flags afterwards. The window in
        // which another thread's `fork` + `exec` could inherit the ends
        // is the reason every other platform uses `pipe2`.
        // SAFETY: `fds` is a live array of two ints, as `pipe` expects.
        syscall!(pipe(fds.as_mut_ptr()))?;
    }
    // SAFETY: the kernel just returned these two descriptors; nothing else
    // owns them.
    let read = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    // SAFETY: as above, for the write end.
    let write = unsafe { OwnedFd::from_raw_fd(fds[1]) };
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    for fd in [read.as_fd(), write.as_fd()] {
        super::fd::set_nonblocking(fd, true)?;
        super::fd::set_cloexec(fd)?;
    }
    Ok((read, write))
}

/// Reads and discards everything buffered in the non-blocking `fd`.
///
/// Returns whether anything was read. Stops at `WouldBlock` (empty) or
/// end of file; `EINTR` is retried.
pub(crate) fn drain(fd: &OwnedFd) -> io::Result<bool> {
    let mut buf = [0u8; 256];
    let mut any = false;
    loop {
        match super::fd::read(fd.as_fd(), &mut buf) {
            Ok(0) => return Ok(any),
            Ok(_) => any = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(any),
            Err(e) => return Err(e),
        }
    }
}

/// Writes one byte to the non-blocking `fd`, to make its read end
/// readable. A full pipe is success: it is readable already.
#[cfg(any(target_os = "linux", target_os = "android"))] // the SIGCHLD fallback
pub(crate) fn poke(fd: &OwnedFd) -> io::Result<()> {
    match super::fd::write(fd.as_fd(), &[0]) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e),
    }
}
