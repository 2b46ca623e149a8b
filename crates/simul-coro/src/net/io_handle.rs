//! [`IoHandle`]: how socket objects reach their scheduler.

use std::fmt;
use std::rc::Rc;

use crate::driver::Driver;

/// A handle on a [`Scheduler`](crate::Scheduler)'s reactor, from
/// [`Scheduler::io_handle`](crate::Scheduler::io_handle): the socket
/// objects of this module are created with one, register their descriptor
/// through it once, and deregister through it when they are dropped.
///
/// A handle and not a trap, because `Drop` cannot yield: a dropped socket
/// must leave the poller at once, before its descriptor number is closed
/// and reused. The handle is an `Rc` (cheap to clone, not `Send`): the
/// sockets live on the scheduler's thread, like its tasks.
///
/// **After the scheduler.** The handle keeps the reactor alive, so a
/// socket may outlive its scheduler, but nobody takes the reactor's
/// events any more and the readiness the socket keeps would never change.
/// So once the scheduler is dropped, every operation of its sockets
/// (`try_read`, `try_write`, `try_accept`, and so the [`Read`](super::Read),
/// [`WriteAll`](super::WriteAll), [`Accept`](super::Accept) coroutines on
/// any other scheduler) fails at once with an error saying so, and so
/// does making a new socket with the handle; the calls that do not wait
/// (`local_addr`, `shutdown`, ...) still work, and dropping the socket
/// still closes its descriptor (the reactor's closes with the last one).
///
/// ```
/// use simul_coro::Scheduler;
/// use simul_coro::net::TcpListener;
///
/// let s = Scheduler::<()>::new()?;
/// let listener = TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap())?;
/// drop(s);
/// let e = listener.try_accept().unwrap_err(); // not WouldBlock for ever
/// assert!(e.to_string().contains("scheduler"), "{e}");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Examples
///
/// ```
/// use simul_coro::Scheduler;
/// use simul_coro::net::TcpListener;
///
/// let s = Scheduler::<()>::new()?;
/// let io = s.io_handle();
/// let listener = TcpListener::bind(&io, "127.0.0.1:0".parse().unwrap())?;
/// assert_eq!(io.poller_updates(), 1); // registered once, both directions
/// drop(listener);
/// assert_eq!(io.poller_updates(), 2); // and deregistered
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct IoHandle {
    /// The scheduler's shared part.
    pub(crate) driver: Rc<Driver>,
}

impl IoHandle {
    /// How many times the scheduler and its sockets changed the poller's
    /// registrations (register, reregister, deregister): one `epoll_ctl`
    /// each on Linux, one `kevent` change list on the BSDs. The same
    /// counter as [`Scheduler::poller_updates`](crate::Scheduler::poller_updates).
    ///
    /// # Examples
    ///
    /// See [`IoHandle`].
    pub fn poller_updates(&self) -> u64 {
        self.driver.poller_updates()
    }
}

impl fmt::Debug for IoHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoHandle").field("poller_updates", &self.poller_updates()).finish()
    }
}
