//! The hand-written context switch, one file per architecture.
//!
//! Each file offers the same two functions:
//!
//! ```text
//! unsafe fn switch(save: *mut *mut u8, to: *mut u8)
//! unsafe fn init_stack(top: *mut u8, entry: unsafe extern "C" fn() -> !) -> *mut u8
//! ```
//!
//! A suspended context is nothing but a stack pointer: everything else it
//! needs was pushed onto its own stack by `switch` before it left.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub(crate) use self::x86_64::{init_stack, switch};

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub(crate) use self::aarch64::{init_stack, switch};
