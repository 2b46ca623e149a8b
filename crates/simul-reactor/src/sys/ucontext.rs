//! `getcontext` / `makecontext` / `swapcontext`: the portable (and slow)
//! way to switch stacks, from glibc.
//!
//! POSIX removed these functions in 2008, but glibc keeps them and they
//! are the traditional fallback for stackful coroutines. `swapcontext`
//! saves and restores the signal mask as part of the context, which costs
//! an `rt_sigprocmask` system call on every switch: that is why the
//! hand-written switch in `simul-green` is an order of magnitude faster.
//!
//! A `ucontext_t` must not move once `getcontext` has filled it: on
//! x86-64 glibc it holds a pointer to its own floating-point save area.
//! The public wrapper therefore keeps it boxed.

use std::cell::UnsafeCell;
use std::io;

/// A zeroed context, ready to be saved into by [`swap`].
pub(crate) fn zeroed() -> Box<UnsafeCell<libc::ucontext_t>> {
    // SAFETY: ucontext_t is plain data; all-zero is a valid (empty) value.
    Box::new(UnsafeCell::new(unsafe { std::mem::zeroed() }))
}

/// Fills `ctx` so that switching to it calls `entry` on the stack
/// `[bottom, bottom + len)`.
///
/// # Safety
/// `ctx` must point to a live, boxed `ucontext_t` that nothing else uses
/// during the call; the stack must stay mapped as long as the context can
/// be switched to.
pub(crate) unsafe fn prepare(
    ctx: *mut libc::ucontext_t,
    bottom: *mut u8,
    len: usize,
    entry: extern "C" fn(),
) -> io::Result<()> {
    // SAFETY: the caller gives us exclusive use of a live ucontext_t.
    syscall!(getcontext(ctx))?;
    // SAFETY: as above: exclusive use of a live, initialised ucontext_t.
    let c = unsafe { &mut *ctx };
    c.uc_stack.ss_sp = bottom.cast();
    c.uc_stack.ss_size = len;
    c.uc_stack.ss_flags = 0;
    c.uc_link = std::ptr::null_mut();
    // SAFETY: `ctx` was initialised by getcontext and given a stack;
    // `entry` takes no arguments, matching argc = 0.
    unsafe { libc::makecontext(ctx, entry, 0) };
    Ok(())
}

/// Saves the running context into `save` and resumes `to`. Returns when
/// something switches back to `save`.
///
/// # Safety
/// Both must point to live boxed contexts; `to` must have been filled by
/// [`prepare`] or by an earlier `swap`, and its stack must still be mapped.
pub(crate) unsafe fn swap(
    save: *mut libc::ucontext_t,
    to: *const libc::ucontext_t,
) -> io::Result<()> {
    // SAFETY: the caller's contract.
    syscall!(swapcontext(save, to)).map(drop)
}
