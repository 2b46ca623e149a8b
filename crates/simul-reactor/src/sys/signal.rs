//! Signals as readable descriptors: a `sigaction` handler and self-pipes.
//!
//! ```text
//!   kernel delivers SIGINT to any thread
//!        |
//!        v
//!   on_signal(SIGINT)                 (async-signal context: no locks,
//!        |                             no allocation, errno saved)
//!        +-- for each slot in TABLE whose signo is SIGINT:
//!        |       slot.pending = true
//!        |       write(slot.fd, 1 byte)     -> that listener's pipe is readable
//!        v
//!   the interrupted code resumes (SA_RESTART restarts slow system calls)
//! ```
//!
//! A listener owns a non-blocking pipe and one slot per signal it wants.
//! The reactor watches the pipe's read end like any other descriptor.
//!
//! **Why not `signalfd` (Linux)?** A signalfd only receives signals that
//! are *blocked* in every thread; an unblocked signal is delivered the
//! ordinary way, to any thread that has it unblocked. A runtime cannot
//! block a signal in threads it did not create (a library's worker pool,
//! the test harness), so a signalfd would miss signals at random.
//!
//! **Why not kqueue's `EVFILT_SIGNAL` alone?** It *records* a signal but
//! does not replace its disposition: `SIGINT` would still run the default
//! action and kill the process before the loop sees the event. It must be
//! paired with a handler (or `SIG_IGN`) anyway, and a handler plus a pipe
//! works the same on every system.
//!
//! **Lifetime of a slot.** A listener's drop clears its slots, then waits
//! until no handler is running (`IN_HANDLER` is zero) before its pipe is
//! closed and the slots can be reused. Without that wait a handler that
//! read a slot just before it was cleared could write its byte into a
//! descriptor number that has meanwhile been closed and reused for some
//! unrelated file.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::pipe;

/// Signals `1..=MAX_SIGNAL` can be listened for. 64 covers Linux's
/// real-time signals and every classic signal on every supported system.
pub(crate) const MAX_SIGNAL: libc::c_int = 64;

/// How many (listener, signal) pairs can exist at once.
const SLOTS: usize = 1024;

/// One (listener, signal) pair, read by the handler.
///
/// # Invariant
/// While `signo` is non-zero, `fd` is the open, non-blocking write end of
/// the pipe of a live listener. `fd` is stored before `signo` (release)
/// and `signo` is cleared before the pipe is closed, with a wait for
/// running handlers in between.
struct Slot {
    /// The signal this slot listens for; 0 when the slot is free.
    signo: AtomicI32,
    /// The write end of the listener's pipe.
    fd: AtomicI32,
    /// Set by the handler, cleared by the listener's `take_pending`.
    pending: AtomicBool,
}

/// The slots the handler scans. Fixed size: the handler may not allocate.
static TABLE: [Slot; SLOTS] = [const {
    Slot { signo: AtomicI32::new(0), fd: AtomicI32::new(-1), pending: AtomicBool::new(false) }
}; SLOTS];

/// One past the highest slot index ever used, so the handler does not
/// scan the whole table in a program with few listeners. Never decreases.
static USED: AtomicUsize = AtomicUsize::new(0);

/// How many handler invocations are running right now, on any thread.
static IN_HANDLER: AtomicUsize = AtomicUsize::new(0);

/// Bookkeeping done outside signal context, under a lock.
struct Registry {
    /// Number of live slots per signal number.
    listeners: [u32; MAX_SIGNAL as usize + 1],
    /// The disposition found when the first listener for a signal
    /// installed our handler; put back when the last one goes.
    previous: [Option<libc::sigaction>; MAX_SIGNAL as usize + 1],
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    listeners: [0; MAX_SIGNAL as usize + 1],
    previous: [const { None }; MAX_SIGNAL as usize + 1],
});

/// Locks the registry. A panic while it was held cannot leave it
/// inconsistent (every update is a plain store), so poisoning is ignored.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the calling thread's `errno` lives.
fn errno_location() -> *mut libc::c_int {
    // SAFETY: these functions take no arguments and return the address of
    // the calling thread's errno; they are async-signal-safe.
    unsafe {
        #[cfg(any(target_os = "linux", target_os = "dragonfly"))]
        let p = libc::__errno_location();
        #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
        let p = libc::__error();
        #[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
        let p = libc::__errno();
        p
    }
}

/// The signal handler. Only async-signal-safe operations: atomic loads and
/// stores (lock-free on every supported target) and `write(2)`.
extern "C" fn on_signal(signo: libc::c_int) {
    let errno = errno_location();
    // SAFETY: `errno` points at this thread's errno, which is live for the
    // whole handler.
    let saved = unsafe { *errno };
    IN_HANDLER.fetch_add(1, Ordering::SeqCst);
    let used = USED.load(Ordering::SeqCst);
    let byte = signo as u8;
    for slot in &TABLE[..used] {
        if slot.signo.load(Ordering::SeqCst) == signo {
            slot.pending.store(true, Ordering::SeqCst);
            let fd = slot.fd.load(Ordering::SeqCst);
            // A full pipe (EAGAIN) is fine: it is readable already and
            // `pending` is set. An interrupted write (EINTR, from a nested
            // signal or a tracer) wrote nothing and is made again, or the
            // listener would miss this signal. Nothing else can go wrong
            // that the handler could act on, so other results are ignored.
            // `sys::fd::write` is not used: `io::Error` is not promised to
            // be async-signal-safe, and the raw errno is all we need.
            loop {
                // SAFETY: by the `Slot` invariant `fd` is an open write end
                // while `signo` matched, and the listener cannot close it
                // until IN_HANDLER drops back to zero; one byte from a live
                // local.
                let n = unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
                // SAFETY: `errno` points at this thread's errno (above).
                if n != -1 || unsafe { *errno } != libc::EINTR {
                    break;
                }
            }
        }
    }
    IN_HANDLER.fetch_sub(1, Ordering::SeqCst);
    // SAFETY: as above; restoring errno hides our `write` from the code
    // the signal interrupted.
    unsafe { *errno = saved };
}

/// Waits until no signal handler is running on any thread.
///
/// Called with the registry locked, after clearing slots and before they
/// can be reused or their pipes closed: see "Lifetime of a slot" in the
/// module docs. A handler that interrupts this very thread runs to
/// completion before the loop resumes, so this never waits for itself.
fn quiesce() {
    while IN_HANDLER.load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

/// Refuses signals that cannot or must not be caught by a pipe handler.
pub(crate) fn check(signo: libc::c_int) -> io::Result<()> {
    let why = match signo {
        libc::SIGKILL | libc::SIGSTOP => "cannot be caught by any process",
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE => {
            "reports a fault in the running thread, which must be handled synchronously, not later by an event loop"
        }
        n if !(1..=MAX_SIGNAL).contains(&n) => {
            "is not a signal number this crate supports (1 to 64)"
        }
        _ => return Ok(()),
    };
    Err(io::Error::new(io::ErrorKind::InvalidInput, format!("signal {signo} {why}")))
}

/// Installs `on_signal` for `signo`, returning the disposition it replaces.
fn install(signo: libc::c_int) -> io::Result<libc::sigaction> {
    // SAFETY: an all-zero `sigaction` is a valid value (empty mask, no
    // flags, SIG_DFL) that we then fill in.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SA_RESTART: a read or accept interrupted by the signal is restarted
    // instead of failing with EINTR in code that does not expect it.
    new.sa_flags = libc::SA_RESTART;
    // SAFETY: `new.sa_mask` is a live sigset_t.
    syscall!(sigemptyset(&mut new.sa_mask))?;
    // SAFETY: as above, for the zeroed output value.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live `sigaction` values; `signo` was
    // checked, and the kernel refuses invalid ones with EINVAL.
    syscall!(sigaction(signo, &new, &mut old))?;
    Ok(old)
}

/// Puts back a disposition saved by `install`.
fn restore(signo: libc::c_int, old: &libc::sigaction) -> io::Result<()> {
    // SAFETY: `old` is a disposition the kernel gave us for this signal;
    // a null output pointer is allowed.
    syscall!(sigaction(signo, old, std::ptr::null_mut()))?;
    Ok(())
}

/// A self-pipe that becomes readable when any of its signals arrives.
///
/// # Invariant
/// Each `(signo, index)` in `slots` names a slot of `TABLE` whose `signo`
/// is that signal and whose `fd` is `write`; the handler for `signo` is
/// installed while the slot exists.
#[derive(Debug)]
pub(crate) struct Listener {
    /// Watched by the reactor.
    read: OwnedFd,
    /// Written by the handler (through the slot's copy of the number).
    write: OwnedFd,
    /// The slots this listener holds, one per signal.
    slots: Vec<(libc::c_int, usize)>,
}

impl Listener {
    /// Listens for every signal in `signals` (checked, without duplicates).
    pub(crate) fn new(signals: &[libc::c_int]) -> io::Result<Listener> {
        for &s in signals {
            check(s)?;
        }
        let (read, write) = pipe::pipe()?;
        let mut listener = Listener { read, write, slots: Vec::with_capacity(signals.len()) };
        let mut reg = registry();
        for &signo in signals {
            // On failure, `listener` is dropped below with the lock
            // released, which undoes the slots taken so far.
            if let Err(e) = listener.add(&mut reg, signo) {
                drop(reg);
                return Err(e);
            }
        }
        Ok(listener)
    }

    /// Takes a free slot for `signo`, then installs the handler if this is
    /// the first listener for it. The slot is published first, so a
    /// signal arriving right after installation finds it.
    fn add(&mut self, reg: &mut Registry, signo: libc::c_int) -> io::Result<()> {
        let index =
            TABLE.iter().position(|s| s.signo.load(Ordering::SeqCst) == 0).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    format!("more than {SLOTS} signal listeners at once"),
                )
            })?;
        let slot = &TABLE[index];
        slot.fd.store(self.write.as_raw_fd(), Ordering::SeqCst);
        slot.pending.store(false, Ordering::SeqCst);
        USED.fetch_max(index + 1, Ordering::SeqCst);
        slot.signo.store(signo, Ordering::SeqCst);
        let n = signo as usize;
        if reg.listeners[n] == 0 {
            match install(signo) {
                Ok(old) => reg.previous[n] = Some(old),
                Err(e) => {
                    slot.signo.store(0, Ordering::SeqCst);
                    // A handler for this signal from an earlier listener
                    // may have seen the slot; let it finish before the
                    // slot can be reused.
                    quiesce();
                    return Err(e);
                }
            }
        }
        reg.listeners[n] += 1;
        self.slots.push((signo, index));
        Ok(())
    }

    /// The read end, for the reactor.
    pub(crate) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// The read end, borrowed.
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Empties the pipe, then collects (and clears) the signals that
    /// arrived, in the order they were asked for.
    ///
    /// Drain first, flags second: a signal landing between the two has its
    /// flag collected now and its byte left in the pipe, so the next poll
    /// reports a spurious but harmless wake-up. The other order could
    /// drain away the byte of a signal whose flag was set after the swap,
    /// and that signal would sit unseen until the next one.
    pub(crate) fn take_pending(&self, out: &mut Vec<libc::c_int>) -> io::Result<()> {
        pipe::drain(&self.read)?;
        for &(signo, index) in &self.slots {
            if TABLE[index].pending.swap(false, Ordering::SeqCst) {
                out.push(signo);
            }
        }
        Ok(())
    }

    /// Makes the pipe readable without a signal.
    #[cfg(any(target_os = "linux", target_os = "android"))] // the SIGCHLD fallback
    pub(crate) fn poke(&self) -> io::Result<()> {
        pipe::poke(&self.write)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut reg = registry();
        for &(signo, index) in &self.slots {
            let n = signo as usize;
            reg.listeners[n] -= 1;
            // The last listener puts the old disposition back *before*
            // freeing its slot, so a signal arriving in between goes to the
            // old disposition instead of being swallowed.
            if reg.listeners[n] == 0
                && let Some(old) = reg.previous[n].take()
            {
                // Nothing useful can be done if the kernel refuses to take
                // back what it gave us; the handler stays harmlessly.
                let _ = restore(signo, &old);
            }
            TABLE[index].signo.store(0, Ordering::SeqCst);
        }
        quiesce();
        drop(reg);
        // `read` and `write` close after this body.
    }
}

/// Sends `signo` to the calling thread; an unblocked signal is handled
/// before this returns.
pub(crate) fn raise(signo: libc::c_int) -> io::Result<()> {
    // SAFETY: `raise` takes a plain integer; an invalid one gives EINVAL.
    let r = unsafe { libc::raise(signo) };
    if r != 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}
