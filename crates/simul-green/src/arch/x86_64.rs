//! The x86-64 context switch (System V ABI: Linux, the BSDs, macOS).
//!
//! The System V ABI splits registers into caller-saved ("scratch": the
//! caller assumes a call destroys them and saves what it needs itself)
//! and callee-saved (a function must return with them as it found them).
//! A context switch *is* a function call from the point of view of the
//! code that makes it: `switch` is called, and much later it "returns",
//! on the same stack, when someone switches back. So it only has to save
//! what a callee must preserve, and the compiler has already spilled
//! everything else around the call:
//!
//! | saved | why |
//! | --- | --- |
//! | `rbx`, `r12`–`r15` | callee-saved general registers |
//! | `rbp` | callee-saved; the frame pointer when frame pointers are on |
//! | `rsp` | the stack pointer *is* the context: it is stored in the save slot, and everything else is pushed on the stack it points to |
//! | MXCSR (control bits) | SSE rounding mode and exception masks are callee-saved |
//! | x87 control word | x87 precision/rounding control is callee-saved |
//!
//! Not saved: `rax rcx rdx rsi rdi r8–r11` and all of `xmm0–xmm15`
//! (caller-saved in System V), the flags (caller-saved, direction flag
//! is clear at every call by rule), and `rip`, which is the return address
//! already on the stack: `ret` at the end jumps back into whichever
//! context we switched to. Windows would add `rdi`, `rsi` and
//! `xmm6–xmm15`; it is not a simul target.
//!
//! Frame of a suspended context, from its saved stack pointer upwards:
//!
//! ```text
//!   sp + 0   MXCSR (4 bytes), x87 control word (2 bytes), padding
//!   sp + 8   r15
//!   sp + 16  r14
//!   sp + 24  r13
//!   sp + 32  r12
//!   sp + 40  rbx
//!   sp + 48  rbp
//!   sp + 56  return address
//! ```

/// The MXCSR value of a fresh thread: all exceptions masked, round to
/// nearest (the power-on and ABI-initial value).
const MXCSR_DEFAULT: u32 = 0x1F80;
/// The x87 control word of a fresh thread: all exceptions masked, 64-bit
/// precision, round to nearest.
const FPCW_DEFAULT: u16 = 0x037F;

/// Saves the callee-saved state on the current stack, stores the stack
/// pointer in `*save`, loads `to` as the stack pointer and pops the state
/// saved there, returning into the other context.
///
/// # Safety
/// `save` must be valid for a pointer-sized write. `to` must be a stack
/// pointer saved by this function (or built by [`init_stack`]) whose
/// context has not been resumed since, on memory that is still mapped.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn switch(save: *mut *mut u8, to: *mut u8) {
    core::arch::naked_asm!(
        // Save: callee-saved registers, then the FP control state.
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 8",
        "stmxcsr [rsp]",
        "fnstcw [rsp + 4]",
        // Swap stacks: rdi = save, rsi = to (System V argument registers).
        "mov [rdi], rsp",
        "mov rsp, rsi",
        // Restore in reverse order, from the other context's stack.
        "ldmxcsr [rsp]",
        "fldcw [rsp + 4]",
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// Writes the frame of a context that has never run on the stack ending
/// at `top`, so that switching to the returned stack pointer "returns"
/// into `entry` as if `entry` had been called normally by a function at
/// address 0.
///
/// ```text
///   top - 8    0            entry's return address: ends backtraces
///   top - 16   entry        popped by switch's `ret`
///   top - 24   rbp = 0      ends frame-pointer chains
///   top - 32   rbx = 0
///   ...        r12..r15 = 0
///   top - 72   MXCSR, x87 CW (defaults)   <- returned stack pointer
/// ```
///
/// After `ret`, `rsp = top - 8`, which is 8 modulo 16: exactly what the
/// ABI promises at a function's first instruction.
///
/// # Safety
/// `top` must be the 16-byte aligned end of writable memory with at least
/// 72 bytes below it.
pub(crate) unsafe fn init_stack(top: *mut u8, entry: unsafe extern "C" fn() -> !) -> *mut u8 {
    let control = u64::from(MXCSR_DEFAULT) | (u64::from(FPCW_DEFAULT) << 32);
    let frame: [u64; 9] = [control, 0, 0, 0, 0, 0, 0, entry as usize as u64, 0];
    let sp = top.cast::<u64>().wrapping_sub(frame.len());
    // SAFETY: the caller promises 72 writable bytes below the 16-aligned
    // top, so `sp` is in bounds and 8-aligned.
    unsafe { sp.cast::<[u64; 9]>().write(frame) };
    sp.cast::<u8>()
}
