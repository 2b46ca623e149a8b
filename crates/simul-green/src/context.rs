//! [`Backend`] and the saved context of one green thread.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::time::Duration;

use simul_reactor::Stack;
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
use simul_reactor::UContext;

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_os = "linux", target_env = "gnu")
)))]
compile_error!(
    "simul-green switches stacks with assembly on x86-64/aarch64, or glibc's ucontext elsewhere"
);

/// How the hub switches from one green thread's stack to another.
///
/// * [`Backend::Asm`]: a dozen hand-written instructions per architecture
///   (see the crate docs, "The switch"). It saves only the registers the
///   calling convention says a function must preserve, and never enters
///   the kernel: a few nanoseconds.
/// * [`Backend::Ucontext`]: glibc's `swapcontext`. Portable, but it saves
///   and restores the signal mask, which is a system call on every switch:
///   some hundreds of nanoseconds. Available on Linux with glibc; kept so
///   the benchmark can show the difference, and as the fallback on CPUs
///   without an assembly switch.
///
/// # Examples
///
/// ```
/// use simul_green::Backend;
///
/// assert!(Backend::default().is_available());
/// assert_eq!(Backend::default(), Backend::Asm); // on x86-64 and aarch64
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The hand-written assembly switch (x86-64, aarch64).
    Asm,
    /// glibc's `swapcontext` (Linux with glibc).
    Ucontext,
}

impl Backend {
    /// Whether this backend exists on the target the program was built for.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::Backend;
    /// let linux_gnu = cfg!(all(target_os = "linux", target_env = "gnu"));
    /// assert_eq!(Backend::Ucontext.is_available(), linux_gnu);
    /// ```
    pub const fn is_available(self) -> bool {
        match self {
            Backend::Asm => cfg!(any(target_arch = "x86_64", target_arch = "aarch64")),
            Backend::Ucontext => cfg!(all(
                target_os = "linux",
                target_env = "gnu",
                any(target_arch = "x86_64", target_arch = "aarch64")
            )),
        }
    }

    /// Measures this backend's bare context switch: the caller and a
    /// context on a fresh stack switch back and forth `round_trips` times
    /// (two switches each), and the wall time is returned. No hub and no
    /// scheduling are involved: this is the floor under every hub
    /// operation, the figure the crate's 20 ns target is about.
    ///
    /// # Errors
    ///
    /// `Unsupported` if the backend is not available; what the OS says
    /// when mapping the stack.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::Backend;
    ///
    /// let t = Backend::Asm.measure_switch(10_000)?;
    /// println!("{:.1} ns per switch", t.as_nanos() as f64 / 20_000.0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn measure_switch(self, round_trips: u64) -> io::Result<Duration> {
        let stack = Stack::new(16 * 1024)?;
        let main = Context::empty(self)?;
        let partner = Context::new(self, &stack, ping_entry, ping_entry_ucontext)?;
        let pair = Box::new((main, partner));
        PING.set(&*pair);
        let start = std::time::Instant::now();
        for _ in 0..round_trips {
            // SAFETY: `pair.0` is ours; `pair.1` is a never-run context on
            // `stack` or one suspended in `ping_loop`, and both outlive the
            // loop. `ping_loop` only ever switches straight back.
            unsafe { Context::switch(&pair.0, &pair.1)? };
        }
        let elapsed = start.elapsed();
        PING.set(std::ptr::null());
        // The partner stays suspended in `ping_loop`, whose frame owns
        // nothing: dropping `pair` and `stack` without resuming it is fine.
        drop(pair);
        drop(stack);
        Ok(elapsed)
    }
}

thread_local! {
    /// The (main, partner) contexts of a running `measure_switch`.
    static PING: std::cell::Cell<*const (Context, Context)> = const { std::cell::Cell::new(std::ptr::null()) };
}

unsafe extern "C" fn ping_entry() -> ! {
    ping_loop()
}

extern "C" fn ping_entry_ucontext() {
    ping_loop()
}

/// The partner of `measure_switch`: switches back to main, forever.
fn ping_loop() -> ! {
    // SAFETY: `measure_switch` set PING to contexts that outlive every
    // switch into this loop (shared references: the contexts are Cells).
    let pair = unsafe { &*PING.get() };
    loop {
        // SAFETY: main is suspended in its own switch, the partner is us.
        let r = unsafe { Context::switch(&pair.1, &pair.0) };
        if r.is_err() {
            std::process::abort();
        }
    }
}

impl Default for Backend {
    /// [`Backend::Asm`] where it exists, else [`Backend::Ucontext`].
    fn default() -> Backend {
        if Backend::Asm.is_available() { Backend::Asm } else { Backend::Ucontext }
    }
}

/// Where a suspended green thread (or the hub's main thread) was left.
pub(crate) enum Context {
    /// A stack pointer saved by `arch::switch` or built by `init_stack`.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    Asm(Cell<*mut u8>),
    /// A glibc context.
    #[cfg(all(
        target_os = "linux",
        target_env = "gnu",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    Ucontext(UContext),
}

impl Context {
    /// An empty context to save into: the main thread's, before it first
    /// switches away.
    pub(crate) fn empty(backend: Backend) -> io::Result<Context> {
        match backend {
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            Backend::Asm => Ok(Context::Asm(Cell::new(std::ptr::null_mut()))),
            #[cfg(all(
                target_os = "linux",
                target_env = "gnu",
                any(target_arch = "x86_64", target_arch = "aarch64")
            ))]
            Backend::Ucontext => Ok(Context::Ucontext(UContext::new())),
            #[allow(unreachable_patterns)]
            other => Err(unavailable(other)),
        }
    }

    /// A context that starts `entry` on `stack` when switched to.
    pub(crate) fn new(
        backend: Backend,
        stack: &Stack,
        entry: unsafe extern "C" fn() -> !,
        ucontext_entry: extern "C" fn(),
    ) -> io::Result<Context> {
        let _ = (&entry, &ucontext_entry);
        match backend {
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            Backend::Asm => {
                // SAFETY: `Stack::top` is page aligned, and the stack has
                // at least one page (far more than the 176 bytes needed).
                let sp = unsafe { crate::arch::init_stack(stack.top(), entry) };
                Ok(Context::Asm(Cell::new(sp)))
            }
            #[cfg(all(
                target_os = "linux",
                target_env = "gnu",
                any(target_arch = "x86_64", target_arch = "aarch64")
            ))]
            Backend::Ucontext => Ok(Context::Ucontext(UContext::prepare(stack, ucontext_entry)?)),
            #[allow(unreachable_patterns)]
            other => Err(unavailable(other)),
        }
    }

    /// Saves the running code into `from` and resumes `to`.
    ///
    /// # Safety
    /// Both pointers must be valid for the duration of the call and made
    /// with the same backend; `to` must be a context that is not running
    /// (built by [`Context::new`] or saved by an earlier `switch`), whose
    /// stack is still mapped.
    #[inline]
    pub(crate) unsafe fn switch(from: *const Context, to: *const Context) -> io::Result<()> {
        // SAFETY: the caller keeps both contexts alive during the call.
        let from = unsafe { &*from };
        // SAFETY: as above.
        let to = unsafe { &*to };
        match (from, to) {
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            (Context::Asm(save), Context::Asm(sp)) => {
                // SAFETY: `save` is a live Cell we may write through;
                // `sp` was saved by `switch` or built by `init_stack`.
                unsafe { crate::arch::switch(save.as_ptr(), sp.get()) };
                Ok(())
            }
            #[cfg(all(
                target_os = "linux",
                target_env = "gnu",
                any(target_arch = "x86_64", target_arch = "aarch64")
            ))]
            // SAFETY: the caller's contract is UContext::swap's.
            (Context::Ucontext(save), Context::Ucontext(to)) => unsafe { UContext::swap(save, to) },
            #[allow(unreachable_patterns)]
            _ => Err(io::Error::other("simul-green: contexts of two different backends")),
        }
    }
}

fn unavailable(b: Backend) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("the {b:?} context switch is not available on this target"),
    )
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Context")
    }
}
