//! [`Registration`]: a descriptor registered once, for both directions,
//! by the socket object that owns it; dropping it deregisters it.

use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;

use simul_reactor::Interest;

use super::sources::{Direction, Key};
use crate::driver::Driver;

/// A socket object's registration with its scheduler's reactor.
///
/// ```text
///   new: slot in Sources + register(fd, token, BOTH)     one epoll_ctl
///    |
///    v
///   live: operations look at / clear the readiness bits  no epoll_ctl
///    |
///    v
///   drop / close: slot freed (waiters orphaned, woken    one epoll_ctl
///   with an error), deregister(fd), then the fd closes
/// ```
pub(crate) struct Registration {
    /// The scheduler's shared part.
    driver: Rc<Driver>,
    /// The registered descriptor (owned by the object holding this).
    fd: RawFd,
    /// Where its readiness lives.
    key: Key,
    /// Already deregistered by [`close`](Registration::close).
    closed: bool,
}

impl Registration {
    /// Registers `fd` edge-triggered for both directions.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if another object owns this descriptor number, or
    /// what the reactor says.
    pub(crate) fn new(driver: &Rc<Driver>, fd: RawFd) -> io::Result<Registration> {
        // A reactor nobody polls would never report the socket ready.
        driver.check_alive(fd)?;
        let key = driver.sources.borrow_mut().insert(fd)?;
        if let Err(e) = driver.register(fd, key.token(), Interest::BOTH) {
            driver.sources.borrow_mut().remove(key);
            return Err(e);
        }
        Ok(Registration { driver: driver.clone(), fd, key, closed: false })
    }

    /// The scheduler's shared part.
    pub(crate) fn driver(&self) -> &Rc<Driver> {
        &self.driver
    }

    /// `Ok` while the scheduler lives; afterwards an error saying it is
    /// gone.
    pub(crate) fn check_alive(&self) -> io::Result<()> {
        self.driver.check_alive(self.fd)
    }

    /// Runs the non-blocking `op` if the descriptor may be ready in
    /// `direction`; without the syscall answers `WouldBlock` if not. A
    /// `WouldBlock` from `op` clears the readiness.
    ///
    /// # Errors
    ///
    /// Once the scheduler is dropped, an error saying so, before anything
    /// else: nobody takes the reactor's events any more, so a cleared bit
    /// would answer `WouldBlock` for ever, and a coroutine run on another
    /// scheduler would wait, wake (its plain wait on the descriptor) and
    /// be told `WouldBlock` again, round and round.
    pub(crate) fn io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_alive()?;
        if !self.driver.sources.borrow_mut().is_ready(self.key, direction) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = op();
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::WouldBlock
        {
            self.clear(direction);
        }
        result
    }

    /// The descriptor is known not to be ready in `direction` (a connect
    /// still in progress, a short stream read).
    pub(crate) fn clear(&self, direction: Direction) {
        self.driver.sources.borrow_mut().clear(self.key, direction);
    }

    /// A stream read returned fewer bytes than asked: the receive queue
    /// was empty, unless an event said that proves nothing.
    pub(crate) fn short_read(&self) {
        self.driver.sources.borrow_mut().short_read(self.key);
    }

    /// Deregisters now, saying whether the reactor agreed.
    pub(crate) fn close(mut self) -> io::Result<()> {
        self.closed = true;
        self.release()
    }

    /// Frees the slot (orphaning its waiters) and deregisters.
    fn release(&self) -> io::Result<()> {
        // `try_borrow_mut`: never panic in a destructor; the table is only
        // borrowed for the length of one call, so this does not fail.
        if let Ok(mut sources) = self.driver.sources.try_borrow_mut() {
            sources.remove(self.key);
        }
        self.driver.deregister(self.fd)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // The descriptor may already be gone from the poller (a failed
        // connection); nothing to do about an error here.
        if !self.closed {
            let _ = self.release();
        }
    }
}
