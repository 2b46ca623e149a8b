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
//!
//! Not saved: `x0`–`x17` and the upper halves of `v8`–`v15` and all of the
//! other vector registers (caller-saved), and `x18`, the platform register,
//! which Apple reserves and which nothing here may touch. `FPCR` is not
//! saved either: AAPCS64 treats its mode bits as process state that a call
//! leaves alone, and simul never changes them.
//!
//! Frame of a suspended context (160 bytes, keeping `sp` 16-aligned):
//!
//! ```text
//!   sp + 0    x19, x20      sp + 96   d8,  d9
//!   sp + 16   x21, x22      sp + 112  d10, d11
//!   sp + 32   x23, x24      sp + 128  d12, d13
//!   sp + 48   x25, x26      sp + 144  d14, d15
//!   sp + 64   x27, x28
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
        "sub sp, sp, #160",
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
        // x0 = save, x1 = to.
        "mov x9, sp",
        "str x9, [x0]",
        "mov sp, x1",
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
        "add sp, sp, #160",
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
/// `x29 = 0`, `x30 = trampoline`, everything else zero. Switching to the
/// returned stack pointer pops it, `ret`s into the trampoline with
/// `sp = top`, and the trampoline jumps to `entry`.
///
/// # Safety
/// `top` must be the 16-byte aligned end of writable memory with at least
/// 160 bytes below it.
pub(crate) unsafe fn init_stack(top: *mut u8, entry: unsafe extern "C" fn() -> !) -> *mut u8 {
    let mut frame = [0u64; 20];
    frame[0] = entry as *const () as usize as u64; // x19
    frame[11] = trampoline as *const () as usize as u64; // x30
    let sp = top.cast::<u64>().wrapping_sub(frame.len());
    // SAFETY: the caller promises 160 writable bytes below the 16-aligned
    // top, so `sp` is in bounds and aligned.
    unsafe { sp.cast::<[u64; 20]>().write(frame) };
    sp.cast::<u8>()
}
