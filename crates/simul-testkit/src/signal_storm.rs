//! A storm of real signals (catalogue item 10): a handler installed
//! without `SA_RESTART` for [`SIGNAL`], and another OS thread sending it to
//! the test's thread every ~100 µs with `pthread_kill`, so thousands of
//! signals land while that thread is blocked in `epoll_wait` or is in the
//! middle of `read`, `write`, `accept` and `connect`.
//!
//! `scripts/eintr.sh` fakes `EINTR` with strace; a storm makes the kernel
//! produce it. The handler counts deliveries, so a test can fail if the
//! signals never land, and (on Linux x86-64 and aarch64) it also counts
//! the deliveries that cut a system call short with `EINTR`, read from the
//! return register saved in the signal frame, so a test can fail if the
//! signals never interrupt a blocked call either ([`SEES_INTERRUPTS`]).
//!
//! The counters are process-wide: tests that use a storm take [`serial`]
//! first so they run one at a time.
//!
//! ```
//! use simul_testkit::signal_storm::{ENOUGH, Storm, serial};
//! use std::time::Duration;
//!
//! let _serial = serial();
//! let storm = Storm::start();
//! // Sleeping blocks in a system call the signals can cut short.
//! storm.repeat(1, 5000, |_| std::thread::sleep(Duration::from_millis(1)));
//! let report = storm.finish();
//! assert!(report.delivered > ENOUGH);
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The signal sent. Nothing else in a test binary that uses a storm may
/// use it, and the reactor's own signal support is not used with it.
pub const SIGNAL: libc::c_int = libc::SIGUSR2;

/// How many signals must land during each test for it to count.
///
/// ```
/// assert_eq!(simul_testkit::signal_storm::ENOUGH, 100);
/// ```
pub const ENOUGH: u64 = 100;

/// Signals the handler ran for, on any thread.
static DELIVERED: AtomicU64 = AtomicU64::new(0);
/// Deliveries that cut a system call short: it returned `EINTR`.
static INTERRUPTED: AtomicU64 = AtomicU64::new(0);

/// The tests of one binary that use a storm run one at a time: the
/// counters are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the lock that runs storm tests one at a time; hold it for the
/// whole test. A test that panicked while holding it does not poison it
/// for the others.
///
/// ```
/// let _serial = simul_testkit::signal_storm::serial();
/// ```
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The handler: counts, and nothing else (atomics are async-signal-safe).
extern "C" fn on_signal(_: libc::c_int, _: *mut libc::siginfo_t, context: *mut libc::c_void) {
    DELIVERED.fetch_add(1, Ordering::Relaxed);
    if interrupted_a_system_call(context) {
        INTERRUPTED.fetch_add(1, Ordering::Relaxed);
    }
}

/// True when the signal arrived during a system call that the kernel then
/// ended with `EINTR`: the return register saved in the signal frame
/// holds `-EINTR` (the kernel writes it there before building the frame
/// when the handler has no `SA_RESTART`).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn interrupted_a_system_call(context: *mut libc::c_void) -> bool {
    // SAFETY: an `SA_SIGINFO` handler's third argument is the kernel's
    // `ucontext_t`, valid for the handler's whole run.
    let uc = unsafe { &*context.cast::<libc::ucontext_t>() };
    uc.uc_mcontext.gregs[libc::REG_RAX as usize] == -i64::from(libc::EINTR)
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
fn interrupted_a_system_call(context: *mut libc::c_void) -> bool {
    // SAFETY: as above; x0 holds a system call's return value.
    let uc = unsafe { &*context.cast::<libc::ucontext_t>() };
    uc.uc_mcontext.regs[0] as i64 == -i64::from(libc::EINTR)
}

/// Elsewhere the frame's layout is not looked at.
#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn interrupted_a_system_call(_: *mut libc::c_void) -> bool {
    false
}

/// Whether [`Storm::interrupted`] is counted on this platform (Linux
/// x86-64 and aarch64); elsewhere it stays 0 and nothing checks it.
///
/// ```
/// use simul_testkit::signal_storm::SEES_INTERRUPTS;
///
/// if cfg!(not(target_os = "linux")) {
///     assert!(!SEES_INTERRUPTS);
/// }
/// ```
pub const SEES_INTERRUPTS: bool =
    cfg!(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")));

/// Installs the counting handler for [`SIGNAL`] once per process, without
/// `SA_RESTART`, so every slow system call it interrupts fails with
/// `EINTR`. [`Storm::start`] calls it; calling it again does nothing.
///
/// ```
/// simul_testkit::signal_storm::install_handler();
/// simul_testkit::signal_storm::install_handler();
/// ```
pub fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: an all-zero sigaction is a valid value to fill in.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(_, _, _) as usize;
        action.sa_flags = libc::SA_SIGINFO;
        // SAFETY: `sa_mask` is a live sigset_t.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: `action` is a filled-in sigaction; the handler only
        // touches atomics, so it is async-signal-safe.
        let installed = unsafe { libc::sigaction(SIGNAL, &action, std::ptr::null_mut()) };
        assert_eq!(installed, 0, "sigaction: {}", std::io::Error::last_os_error());
    });
}

/// The thread to signal.
struct Target(libc::pthread_t);

// SAFETY: a pthread_t is an id; `Storm` only passes it to `pthread_kill`
// while the thread it names is alive (it is joined before that thread
// leaves the function that started it, see `Drop`).
unsafe impl Send for Target {}

/// Another OS thread sending [`SIGNAL`] to the thread that started it
/// every ~100 µs until stopped, by [`Storm::finish`] or when dropped
/// (which joins the sender even when the test panics, so it never signals
/// a thread that has gone). Keep it on the thread that started it: it is
/// neither `Send` nor `Sync`.
///
/// ```
/// use simul_testkit::signal_storm::{Storm, serial};
/// use std::time::Duration;
///
/// let _serial = serial();
/// let storm = Storm::start();
/// while storm.delivered() == 0 {
///     std::thread::sleep(Duration::from_millis(1));
/// }
/// drop(storm); // stops and joins the sender without checking anything
/// ```
pub struct Storm {
    stop: Arc<AtomicBool>,
    sender: Option<JoinHandle<u64>>,
    delivered_before: u64,
    interrupted_before: u64,
    /// A storm signals the thread that started it: not `Send`.
    _on_this_thread: std::marker::PhantomData<*const ()>,
}

/// What a storm did, from [`Storm::finish`].
#[derive(Debug)]
pub struct StormReport {
    /// Signals the sender sent (`pthread_kill` succeeded).
    pub sent: u64,
    /// Signals the handler ran for during the storm.
    pub delivered: u64,
    /// Deliveries that cut a system call short with `EINTR` (0 where not
    /// counted, see [`SEES_INTERRUPTS`]).
    pub interrupted: u64,
}

impl Storm {
    /// Installs the handler ([`install_handler`]) and starts signalling
    /// the calling thread.
    pub fn start() -> Storm {
        install_handler();
        // SAFETY: pthread_self has no preconditions.
        let target = Target(unsafe { libc::pthread_self() });
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let sender = thread::spawn(move || {
            let target = target;
            let mut sent = 0;
            while !flag.load(Ordering::Relaxed) {
                // SAFETY: the target thread is alive until `flag` is set
                // and this thread joined (Storm::finish or Drop).
                if unsafe { libc::pthread_kill(target.0, SIGNAL) } == 0 {
                    sent += 1;
                }
                thread::sleep(Duration::from_micros(100));
            }
            sent
        });
        Storm {
            stop,
            sender: Some(sender),
            delivered_before: DELIVERED.load(Ordering::Relaxed),
            interrupted_before: INTERRUPTED.load(Ordering::Relaxed),
            _on_this_thread: std::marker::PhantomData,
        }
    }

    /// Deliveries so far during this storm.
    pub fn delivered(&self) -> u64 {
        DELIVERED.load(Ordering::Relaxed) - self.delivered_before
    }

    /// System calls cut short so far during this storm (always 0 where
    /// [`SEES_INTERRUPTS`] is false).
    pub fn interrupted(&self) -> u64 {
        INTERRUPTED.load(Ordering::Relaxed) - self.interrupted_before
    }

    /// Runs `round` (given its number) at least `min` times, and again
    /// until more than [`ENOUGH`] signals have landed and (where counted)
    /// one has cut a blocked call short, at most `max` times: on a busy
    /// machine the sender may be slow to get the CPU, and a round with
    /// dense timers may never block for long.
    pub fn repeat(&self, min: usize, max: usize, mut round: impl FnMut(usize)) {
        let mut n = 0;
        let enough = || self.delivered() > ENOUGH && (!SEES_INTERRUPTS || self.interrupted() > 0);
        while n < min || (n < max && !enough()) {
            round(n);
            n += 1;
        }
    }

    /// Stops the sender, prints the report to stderr and checks that
    /// signals really landed: more than [`ENOUGH`], none from elsewhere,
    /// and, where that is countable, some that cut a blocked call short
    /// (so use it only where the test blocks for a while). Panics if not.
    pub fn finish(mut self) -> StormReport {
        let sent = self.halt();
        let report =
            StormReport { sent, delivered: self.delivered(), interrupted: self.interrupted() };
        eprintln!("{report:?}");
        assert!(report.delivered > ENOUGH, "too few signals landed: {report:?}");
        assert!(report.delivered <= report.sent, "signals from elsewhere: {report:?}");
        if SEES_INTERRUPTS {
            assert!(report.interrupted > 0, "no system call was interrupted: {report:?}");
        }
        report
    }

    /// Stops the sender and joins it; returns how many signals it sent
    /// (0 the second time).
    fn halt(&mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.sender.take().map_or(0, |s| s.join().unwrap_or(0))
    }
}

impl Drop for Storm {
    /// Joins the sender even when the test panics, so it never signals a
    /// thread that has gone.
    fn drop(&mut self) {
        self.halt();
    }
}

/// Checks a round of sleeps made during a storm, each given as (index,
/// the time just before it slept, how long it asked for, the time it
/// woke), in the order they woke: none woke early, and (when no tracer is
/// attached) none woke before another whose deadline was more than
/// `slack` earlier. The slack covers the gap between the sleeper's own
/// clock read and the scheduler's, normally well under a microsecond.
///
/// Under strace (`scripts/eintr.sh`) every signal stops the thread for
/// the tracer, so that gap can be milliseconds and the order is not
/// observable: only "never early" is checked there.
///
/// `T` is the clock's instant (`std`'s, or the reactor's).
///
/// ```
/// use simul_testkit::signal_storm::check_naps;
/// use std::time::{Duration, Instant};
///
/// let t = Instant::now();
/// let ms = Duration::from_millis;
/// check_naps(0, &[(0, t, ms(1), t + ms(1)), (1, t, ms(2), t + ms(3))], ms(2));
/// ```
#[track_caller]
pub fn check_naps<T>(round: usize, naps: &[(u64, T, Duration, T)], slack: Duration)
where
    T: Copy
        + Ord
        + std::fmt::Debug
        + std::ops::Add<Duration, Output = T>
        + std::ops::Sub<Output = Duration>,
{
    for &(i, start, d, woke) in naps {
        assert!(woke >= start + d, "round {round}: sleeper {i} woke {:?} early", start + d - woke);
    }
    if crate::env::traced() {
        return;
    }
    for pair in naps.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            a.1 + a.2 <= b.1 + b.2 + slack,
            "round {round}: sleeper {} (deadline {:?}) woke before sleeper {} (deadline {:?})",
            a.0,
            a.1 + a.2,
            b.0,
            b.1 + b.2
        );
    }
}
