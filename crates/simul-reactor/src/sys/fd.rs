//! What works on any descriptor: `read`, `write` (`EINTR` retried), and
//! the two flags, non-blocking mode and close-on-exec.
//!
//! Most descriptors here are born with both flags, atomically
//! (`SOCK_NONBLOCK | SOCK_CLOEXEC`, `pipe2`, `accept4`, `EFD_NONBLOCK`).
//! These setters serve the rest: descriptors made by `std` (adopted
//! sockets, a child's standard streams), a pipe end handed back as
//! blocking, and the calls that take no flags (`socket`, `pipe` and
//! `accept` on macOS; `kqueue`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::socket::retry;

/// Sets or clears `O_NONBLOCK` with one `ioctl(FIONBIO)`.
///
/// The flag belongs to the open file description, so every copy of the
/// descriptor sees the change. `FIONBIO` works on sockets, pipes and any
/// other descriptor on Linux, macOS and the BSDs, and touches no other
/// status flag.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let mut on = libc::c_int::from(nonblocking);
    // SAFETY: FIONBIO reads one `int` through the pointer, which is live.
    syscall!(ioctl(fd.as_raw_fd(), libc::FIONBIO, &mut on)).map(drop)
}

/// Sets `FD_CLOEXEC`, the only descriptor flag there is.
///
/// Only needed where a call cannot set it atomically (every kqueue
/// system: see the module docs); the window between the call and this one
/// lets a concurrent `fork` + `exec` inherit the descriptor.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn set_cloexec(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_SETFD takes an int argument; `fd` is open for the borrow.
    syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC)).map(drop)
}

/// Reads from any descriptor (pipes, the notifier's eventfd or
/// self-pipe), retrying `EINTR`.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // A read larger than `isize::MAX` is `EINVAL` on some systems.
    let len = buf.len().min(isize::MAX as usize);
    let ptr = buf.as_mut_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `len` writable bytes, live for the call.
    retry(|| syscall!(read(fd.as_raw_fd(), ptr, len))).map(|n| n as usize)
}

/// Writes to any descriptor (pipes, the notifier's eventfd or
/// self-pipe), retrying `EINTR`.
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    let len = buf.len().min(isize::MAX as usize);
    let ptr = buf.as_ptr().cast::<libc::c_void>();
    // SAFETY: `ptr` points to `len` readable bytes, live for the call.
    retry(|| syscall!(write(fd.as_raw_fd(), ptr, len))).map(|n| n as usize)
}
