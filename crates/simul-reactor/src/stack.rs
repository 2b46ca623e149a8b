//! [`Stack`]: memory for a green thread to run on, with a guard page.

use std::fmt;
use std::io;
use std::ops::Range;

use crate::sys;

/// A stack for a green thread: `mmap`ed memory with a guard page below it.
///
/// A green thread (a stackful coroutine) needs a call stack of its own,
/// separate from the OS thread's, so that it can be suspended in the
/// middle of a deep call chain and resumed later with every frame intact.
/// `Stack` is that memory:
///
/// ```text
///   bottom() - guard           bottom()                          top()
///   |<---- guard page ---->|<------------- len() bytes ------------>|
///   |      PROT_NONE       |   read/write; the stack grows down  <- |
/// ```
///
/// * **Lazily backed.** The mapping reserves address space; the OS gives
///   it physical pages only as the thread touches them, so a 256 KiB stack
///   whose thread uses 3 KiB costs one or two pages of memory.
/// * **Guarded.** Running off the bottom touches the guard page, which
///   faults. A process-wide signal handler (installed the first time a
///   `Stack` is made on a thread, running on an alternate signal stack)
///   recognises the guard pages of all live stacks and prints
///   `green thread stack overflow: ...` before aborting, instead of a bare
///   "Segmentation fault" or, without a guard, silent corruption of
///   whatever lies below.
/// * **Known to valgrind.** The stack is registered with valgrind's
///   memcheck (`VALGRIND_STACK_REGISTER`) on creation and deregistered on
///   drop, so running green threads under memcheck gives no false errors.
///   Outside valgrind this costs a few instructions.
///
/// Dropping a `Stack` unmaps it. Whoever switches onto a stack must make
/// sure nothing is still running on it or suspended in it by then.
///
/// # Examples
///
/// ```
/// use simul_reactor::Stack;
///
/// let stack = Stack::new(Stack::DEFAULT_SIZE)?;
/// assert!(stack.len() >= 256 * 1024);
/// assert_eq!(stack.top() as usize - stack.bottom() as usize, stack.len());
/// assert_eq!(stack.guard_range().end, stack.bottom() as usize);
/// assert_eq!(stack.top() as usize % 16, 0, "the top is aligned for any ABI");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Stack {
    /// The memory.
    mapping: sys::stack::Mapping,
    /// Our slot in the guard-page table, if it had room.
    guard_slot: Option<usize>,
    /// Valgrind's id for this stack (0 outside valgrind).
    valgrind_id: usize,
}

impl Stack {
    /// The default usable size: 256 KiB. Enough for ordinary Rust code
    /// including formatting and a panic's unwinding; a thread with deep
    /// recursion or large arrays on the stack asks for more.
    pub const DEFAULT_SIZE: usize = 256 * 1024;

    /// Maps a stack with at least `size` usable bytes (rounded up to whole
    /// pages), plus one guard page below.
    ///
    /// Also makes sure overflow reporting works on the calling thread: the
    /// signal handler is installed once per process, and the thread gets an
    /// alternate signal stack if it has none. Create stacks on the thread
    /// that will run on them.
    ///
    /// # Errors
    ///
    /// * `InvalidInput` if `size` is 0 or too large to map.
    /// * The OS error if the mapping fails (`ENOMEM` when address space or
    ///   `vm.max_map_count` is exhausted).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Stack;
    ///
    /// let small = Stack::new(1)?; // rounded up to one page
    /// assert!(small.len() >= 1 && small.len() % 4096 == 0);
    /// assert_eq!(Stack::new(0).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(size: usize) -> io::Result<Stack> {
        if size == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a stack needs at least one byte (asked for 0)",
            ));
        }
        let page = sys::stack::page_size();
        let usable = size.checked_next_multiple_of(page).filter(|&u| u <= isize::MAX as usize / 2);
        let Some(usable) = usable else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a stack of {size} bytes is too large to map"),
            ));
        };
        sys::guard::prepare_thread()?;
        let mapping = sys::stack::Mapping::new(usable)?;
        let guard_start = mapping.base() as usize;
        let guard_slot = sys::guard::register(guard_start, mapping.guard());
        let bottom = guard_start + mapping.guard();
        let valgrind_id = sys::valgrind::stack_register(bottom, bottom + usable);
        Ok(Stack { mapping, guard_slot, valgrind_id })
    }

    /// The highest address of the stack, exclusive: where a new thread's
    /// stack pointer starts. Aligned to at least 16 bytes (it is page
    /// aligned).
    ///
    /// # Examples
    /// See [`Stack`].
    pub fn top(&self) -> *mut u8 {
        self.bottom().wrapping_add(self.mapping.usable())
    }

    /// The lowest usable address, just above the guard page.
    ///
    /// # Examples
    /// See [`Stack`].
    pub fn bottom(&self) -> *mut u8 {
        self.mapping.base().wrapping_add(self.mapping.guard())
    }

    /// Usable bytes, `top() - bottom()`; the guard page is not counted.
    ///
    /// # Examples
    /// See [`Stack`].
    #[allow(clippy::len_without_is_empty, reason = "a stack is never empty")]
    pub fn len(&self) -> usize {
        self.mapping.usable()
    }

    /// The guard page's addresses: any access there faults.
    ///
    /// # Examples
    /// See [`Stack`].
    pub fn guard_range(&self) -> Range<usize> {
        let start = self.mapping.base() as usize;
        start..start + self.mapping.guard()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        sys::valgrind::stack_deregister(self.valgrind_id);
        if let Some(slot) = self.guard_slot {
            sys::guard::deregister(slot);
        }
        // `mapping` unmaps itself after this.
    }
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("bottom", &self.bottom())
            .field("top", &self.top())
            .field("guard", &self.guard_range())
            .finish()
    }
}
