//! Stack memory: an anonymous mapping with a `PROT_NONE` guard page at
//! its low end.
//!
//! ```text
//!   low addresses                                        high addresses
//!   +------------+-------------------------------------------------+
//!   | guard page |  usable stack (read/write), grows downwards  <- | top
//!   | PROT_NONE  |                                                 |
//!   +------------+-------------------------------------------------+
//!   ^ base       ^ base + guard
//! ```
//!
//! A stack that grows past its bottom touches the guard page and the
//! kernel raises `SIGSEGV` instead of letting it scribble over whatever
//! lies below. `MAP_STACK` is passed where the platform has it: Linux
//! ignores it today, OpenBSD requires it for any memory used as a stack
//! (see `mmap(2)` there), FreeBSD uses it to place the mapping.

use std::io;
use std::ptr::NonNull;

/// `MAP_STACK`, or nothing where the platform lacks it (macOS).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd",
    target_os = "netbsd",
))]
const MAP_STACK: libc::c_int = libc::MAP_STACK;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd",
    target_os = "netbsd",
)))]
const MAP_STACK: libc::c_int = 0;

/// The size of a memory page, asked of the OS once.
pub(crate) fn page_size() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    let cached = PAGE.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    // `sysconf(_SC_PAGESIZE)` cannot fail on any supported system; 4096
    // is the fallback should it ever say -1.
    let page = syscall!(sysconf(libc::_SC_PAGESIZE)).ok().and_then(|p| usize::try_from(p).ok());
    let page = page.filter(|p| p.is_power_of_two()).unwrap_or(4096);
    PAGE.store(page, Ordering::Relaxed);
    page
}

/// One stack mapping: `guard` bytes of `PROT_NONE`, then `usable` bytes
/// of read/write memory.
///
/// # Invariant
/// `base` is the start of a live private anonymous mapping of exactly
/// `guard + usable` bytes owned by this value alone; both sizes are
/// multiples of the page size and non-zero; the first `guard` bytes are
/// `PROT_NONE`. Dropping the value unmaps it.
#[derive(Debug)]
pub(crate) struct Mapping {
    /// Lowest address of the mapping (the guard page's start).
    base: NonNull<u8>,
    /// Bytes of guard at the bottom.
    guard: usize,
    /// Bytes of usable stack above the guard.
    usable: usize,
}

impl Mapping {
    /// Maps `usable` bytes (already page-rounded, non-zero) plus one guard
    /// page below them.
    pub(crate) fn new(usable: usize) -> io::Result<Mapping> {
        let guard = page_size();
        let total = usable.checked_add(guard).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "stack size overflows the address space")
        })?;
        // SAFETY: a fresh private anonymous mapping at an address of the
        // kernel's choice: no existing memory is affected.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let Some(base) = NonNull::new(base.cast::<u8>()) else {
            return Err(io::Error::other("mmap returned a null stack mapping"));
        };
        let mapping = Mapping { base, guard, usable };
        // SAFETY: the first page of the mapping we own; if this fails the
        // mapping is unmapped by `mapping`'s drop on the error path.
        syscall!(mprotect(base.as_ptr().cast(), guard, libc::PROT_NONE))?;
        Ok(mapping)
    }

    /// Lowest address of the guard page.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Bytes of guard.
    pub(crate) fn guard(&self) -> usize {
        self.guard
    }

    /// Bytes of usable stack.
    pub(crate) fn usable(&self) -> usize {
        self.usable
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the invariant says we own exactly this mapping, and
        // nobody runs on it any more: the owner (a green thread's stack)
        // is only dropped once its thread has finished or been unwound.
        // munmap of a valid mapping cannot fail; nothing to do if it did.
        let _ = syscall!(munmap(self.base.as_ptr().cast(), self.guard + self.usable));
    }
}

// SAFETY: the mapping is plain memory owned by this value; moving the
// owner to another thread moves nothing but the address.
unsafe impl Send for Mapping {}
