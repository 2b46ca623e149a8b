//! Counting allocators, for the tests that check memory comes back
//! (reliability item 29, bursts and saturation) or that measure bytes per
//! unit.
//!
//! A test binary installs one as its global allocator and reads the
//! counter around the work it measures:
//!
//! ```standalone_crate
//! use simul_testkit::alloc::{Counting, live};
//!
//! #[global_allocator]
//! static GLOBAL: Counting = Counting;
//!
//! let before = live();
//! let v = vec![0u8; 1000];
//! assert_eq!(live() - before, 1000);
//! drop(v);
//! assert_eq!(live(), before);
//! ```
//!
//! [`Counting`] counts the whole process, so the measuring test must be
//! alone in its binary (one test function) or hold a lock the others take
//! too. [`PerThread`] counts each OS thread apart, for tests that share a
//! binary with others that allocate meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

/// Bytes allocated minus bytes freed, by every thread.
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The highest [`LIVE`] since the last [`reset_peak`].
static PEAK: AtomicIsize = AtomicIsize::new(0);

/// The system allocator, counting the bytes the whole process holds
/// ([`live`]) and the most it held ([`peak`]).
pub struct Counting;

/// Adds `delta` to the live count and raises the peak to match.
fn count(delta: isize) {
    let live = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    if delta > 0 {
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; it only
// adds to counters, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes the process holds now, as [`Counting`] counts them (0 when it is
/// not the global allocator).
///
/// ```
/// // Without `Counting` installed nothing is counted.
/// assert_eq!(simul_testkit::alloc::live(), 0);
/// ```
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// The most the process held since the last [`reset_peak`] (or since it
/// started).
///
/// ```standalone_crate
/// use simul_testkit::alloc::{Counting, peak, reset_peak};
///
/// #[global_allocator]
/// static GLOBAL: Counting = Counting;
///
/// let base = reset_peak();
/// drop(vec![0u8; 4096]);
/// assert!(peak() - base >= 4096);
/// ```
pub fn peak() -> isize {
    PEAK.load(Ordering::Relaxed)
}

/// Starts a new peak at what the process holds now, and returns that.
///
/// ```
/// use simul_testkit::alloc::{peak, reset_peak};
/// let base = reset_peak();
/// assert_eq!(peak(), base);
/// ```
pub fn reset_peak() -> isize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

thread_local! {
    /// This OS thread's allocations minus its frees. Const-initialised and
    /// without a destructor: touching it never allocates.
    static LIVE_HERE: Cell<isize> = const { Cell::new(0) };
}

/// The system allocator, counting the bytes allocated minus freed on each
/// OS thread ([`live_here`]), so that tests running beside the measuring
/// one do not count. Memory freed on another thread than the one that
/// allocated it shows as a gain there and a loss here.
pub struct PerThread;

/// Adds `delta` to the calling thread's count (not at all while the
/// thread's locals are being torn down).
fn count_here(delta: isize) {
    let _ = LIVE_HERE.try_with(|l| l.set(l.get() + delta));
}

// SAFETY: forwards every call to the system allocator unchanged; it only
// adds to a thread-local counter, which allocates nothing.
unsafe impl GlobalAlloc for PerThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_here(layout.size() as isize);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_here(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_here(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes the calling OS thread holds, as [`PerThread`] counts them.
///
/// ```standalone_crate
/// use simul_testkit::alloc::{PerThread, live_here};
///
/// #[global_allocator]
/// static GLOBAL: PerThread = PerThread;
///
/// let before = live_here();
/// let v = vec![0u8; 100];
/// assert_eq!(live_here() - before, 100);
/// drop(v);
/// assert_eq!(live_here(), before);
/// ```
pub fn live_here() -> isize {
    LIVE_HERE.with(Cell::get)
}
