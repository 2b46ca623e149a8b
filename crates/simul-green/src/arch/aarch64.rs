//! The AArch64 context switch (AAPCS64: Linux, the BSDs, macOS).
//!
//! Same idea as on x86-64: a switch is a call that returns later, so only
//! the registers the procedure-call standard makes callee-saved are kept:
//!
//! | saved | why |
//! | --- | --- |
//! | `x19`–`x28` | callee-saved general registers |
//! | `x29` (fp) | frame pointer, callee-saved |
//! | `x30` (lr) | the link register holds where `switch` returns to |
//! | `sp` | the context itself: stored in the save slot |
//! | `d8`–`d15` | the low 64 bits of `v8`–`v15` are callee-saved |
//! | `FPCR` | rounding mode, flush-to-zero, default-NaN and trap enables: each green thread keeps its own, as on x86-64 (MXCSR) and with `swapcontext` |
//!
//! Not saved: `x0`–`x17` and the upper halves of `v8`–`v15` and all of the
//! other vector registers (caller-saved), `FPSR` (the sticky exception
//! flags: status, not mode), and `x18`, the platform register, which Apple
//! reserves and which nothing here may touch.
//!
//! `FPCR` is only *written* when the two contexts' values differ, which
//! is rare (a thread changed its mode): reading it is cheap, writing it
//! can stall the pipeline on many cores. Before it was saved, a green
//! thread that changed its rounding mode (`fesetround`) and switched away
//! left that mode in force for every other green thread of the hub, main
//! included, and found theirs when it came back: only on aarch64, only
//! with this switch.
//!
//! Frame of a suspended context (176 bytes, keeping `sp` 16-aligned):
//!
//! ```text
//!   sp + 0    x19, x20      sp + 96   d8,  d9
//!   sp + 16   x21, x22      sp + 112  d10, d11
//!   sp + 32   x23, x24      sp + 128  d12, d13
//!   sp + 48   x25, x26      sp + 144  d14, d15
//!   sp + 64   x27, x28      sp + 160  FPCR, padding
//!   sp + 80   x29, x30
//! ```

/// Saves the callee-saved state, stores `sp` in `*save`, switches to the
/// stack `to` and restores the state saved there; `ret` then jumps to the
/// restored `x30`.
///
/// # Safety
/// As for the x86-64 version: `save` writable, `to` saved by this function
/// or built by [`init_stack`], not resumed since, still mapped.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn switch(save: *mut *mut u8, to: *mut u8) {
    core::arch::naked_asm!(
        "sub sp, sp, #176",
        "stp x19, x20, [sp, #0]",
        "stp x21, x22, [sp, #16]",
        "stp x23, x24, [sp, #32]",
        "stp x25, x26, [sp, #48]",
        "stp x27, x28, [sp, #64]",
        "stp x29, x30, [sp, #80]",
        "stp d8, d9, [sp, #96]",
        "stp d10, d11, [sp, #112]",
        "stp d12, d13, [sp, #128]",
        "stp d14, d15, [sp, #144]",
        "mrs x9, fpcr",
        "str x9, [sp, #160]",
        // x0 = save, x1 = to.
        "mov x10, sp",
        "str x10, [x0]",
        "mov sp, x1",
        // x9 still holds our FPCR: write the other's only if it differs.
        "ldr x10, [sp, #160]",
        "cmp x9, x10",
        "b.eq 1f",
        "msr fpcr, x10",
        "1:",
        "ldp x19, x20, [sp, #0]",
        "ldp x21, x22, [sp, #16]",
        "ldp x23, x24, [sp, #32]",
        "ldp x25, x26, [sp, #48]",
        "ldp x27, x28, [sp, #64]",
        "ldp x29, x30, [sp, #80]",
        "ldp d8, d9, [sp, #96]",
        "ldp d10, d11, [sp, #112]",
        "ldp d12, d13, [sp, #128]",
        "ldp d14, d15, [sp, #144]",
        "add sp, sp, #176",
        "ret",
    )
}

/// First code of a new context: clears the frame pointer and link
/// register (so backtraces end here) and jumps to the entry function,
/// which the initial frame placed in `x19`.
#[unsafe(naked)]
unsafe extern "C" fn trampoline() -> ! {
    core::arch::naked_asm!("mov x29, xzr", "mov x30, xzr", "br x19")
}

/// Writes the frame of a context that has never run: `x19 = entry`,
/// `x29 = 0`, `x30 = trampoline`, `FPCR = 0` (what a new process starts
/// with: round to nearest, no traps, no flush-to-zero, as x86-64's
/// `init_stack` uses the default MXCSR), everything else zero. Switching
/// to the returned stack pointer pops it, `ret`s into the trampoline with
/// `sp = top`, and the trampoline jumps to `entry`.
///
/// # Safety
/// `top` must be the 16-byte aligned end of writable memory with at least
/// 176 bytes below it.
pub(crate) unsafe fn init_stack(top: *mut u8, entry: unsafe extern "C" fn() -> !) -> *mut u8 {
    let mut frame = [0u64; 22];
    frame[0] = entry as *const () as usize as u64; // x19
    frame[11] = trampoline as *const () as usize as u64; // x30
    // frame[20] = 0: FPCR.
    let sp = top.cast::<u64>().wrapping_sub(frame.len());
    // SAFETY: the caller promises 176 writable bytes below the 16-aligned
    // top, so `sp` is in bounds and aligned.
    unsafe { sp.cast::<[u64; 22]>().write(frame) };
    sp.cast::<u8>()
}
