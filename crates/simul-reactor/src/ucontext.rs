//! [`UContext`]: the libc context switch (`swapcontext`), for comparison
//! and as a portable fallback.

use std::cell::UnsafeCell;
use std::fmt;
use std::io;

use crate::{Stack, sys};

/// A saved execution context of glibc's `getcontext`/`makecontext`/
/// `swapcontext` family.
///
/// A context is a snapshot of registers (including the stack pointer and
/// the signal mask). [`UContext::swap`] saves the running code into one
/// context and resumes another, which is how a stackful coroutine is
/// switched without hand-written assembly. The price is a system call per
/// switch: `swapcontext` also saves and restores the signal mask.
/// `simul-green` uses its own assembly switch by default and this one when
/// asked to, so the two can be measured side by side.
///
/// Only on Linux with glibc (x86-64 and aarch64).
///
/// # Examples
///
/// A function run on its own stack that switches back once:
///
/// ```
/// use simul_reactor::{Stack, UContext};
/// use std::cell::Cell;
///
/// thread_local! {
///     static CTX: Cell<(*const UContext, *const UContext)> =
///         const { Cell::new((std::ptr::null(), std::ptr::null())) };
///     static RAN: Cell<bool> = const { Cell::new(false) };
/// }
///
/// extern "C" fn body() {
///     RAN.set(true);
///     let (main, me) = CTX.get();
///     // SAFETY (doc example): both contexts live until main returns.
///     unsafe { UContext::swap(&*me, &*main) }.unwrap();
///     unreachable!("nobody resumes this context again");
/// }
///
/// let stack = Stack::new(Stack::DEFAULT_SIZE)?;
/// let main = UContext::new();
/// let coroutine = UContext::prepare(&stack, body)?;
/// CTX.set((&main, &coroutine));
/// // SAFETY: `coroutine` was prepared on `stack`, which outlives the switch.
/// unsafe { UContext::swap(&main, &coroutine)? };
/// assert!(RAN.get());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UContext {
    /// Boxed: glibc's context points into itself and must not move.
    ctx: Box<UnsafeCell<libc::ucontext_t>>,
}

impl UContext {
    /// An empty context, to be saved into by [`swap`](UContext::swap).
    ///
    /// # Examples
    /// See [`UContext`].
    pub fn new() -> UContext {
        UContext { ctx: sys::ucontext::zeroed() }
    }

    /// A context that, when switched to, calls `entry` on `stack`.
    ///
    /// `entry` must never return: the context has no successor, and
    /// returning from it ends the OS thread. It switches away for good
    /// instead.
    ///
    /// # Errors
    ///
    /// What `getcontext` reports (nothing in practice).
    ///
    /// # Examples
    /// See [`UContext`].
    pub fn prepare(stack: &Stack, entry: extern "C" fn()) -> io::Result<UContext> {
        let c = UContext::new();
        // SAFETY: `c.ctx` is a fresh boxed context nobody else sees; the
        // caller of `swap` promises the stack outlives its use.
        unsafe { sys::ucontext::prepare(c.ctx.get(), stack.bottom(), stack.len(), entry)? };
        Ok(c)
    }

    /// Saves the running context into `save` and resumes `to`. Returns
    /// when something later swaps back into `save`.
    ///
    /// # Errors
    ///
    /// What `swapcontext` reports (nothing in practice).
    ///
    /// # Safety
    ///
    /// `to` must have been made by [`prepare`](UContext::prepare) or saved
    /// by an earlier `swap` that has not been resumed since, and the stack
    /// it runs on must still be mapped and not in use by anything else.
    /// Nothing may hold a reference into the saved context while it runs.
    ///
    /// # Examples
    /// See [`UContext`].
    pub unsafe fn swap(save: &UContext, to: &UContext) -> io::Result<()> {
        // SAFETY: the caller's contract; both boxes are live.
        unsafe { sys::ucontext::swap(save.ctx.get(), to.ctx.get()) }
    }
}

impl Default for UContext {
    fn default() -> UContext {
        UContext::new()
    }
}

impl fmt::Debug for UContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UContext").finish_non_exhaustive()
    }
}
