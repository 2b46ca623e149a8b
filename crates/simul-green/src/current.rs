//! The functions a green thread calls: spawn, yield, sleep, wait for a
//! descriptor, read the clock. They act on the hub running on this OS
//! thread, so code deep in a call chain needs no hub handle: this is what
//! makes blocking-looking code possible.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use simul_reactor::{Instant, Interest};

use crate::JoinHandle;
use crate::hub::with_current;
use crate::join::spawn_current;

/// Starts a green thread running `f` on the current hub.
///
/// The thread runs when the running one waits; it gets its stack then
/// (so spawning is cheap: a small record and the boxed closure).
///
/// # Errors
///
/// Outside [`Hub::run`](crate::Hub::run): there is no hub to run it.
///
/// # Examples
///
/// ```
/// let hub = simul_green::Hub::new()?;
/// let n = hub.run(|| simul_green::spawn(|| 2 + 2)?.join().map_err(std::io::Error::from))??;
/// assert_eq!(n, 4);
/// assert!(simul_green::spawn(|| ()).is_err(), "outside a hub");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> io::Result<JoinHandle<T>> {
    spawn_current(None, f)
}

/// Like [`spawn`], with a name shown in deadlock reports.
///
/// # Errors
///
/// As [`spawn`].
///
/// # Examples
/// See [`Deadlock`](crate::Deadlock).
pub fn spawn_named<T: 'static>(
    name: &str,
    f: impl FnOnce() -> T + 'static,
) -> io::Result<JoinHandle<T>> {
    spawn_current(Some(name.to_owned()), f)
}

/// Lets every other runnable green thread run once, then continues.
///
/// # Errors
///
/// Outside a hub, or while unwinding.
///
/// # Examples
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
///
/// let hub = simul_green::Hub::new()?;
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// hub.run(move || {
///     let l2 = l.clone();
///     let t = simul_green::spawn(move || l2.borrow_mut().push("green")).unwrap();
///     l.borrow_mut().push("main before");
///     simul_green::yield_now().unwrap();
///     l.borrow_mut().push("main after");
///     t.join().unwrap();
/// })?;
/// assert_eq!(*log.borrow(), ["main before", "green", "main after"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn yield_now() -> io::Result<()> {
    with_current(|hub| hub.yield_now())?
}

/// Parks the calling green thread for `d` on the hub's clock: others run
/// meanwhile. `time.sleep` made cooperative; under a virtual clock it
/// takes no real time and wakes at exactly `now + d`.
///
/// # Errors
///
/// Outside a hub (see [`sleep_or_block`] for a variant that blocks the OS
/// thread instead), or while unwinding.
///
/// # Examples
///
/// ```
/// use simul_green::Hub;
/// use simul_reactor::Clock;
/// use std::time::Duration;
///
/// let hub = Hub::with_clock(Clock::new_virtual())?;
/// hub.run(|| simul_green::sleep(Duration::from_millis(1500)))??;
/// assert_eq!(hub.now().since_origin(), Duration::from_millis(1500));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn sleep(d: Duration) -> io::Result<()> {
    with_current(|hub| hub.sleep(d))?
}

/// [`sleep`] inside a hub; outside one, `std::thread::sleep`. The
/// documented blocking fallback, for code meant to run both ways.
///
/// # Errors
///
/// As [`sleep`] inside a hub; never outside.
///
/// # Examples
///
/// ```
/// simul_green::sleep_or_block(std::time::Duration::from_millis(1))?; // not in a hub: blocks
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn sleep_or_block(d: Duration) -> io::Result<()> {
    match with_current(|hub| hub.sleep(d)) {
        Ok(r) => r,
        Err(_) => {
            std::thread::sleep(d);
            Ok(())
        }
    }
}

/// Parks the calling green thread until `fd` is ready for `interest`
/// (gevent's `wait_read` / `wait_write`). The descriptor should be
/// non-blocking; after this returns, read or write until `WouldBlock`.
///
/// Any number of green threads may wait on one descriptor at once, for
/// either direction: each wakes when its direction is reported (see the
/// hub's [registry](crate::hub)). A descriptor nobody owns is registered
/// for the wait and deregistered when its last waiter leaves; one owned
/// by a green net object (a [`net::TcpStream`](crate::net::TcpStream)
/// say) stays registered, and this wait shares it, re-armed so it returns
/// at once if the descriptor is ready now.
///
/// # Errors
///
/// Outside a hub; while unwinding; what the reactor says when registering
/// `fd` (a closed descriptor, a regular file); `NotConnected` if the net
/// object owning `fd` is dropped while this waits.
///
/// # Examples
///
/// ```
/// use simul_reactor::Interest;
/// use std::io::{Read, Write};
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
///
/// let hub = simul_green::Hub::new()?;
/// hub.run(|| -> std::io::Result<()> {
///     let (mut a, mut b) = UnixStream::pair()?;
///     b.set_nonblocking(true)?;
///     let writer = simul_green::spawn(move || a.write_all(b"ping"))?;
///     simul_green::wait_fd(b.as_raw_fd(), Interest::READABLE)?; // parks; the writer runs
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf)?;
///     assert_eq!(&buf, b"ping");
///     writer.join().map_err(std::io::Error::from)?
/// })??;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn wait_fd(fd: RawFd, interest: Interest) -> io::Result<()> {
    with_current(|hub| hub.wait_io(fd, interest, None))?
}

/// The current time on the hub's clock.
///
/// # Errors
///
/// Outside a hub.
///
/// # Examples
///
/// ```
/// let hub = simul_green::Hub::with_clock(simul_reactor::Clock::new_virtual())?;
/// assert_eq!(hub.run(simul_green::now)??, simul_reactor::Instant::ZERO);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn now() -> io::Result<Instant> {
    with_current(|hub| hub.now())
}

/// The id of the running green thread ([`GreenId::MAIN`](crate::GreenId::MAIN) for main).
///
/// # Errors
///
/// Outside a hub.
///
/// # Examples
///
/// ```
/// let hub = simul_green::Hub::new()?;
/// hub.run(|| {
///     assert_eq!(simul_green::current().unwrap(), simul_green::GreenId::MAIN);
///     let h = simul_green::spawn(simul_green::current).unwrap();
///     assert_eq!(h.join().unwrap().unwrap().to_string(), "#1");
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn current() -> io::Result<crate::GreenId> {
    with_current(|hub| hub.current_id())
}
