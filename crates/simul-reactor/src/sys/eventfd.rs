//! The Linux notifier: an `eventfd` registered in the epoll instance.
//!
//! `wake` adds one to the eventfd's counter, which makes it readable and
//! wakes a thread blocked in `epoll_wait`; `reset` reads the counter back
//! to zero. Many writes before one read are one readable edge: wakes
//! coalesce for free.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::Selector;
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
        let one: u64 = 1;
        loop {
            // SAFETY: writes 8 bytes from a live u64 to our eventfd.
            let r = syscall!(write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8));
            match r {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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
        let mut buf: u64 = 0;
        loop {
            // SAFETY: reads 8 bytes into a live u64 from our eventfd.
            let r = syscall!(read(self.fd.as_raw_fd(), (&mut buf as *mut u64).cast(), 8));
            match r {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}
