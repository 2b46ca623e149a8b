//! Valgrind client requests, without valgrind's headers.
//!
//! Memcheck tracks which memory is "the stack" to tell a legitimate
//! access below the stack pointer from a wild one. When a program moves
//! its stack pointer into memory it mapped itself, as every green-thread
//! switch does, memcheck must be told that the new range is a stack
//! (`VALGRIND_STACK_REGISTER` in `valgrind.h`); otherwise it reports a
//! flood of false errors and may lose track of the real stack.
//!
//! A client request is a "magic" instruction sequence that does nothing
//! on a real CPU (four rotations that add up to a full turn, then an
//! exchange of a register with itself) and that valgrind's JIT recognises:
//! it then reads a request block whose address is in a fixed register and
//! writes its answer to another. Outside valgrind the sequence costs a few
//! cycles and returns the default value. The sequences below are those of
//! `valgrind.h` for amd64 and arm64; elsewhere requests are no-ops.
//!
//! To run a test suite under memcheck:
//!
//! ```text
//! cargo test -p simul-green --no-run          # prints the test binary path
//! valgrind --error-exitcode=1 --leak-check=full <binary> --test-threads=1
//! ```

/// `VG_USERREQ__STACK_REGISTER` from `valgrind.h`.
const STACK_REGISTER: usize = 0x1501;
/// `VG_USERREQ__STACK_DEREGISTER` from `valgrind.h`.
const STACK_DEREGISTER: usize = 0x1502;

/// Tells valgrind that `[start, end)` is a stack; returns its id (0 when
/// not running under valgrind).
pub(crate) fn stack_register(start: usize, end: usize) -> usize {
    request(0, [STACK_REGISTER, start, end, 0, 0, 0])
}

/// Forgets a stack registered with [`stack_register`].
pub(crate) fn stack_deregister(id: usize) {
    request(0, [STACK_DEREGISTER, id, 0, 0, 0, 0]);
}

#[cfg(target_arch = "x86_64")]
fn request(default: usize, args: [usize; 6]) -> usize {
    let mut result = default;
    // SAFETY: on a real CPU the sequence rotates rdi by 3+13+61+51 = 128
    // bits (twice round: unchanged) and exchanges rbx with itself, so no
    // register or memory changes. Under valgrind, the request block `args`
    // is read through rax and the answer written to rdx, as declared.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") result,
            options(nostack),
        );
    }
    result
}

#[cfg(target_arch = "aarch64")]
fn request(default: usize, args: [usize; 6]) -> usize {
    let mut result = default;
    // SAFETY: on a real CPU x12 is rotated by 3+13+51+61 = 128 bits
    // (unchanged) and `orr x10, x10, x10` is a move to itself. Under
    // valgrind the request block is read through x4 and the answer
    // written to x3, as declared.
    unsafe {
        core::arch::asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            in("x4") args.as_ptr(),
            inout("x3") result,
            options(nostack),
        );
    }
    result
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn request(default: usize, _args: [usize; 6]) -> usize {
    default
}
