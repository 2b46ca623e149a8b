//! Pipes and the non-blocking flag: the plumbing under `net::pipe`,
//! signals and child processes.
//!
//! A signal listener is a *self-pipe*: the signal handler writes a byte to
//! the write end, and the read end is what the reactor watches. A child's
//! standard streams are pipes too, made by `std::process::Command`; we only
//! switch them to non-blocking mode.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

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
    for fd in [&read, &write] {
        set_nonblocking(fd.as_raw_fd())?;
        // SAFETY: `fd` is open (we own it); FD_CLOEXEC is a valid flag.
        syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
    }
    Ok((read, write))
}

/// Sets `O_NONBLOCK` on `fd`, keeping its other status flags.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL takes no argument and only reads the flags of `fd`;
    // a bad descriptor gives EBADF, not undefined behaviour.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: F_SETFL with an int argument; as above for a bad `fd`.
        syscall!(fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    }
    Ok(())
}

/// Reads and discards everything buffered in the non-blocking `fd`.
///
/// Returns whether anything was read. Stops at `WouldBlock` (empty) or
/// end of file; `EINTR` is retried.
pub(crate) fn drain(fd: &OwnedFd) -> io::Result<bool> {
    let mut buf = [0u8; 256];
    let mut any = false;
    loop {
        // SAFETY: reads at most `buf.len()` bytes into a live buffer from
        // a descriptor we own.
        match syscall!(read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())) {
            Ok(0) => return Ok(any),
            Ok(_) => any = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(any),
            Err(e) => return Err(e),
        }
    }
}

/// Writes one byte to the non-blocking `fd`, to make its read end
/// readable. A full pipe is success: it is readable already.
#[cfg(any(target_os = "linux", target_os = "android"))] // the SIGCHLD fallback
pub(crate) fn poke(fd: &OwnedFd) -> io::Result<()> {
    let byte = 0u8;
    loop {
        // SAFETY: writes one byte from a live local to a descriptor we own.
        match syscall!(write(fd.as_raw_fd(), (&byte as *const u8).cast(), 1)) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
