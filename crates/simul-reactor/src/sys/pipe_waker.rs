//! The notifier where kqueue has no user events: a non-blocking self-pipe.
//!
//! Used on NetBSD and OpenBSD, whose kqueue gained `EVFILT_USER` only in
//! recent releases (NetBSD 10, OpenBSD 7.8); a pipe works on every release.
//! The read end is registered (readable, edge-triggered) in the kqueue;
//! `wake` writes one byte, which makes it readable and wakes a blocked
//! `kevent`; `reset` reads the pipe empty. The notifier's `pending` flag
//! means at most one byte is normally in flight.
//!
//! Like the rest of the kqueue backend, this file is not compiled in CI
//! (no NetBSD or OpenBSD target is installed there) and has never run.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::Selector;
use crate::{Interest, Token};

/// The wake-up half of the notifier.
///
/// The waker owns both ends of its pipe, so a notifier that outlives its
/// reactor writes into its own pipe, never into a reused descriptor.
///
/// # Invariant
/// `reader` and `writer` are the two ends of one pipe, both non-blocking
/// and close-on-exec; `reader` is registered (readable, edge-triggered) in
/// exactly one selector, under the notifier's token.
#[derive(Debug)]
pub(crate) struct Waker {
    /// The read end, registered in the selector.
    reader: OwnedFd,
    /// The write end, written by `wake`.
    writer: OwnedFd,
}

impl Waker {
    /// Creates the pipe and registers its read end in `selector`.
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let mut fds: [libc::c_int; 2] = [-1, -1];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK))?;
        // SAFETY: `pipe2` just returned these descriptors; nothing else
        // owns them.
        let reader = unsafe { OwnedFd::from_raw_fd(fds[0]) };
        // SAFETY: as above, for the write end.
        let writer = unsafe { OwnedFd::from_raw_fd(fds[1]) };
        selector.register(reader.as_raw_fd(), token, Interest::READABLE)?;
        Ok(Waker { reader, writer })
    }

    /// Makes the next (or current) wait of the selector return.
    pub(crate) fn wake(&self) -> io::Result<()> {
        let byte = 1u8;
        loop {
            // SAFETY: writes one byte from a live u8 to our pipe.
            let r = syscall!(write(self.writer.as_raw_fd(), (&byte as *const u8).cast(), 1));
            match r {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The pipe is full: it is readable already. Empty it and
                // write again, so this wake makes a fresh edge.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.reset()?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the pipe empty so the next `wake` makes a new edge.
    pub(crate) fn reset(&self) -> io::Result<()> {
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: reads at most `buf.len()` bytes into `buf`.
            let r = syscall!(read(self.reader.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()));
            match r {
                // End-of-file cannot happen while we hold the write end;
                // either way there is nothing left to read.
                Ok(0) => return Ok(()),
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}
