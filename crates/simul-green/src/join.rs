//! [`JoinHandle`]: the result of a green thread, and the way to kill it.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::{Rc, Weak};

use crate::hub::{Inner, Key, Resume, is_current, with_current};
use crate::{Deadlock, Error, GreenId, Outcome, Wait, Waiter};

/// The private panic payload that unwinds a killed green thread, like
/// gevent's `GreenletExit`. It is raised with `resume_unwind`, so the
/// panic hook stays silent, and the entry recognises it by type.
pub(crate) struct Kill;

/// Where a green thread's result waits for its joiner.
pub(crate) struct Slot<T> {
    result: RefCell<Option<Result<T, Error>>>,
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Slot<T> {
        Slot { result: RefCell::new(None) }
    }
    fn put(&self, r: Result<T, Error>) {
        *self.result.borrow_mut() = Some(r);
    }
}

/// A spawned closure, type-erased so the hub can hold threads of any
/// result type.
pub(crate) trait Body {
    /// Runs the closure on the current (green) stack, catching any panic
    /// (a kill is a panic too), and stores the result. Never unwinds.
    fn run(self: Box<Self>) -> Outcome;
    /// The thread is killed before it started: drop the closure, store
    /// `Killed`.
    fn cancel(self: Box<Self>);
    /// No stack could be had for it: drop the closure, store the error.
    fn fail(self: Box<Self>, e: io::Error);
}

/// The closure of a green thread with its result slot.
pub(crate) struct Closure<F, T> {
    f: F,
    slot: Rc<Slot<T>>,
}

impl<F: FnOnce() -> T, T> Closure<F, T> {
    pub(crate) fn new(f: F, slot: Rc<Slot<T>>) -> Closure<F, T> {
        Closure { f, slot }
    }
}

impl<F: FnOnce() -> T, T> Body for Closure<F, T> {
    fn run(self: Box<Self>) -> Outcome {
        let Closure { f, slot } = *self;
        // AssertUnwindSafe: whatever state a panic leaves behind is only
        // observed by the joiner, which receives the panic as an error,
        // exactly as with `std::thread`.
        let (result, outcome) = match catch_unwind(AssertUnwindSafe(f)) {
            Ok(v) => (Ok(v), Outcome::Returned),
            Err(p) if p.is::<Kill>() => (Err(Error::Killed), Outcome::Killed),
            Err(p) => (Err(Error::Panicked(p)), Outcome::Panicked),
        };
        slot.put(result);
        // If the handle was dropped (detached), this is the slot's last
        // owner and the result is dropped here. A destructor of the
        // result that panics must not unwind off the green stack (that
        // aborts the process): nobody wants the value, so its panic is
        // dropped too, after the panic hook has reported it.
        drop_caught(slot);
        outcome
    }

    fn cancel(self: Box<Self>) {
        let Closure { f, slot } = *self;
        // The captured values' destructors run here, on the killer's
        // stack: one that panics must not come out of the killer's `kill`
        // (or out of `Hub::run`, which kills the threads left over). The
        // joiner learns of it instead: the thread "panicked" while its
        // closure was dropped.
        let result = match catch_unwind(AssertUnwindSafe(move || drop(f))) {
            Ok(()) => Err(Error::Killed),
            Err(p) => Err(Error::Panicked(p)),
        };
        slot.put(result);
        drop_caught(slot);
    }

    fn fail(self: Box<Self>, e: io::Error) {
        let Closure { f, slot } = *self;
        // As in `cancel`: the stack error is what the joiner needs to know.
        drop_caught(f);
        slot.put(Err(Error::Io(e)));
        drop_caught(slot);
    }
}

/// Drops `value`, catching and discarding a panic of its destructor (the
/// panic hook has already reported it): for values that nobody will
/// receive, dropped where an unwind must not go (off a green stack, out
/// of the hub's bookkeeping).
fn drop_caught<V>(value: V) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        // The payload's own destructor may panic too (rust-lang/rust#86027):
        // then that one's payload is leaked rather than risk a third.
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

/// An owned handle to a green thread: wait for its result with
/// [`join`](JoinHandle::join), or stop it with [`kill`](JoinHandle::kill).
///
/// Dropping the handle detaches the thread: it keeps running, and its
/// result is dropped when it finishes. A result that nobody joins is
/// dropped by the hub, or by the handle's drop; if its destructor panics,
/// the panic hook reports it as usual and the panic goes no further
/// (unlike `std::thread`, which aborts the process then). A handle is tied
/// to its hub and its OS thread (it is neither `Send` nor `Sync`).
///
/// # Examples
///
/// ```
/// use simul_green::{Error, Hub};
///
/// let hub = Hub::new()?;
/// hub.run(|| {
///     let ok = simul_green::spawn(|| 40 + 2).unwrap();
///     assert_eq!(ok.join().unwrap(), 42);
///     let killed = simul_green::spawn(|| loop { simul_green::yield_now().unwrap() }).unwrap();
///     simul_green::yield_now().unwrap(); // let it start
///     killed.kill().unwrap();
///     assert!(matches!(killed.join(), Err(Error::Killed)));
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinHandle<T> {
    /// The thread's entry in its hub.
    key: Key,
    /// Its public identity.
    id: GreenId,
    /// Filled when it finishes.
    slot: Rc<Slot<T>>,
    /// Its hub, if still alive.
    hub: Weak<Inner>,
    /// Not `Send`/`Sync` even for `T: Send`: keys mean nothing elsewhere.
    _not_send: PhantomData<*const ()>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(key: Key, id: GreenId, slot: Rc<Slot<T>>, hub: Weak<Inner>) -> JoinHandle<T> {
        JoinHandle { key, id, slot, hub, _not_send: PhantomData }
    }

    /// The thread's id.
    ///
    /// # Examples
    ///
    /// ```
    /// let hub = simul_green::Hub::new()?;
    /// let h = hub.spawn(|| ());
    /// assert_eq!(h.id().to_string(), "#1");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> GreenId {
        self.id
    }

    /// Whether the thread has finished (returned, panicked or was killed).
    ///
    /// # Examples
    ///
    /// ```
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| {
    ///     let h = simul_green::spawn(|| ()).unwrap();
    ///     assert!(!h.is_finished());
    ///     simul_green::yield_now().unwrap();
    ///     assert!(h.is_finished());
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.slot.result.borrow().is_some()
    }

    /// Waits for the thread to finish and returns its value.
    ///
    /// The calling (green or main) thread parks; others run meanwhile.
    ///
    /// # Errors
    ///
    /// * [`Error::Panicked`] with the payload if the thread panicked.
    /// * [`Error::Killed`] if it was killed.
    /// * [`Error::Deadlock`] if the caller is main and nothing can ever
    ///   run again (or if a thread joins itself).
    /// * [`Error::Io`] if called outside its hub's `run` (before the
    ///   thread finished), while unwinding, or if its stack could not be
    ///   mapped.
    ///
    /// # Panics
    ///
    /// Never by itself; if the *caller* is a green thread that gets killed
    /// while waiting, it unwinds from here (that is how kills work).
    ///
    /// # Examples
    /// See [`JoinHandle`].
    pub fn join(self) -> Result<T, Error> {
        loop {
            if let Some(result) = self.slot.result.borrow_mut().take() {
                return result;
            }
            let Some(hub) = self.hub.upgrade() else {
                return Err(Error::Io(io::Error::other("the hub of this green thread is gone")));
            };
            if !is_current(&hub) {
                return Err(Error::Io(crate::error::not_in_hub()));
            }
            if hub.current_key() == self.key {
                let me = Waiter { id: self.id, name: None, wait: Some(Wait::Join(self.id)) };
                return Err(Error::Deadlock(Deadlock::new(vec![me])));
            }
            let token = hub.begin_wait()?;
            if !hub.add_joiner(self.key, token) {
                continue;
            }
            match hub.park(Wait::Join(self.id)) {
                Resume::Normal => continue,
                Resume::Deadlock(d) => return Err(Error::Deadlock(d)),
                Resume::Failed(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// Kills the thread and waits until it has finished unwinding.
    ///
    /// Like gevent's `Greenlet.kill`: the thread is resumed with a kill
    /// request, which unwinds its stack from the call it was parked in, as
    /// a panic would (without the panic message): every destructor on
    /// its stack runs. A thread that had not started yet never runs; its
    /// closure is dropped. Killing a finished thread does nothing; killing
    /// the calling thread's own handle unwinds the caller at once. After a
    /// kill, [`join`](JoinHandle::join) gives [`Error::Killed`] (or the
    /// value, if the thread had already finished).
    ///
    /// A thread that catches the kill with `catch_unwind` is unwound again
    /// at its next wait.
    ///
    /// A kill is an unwind, so what holds for panics holds for it: a
    /// destructor that panics while the killed stack unwinds aborts the
    /// process (Rust allows no second panic during unwinding), whatever
    /// the hub does. Destructors that may fail should check
    /// [`std::thread::panicking`] first. An unstarted thread is not
    /// unwound: its closure is dropped, and a panic of that drop reaches
    /// its joiner as [`Error::Panicked`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] outside the hub's `run` or while the caller is
    /// unwinding; [`Error::Deadlock`] in theory only (the victim is always
    /// runnable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// struct Flag(Rc<Cell<bool>>);
    /// impl Drop for Flag {
    ///     fn drop(&mut self) { self.0.set(true) }
    /// }
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let dropped = Rc::new(Cell::new(false));
    /// let d = dropped.clone();
    /// hub.run(move || {
    ///     let h = simul_green::spawn(move || {
    ///         let _flag = Flag(d);
    ///         simul_green::sleep(std::time::Duration::from_secs(3600)).unwrap();
    ///     }).unwrap();
    ///     simul_green::yield_now().unwrap(); // it starts and parks in sleep
    ///     h.kill().unwrap();
    /// })?;
    /// assert!(dropped.get(), "the killed thread's stack was unwound");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill(&self) -> Result<(), Error> {
        if self.is_finished() {
            return Ok(());
        }
        let Some(hub) = self.hub.upgrade() else {
            return Err(Error::Io(io::Error::other("the hub of this green thread is gone")));
        };
        if !is_current(&hub) {
            return Err(Error::Io(crate::error::not_in_hub()));
        }
        hub.kill(self.key)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.detach(self.key);
        }
        // A result nobody joined is dropped here; a destructor of it that
        // panics is caught (see `drop_caught`), so dropping a handle never
        // panics, not even while the dropper unwinds (which would abort).
        let unjoined = self.slot.result.borrow_mut().take();
        drop_caught(unjoined);
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Spawns a green thread on the current hub. See [`crate::spawn`].
pub(crate) fn spawn_current<T: 'static>(
    name: Option<String>,
    f: impl FnOnce() -> T + 'static,
) -> io::Result<JoinHandle<T>> {
    with_current(|hub| hub.spawn(name, f))
}
