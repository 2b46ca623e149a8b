//! Turning a hit on a green thread's guard page into a clear message.
//!
//! A stack overflow into a guard page raises `SIGSEGV` (`SIGBUS` on some
//! BSDs and macOS). By default the process then dies with "Segmentation
//! fault" and no hint of why. This module installs, once per process, a
//! handler for both signals that looks the faulting address up in a table
//! of registered guard pages. On a match it writes
//! `green thread stack overflow: ...` to standard error with `write(2)`
//! and calls `abort(3)`; otherwise it hands the signal to whoever handled
//! it before (Rust's own runtime reports overflows of OS thread stacks
//! that way), or restores the default action so that the faulting
//! instruction, executed again, kills the process as it would have.
//!
//! The handler runs on an **alternate signal stack**: the overflowing
//! stack has no room left for the handler's frame. Alternate stacks are
//! per OS thread (`sigaltstack(2)`), so every thread that runs green
//! threads calls [`prepare_thread`]; Rust's runtime already gives one to
//! the main thread and to threads made by `std::thread`, and we reuse it.
//!
//! Only async-signal-safe work happens in the handler: atomic loads,
//! `write`, `sigaction`, `abort`.

use std::cell::Cell;
use std::io;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use super::stack::page_size;

/// How many guard pages can be registered at once. Linux's default
/// `vm.max_map_count` (65530) allows about as many stacks as this (each
/// stack is two mappings); a stack that finds the table full still has
/// its guard page, but an overflow there is reported as a plain
/// segmentation fault.
const SLOTS: usize = 32768;

/// Start addresses of registered guard pages; 0 marks a free slot.
static GUARDS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
/// Length of every guard region (one page), set before the first
/// registration.
static GUARD_LEN: AtomicUsize = AtomicUsize::new(0);
/// Where the next free-slot search starts, so registration is O(1) on
/// average instead of a scan from the front.
static HINT: AtomicUsize = AtomicUsize::new(0);

/// The handlers that were installed before ours, for SIGSEGV and SIGBUS.
/// Written once, by `install`, before our handler can see a fault of
/// ours; null means "the default action".
static PREVIOUS: [AtomicPtr<libc::sigaction>; 2] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; 2];

static INSTALL: Once = Once::new();

thread_local! {
    /// Whether this thread has an alternate signal stack we checked or
    /// made; holds ours (to free at thread exit) if we made one.
    static ALT_STACK: AltStack = const { AltStack { ready: Cell::new(false), ours: Cell::new(None) } };
}

/// Records `[start, start + len)` as a guard region; returns its slot, or
/// `None` when the table is full (see [`SLOTS`]).
pub(crate) fn register(start: usize, len: usize) -> Option<usize> {
    GUARD_LEN.store(len, Ordering::Relaxed);
    let hint = HINT.load(Ordering::Relaxed);
    for i in 0..SLOTS {
        let slot = (hint + i) % SLOTS;
        if GUARDS[slot].compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            HINT.store((slot + 1) % SLOTS, Ordering::Relaxed);
            return Some(slot);
        }
    }
    None
}

/// Frees a slot returned by [`register`].
pub(crate) fn deregister(slot: usize) {
    GUARDS[slot].store(0, Ordering::Release);
}

/// Installs the process-wide handler (once) and makes sure the calling
/// thread has an alternate signal stack.
pub(crate) fn prepare_thread() -> io::Result<()> {
    let mut result = Ok(());
    INSTALL.call_once(|| result = install());
    result?;
    ALT_STACK.with(AltStack::ensure)
}

fn install() -> io::Result<()> {
    for (i, sig) in [libc::SIGSEGV, libc::SIGBUS].into_iter().enumerate() {
        // SAFETY: an all-zero sigaction is a valid value to fill in.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_fault as extern "C" fn(_, _, _) as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        // SAFETY: `sa_mask` is a sigset_t we own.
        syscall!(sigemptyset(&mut action.sa_mask))?;
        // SAFETY: as above; zero is valid and is overwritten by the call.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live sigaction values; the handler
        // we install only does async-signal-safe work.
        syscall!(sigaction(sig, &action, &mut old))?;
        PREVIOUS[i].store(Box::into_raw(Box::new(old)), Ordering::Release);
    }
    Ok(())
}

/// The signal handler. See the module docs.
extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { fault_address(info) };
    let len = GUARD_LEN.load(Ordering::Relaxed);
    for slot in &GUARDS {
        let start = slot.load(Ordering::Acquire);
        if start != 0 && addr >= start && addr - start < len {
            report(addr, start, len);
        }
    }
    let which = usize::from(sig != libc::SIGSEGV);
    let prev = PREVIOUS[which].load(Ordering::Acquire);
    // SAFETY: `prev` is null or a leaked Box that is never freed.
    let prev = unsafe { prev.as_ref() };
    match prev {
        Some(p) if p.sa_sigaction != libc::SIG_DFL && p.sa_sigaction != libc::SIG_IGN => {
            if p.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous owner installed this address as a
                // three-argument handler; we call it as the kernel would.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig, info, ctx);
            } else {
                // SAFETY: as above, for a one-argument handler.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig);
            }
        }
        _ => {
            // Not ours and nobody else's: restore the default action and
            // return; the faulting instruction runs again and the kernel
            // kills the process with the original signal (and core).
            // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask.
            let mut dfl: libc::sigaction = unsafe { std::mem::zeroed() };
            dfl.sa_sigaction = libc::SIG_DFL;
            // SAFETY: `dfl` is a live sigaction; sigaction is
            // async-signal-safe. Nothing to do if it failed.
            let _ = syscall!(sigaction(sig, &dfl, std::ptr::null_mut()));
        }
    }
}

/// The faulting address of a SIGSEGV/SIGBUS.
///
/// # Safety
/// `info` must point to the siginfo the kernel passed to the handler.
unsafe fn fault_address(info: *mut libc::siginfo_t) -> usize {
    // SAFETY: the caller passes the kernel's siginfo, valid to read.
    let info = unsafe { &*info };
    // SAFETY: for SIGSEGV and SIGBUS `si_addr` is the member that is set.
    unsafe { info.si_addr() as usize }
}

/// Writes the overflow message and aborts. Async-signal-safe: formats
/// into a stack buffer, one `write(2)`, then `abort(3)`.
fn report(addr: usize, guard: usize, len: usize) -> ! {
    let mut buf = [0u8; 256];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if n < buf.len() {
                buf[n] = b;
                n += 1;
            }
        }
    };
    put(b"green thread stack overflow: the fault address ");
    put(&hex(addr));
    put(b" lies in the guard page [");
    put(&hex(guard));
    put(b", ");
    put(&hex(guard + len));
    put(b") below a green thread's stack; give the thread a bigger stack. Aborting.\n");
    // SAFETY: writes `n` initialised bytes of `buf` to standard error;
    // nothing to do if the write fails, we abort either way.
    let _ = syscall!(write(libc::STDERR_FILENO, buf.as_ptr().cast(), n));
    // SAFETY: abort is async-signal-safe and never returns.
    unsafe { libc::abort() }
}

/// `0x` and 16 hex digits.
fn hex(mut v: usize) -> [u8; 18] {
    let mut out = [b'0'; 18];
    out[1] = b'x';
    for i in (2..18).rev() {
        out[i] = b"0123456789abcdef"[v & 15];
        v >>= 4;
    }
    out
}

/// Per-thread record of the alternate signal stack.
struct AltStack {
    /// Checked (or made) already.
    ready: Cell<bool>,
    /// `(base, len)` of a stack we mapped ourselves.
    ours: Cell<Option<(usize, usize)>>,
}

impl AltStack {
    fn ensure(&self) -> io::Result<()> {
        if self.ready.get() {
            return Ok(());
        }
        // SAFETY: zero is a valid stack_t to be filled in.
        let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: a null new stack only queries the current one.
        syscall!(sigaltstack(std::ptr::null(), &mut current))?;
        if current.ss_flags & libc::SS_DISABLE == 0 {
            // Rust's runtime (or the program) gave this thread one already.
            self.ready.set(true);
            return Ok(());
        }
        let len = (libc::SIGSTKSZ).max(64 * 1024).next_multiple_of(page_size());
        // SAFETY: a fresh private anonymous mapping; affects no existing memory.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = libc::stack_t { ss_sp: base, ss_flags: 0, ss_size: len };
        // SAFETY: `stack` describes the mapping we just made, which stays
        // mapped until this thread's `AltStack` is dropped.
        if let Err(e) = syscall!(sigaltstack(&stack, std::ptr::null_mut())) {
            // SAFETY: the mapping is ours and unused.
            let _ = syscall!(munmap(base, len));
            return Err(e);
        }
        self.ours.set(Some((base as usize, len)));
        self.ready.set(true);
        Ok(())
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        if let Some((base, len)) = self.ours.take() {
            let disable = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling the alternate stack first, so the kernel
            // never delivers a signal onto memory we are about to unmap.
            if syscall!(sigaltstack(&disable, std::ptr::null_mut())).is_ok() {
                // SAFETY: the mapping made in `ensure`, no longer in use.
                let _ = syscall!(munmap(base as *mut libc::c_void, len));
            }
        }
    }
}
