//! [`Event`]: a flag green threads can wait for.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use crate::hub::{Inner, Resume, WaitToken, is_current, with_current};
use crate::{Error, Wait};

/// A flag that green threads wait on until some thread sets it, like
/// gevent's `Event` (and asyncio's). Clones share the flag.
///
/// `set` wakes every waiter; while set, `wait` returns at once; `clear`
/// lowers it again.
///
/// # Examples
///
/// ```
/// use simul_green::{Event, Hub};
///
/// let hub = Hub::new()?;
/// hub.run(|| {
///     let ready = Event::new();
///     let r = ready.clone();
///     let waiter = simul_green::spawn(move || { r.wait().unwrap(); "woken" }).unwrap();
///     simul_green::yield_now().unwrap(); // the waiter parks
///     ready.set();
///     assert_eq!(waiter.join().unwrap(), "woken");
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// The flag.
    set: Cell<bool>,
    /// Parked waiters, with the hub they belong to (an event may outlive
    /// one hub and be used under another; tokens of the old one are
    /// dropped, never delivered).
    waiters: RefCell<Vec<(*const Inner, WaitToken)>>,
}

impl Event {
    /// A new, unset event.
    ///
    /// # Examples
    /// See [`Event`].
    pub fn new() -> Event {
        Event::default()
    }

    /// Whether the event is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = simul_green::Event::new();
    /// assert!(!e.is_set());
    /// e.set();
    /// assert!(e.is_set());
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.inner.set.get()
    }

    /// Sets the flag and makes every waiter runnable. Works anywhere,
    /// also outside a hub (there can be no waiters there).
    ///
    /// # Examples
    /// See [`Event`].
    pub fn set(&self) {
        self.inner.set.set(true);
        let waiters = std::mem::take(&mut *self.inner.waiters.borrow_mut());
        let _ = with_current(|hub| {
            for (owner, token) in waiters {
                if std::ptr::eq(owner, hub) {
                    hub.wake(token);
                }
            }
        });
    }

    /// Lowers the flag.
    ///
    /// # Examples
    /// See [`Event::is_set`].
    pub fn clear(&self) {
        self.inner.set.set(false);
    }

    /// Parks the calling green thread until the event is set; returns at
    /// once if it is set already.
    ///
    /// # Errors
    ///
    /// [`Error::Deadlock`] if the caller is main and nothing can ever set
    /// the event; [`Error::Io`] outside a hub or while unwinding.
    ///
    /// # Examples
    /// See [`Event`] and [`Deadlock`](crate::Deadlock).
    pub fn wait(&self) -> Result<(), Error> {
        loop {
            if self.is_set() {
                return Ok(());
            }
            let resume = with_current(|hub| -> Result<Resume, Error> {
                debug_assert!(is_current(hub));
                let token = hub.begin_wait()?;
                self.inner.waiters.borrow_mut().push((hub as *const Inner, token));
                Ok(hub.park(Wait::Event))
            })??;
            match resume {
                Resume::Normal => continue,
                Resume::Deadlock(d) => return Err(Error::Deadlock(d)),
                Resume::Failed(e) => return Err(Error::Io(e)),
            }
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("set", &self.is_set()).finish()
    }
}
