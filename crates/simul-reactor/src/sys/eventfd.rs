//! The Linux notifier: an `eventfd` registered in the epoll instance.
//!
//! `wake` adds one to the eventfd's counter, which makes it readable and
//! wakes a thread blocked in `epoll_wait`; `reset` reads the counter back
//! to zero. Many writes before one read are one readable edge: wakes
//! coalesce for free.

use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};

use super::{Selector, fd};
use crate::{Interest, Token};

/// The wake-up half of the notifier.
///
/// # Invariant
/// `fd` is a non-blocking, close-on-exec eventfd registered (readable,
/// edge-triggered) in exactly one selector, under the notifier's token.
#[derive(Debug)]
pub(crate) struct Waker {
    /// The eventfd.
    fd: OwnedFd,
}

impl Waker {
    /// Creates an eventfd and registers it in `selector` under `token`.
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let raw = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `eventfd` just returned this descriptor; nothing else
        // owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        selector.register(raw, token, Interest::READABLE)?;
        Ok(Waker { fd })
    }

    /// Makes the next (or current) wait of the selector return.
    pub(crate) fn wake(&self) -> io::Result<()> {
        loop {
            // An eventfd takes exactly one u64 per write: add 1.
            match fd::write(self.fd.as_fd(), &1u64.to_ne_bytes()) {
                Ok(_) => return Ok(()),
                // The counter is at its maximum: it is readable already,
                // so a wait will return. Reset it and add our one, so the
                // counter never stays saturated.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.reset()?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Drains the counter so the next `wake` makes a new edge.
    pub(crate) fn reset(&self) -> io::Result<()> {
        // One 8-byte read returns the whole counter and zeroes it.
        match fd::read(self.fd.as_fd(), &mut [0u8; 8]) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}
