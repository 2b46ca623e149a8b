//! Green-thread stacks: sizes, the guard page, unmapping, and the ucontext
//! switch.

use std::io::ErrorKind;

use simul_reactor::Stack;

#[test]
fn sizes_round_up_to_pages_and_the_guard_sits_below() {
    for asked in [1, 4095, 4096, 4097, Stack::DEFAULT_SIZE, 3 << 20] {
        let s = Stack::new(asked).unwrap();
        assert!(s.len() >= asked, "{asked}");
        assert!(s.len() < asked + 65536, "rounded to a page, not more: {asked} -> {}", s.len());
        assert_eq!(s.top() as usize - s.bottom() as usize, s.len());
        assert_eq!(s.top() as usize % 16, 0);
        let guard = s.guard_range();
        assert_eq!(guard.end, s.bottom() as usize);
        assert!(!guard.is_empty());
    }
    assert_eq!(Stack::new(0).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(Stack::new(usize::MAX).unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[test]
fn the_whole_usable_range_is_writable() {
    let s = Stack::new(64 * 1024).unwrap();
    let len = s.len();
    let base = s.bottom();
    for i in (0..len).step_by(512) {
        // SAFETY: `bottom + i` is inside the usable range for i < len.
        unsafe { base.wrapping_add(i).write_volatile(i as u8) };
    }
    // SAFETY: the last usable byte.
    unsafe { base.wrapping_add(len - 1).write_volatile(0xAA) };
    // SAFETY: as above, reading back what was written.
    assert_eq!(unsafe { base.wrapping_add(len - 1).read_volatile() }, 0xAA);
}

/// Counts this process's memory mappings (Linux).
fn mappings() -> Option<usize> {
    std::fs::read_to_string("/proc/self/maps").ok().map(|m| m.lines().count())
}

#[test]
fn dropping_stacks_unmaps_them() {
    let Some(before) = mappings() else { return };
    let stacks: Vec<_> = (0..200).map(|_| Stack::new(32 * 1024).unwrap()).collect();
    let during = mappings().unwrap();
    assert!(during >= before + 200, "each stack is at least one mapping ({before} -> {during})");
    drop(stacks);
    let after = mappings().unwrap();
    // Other threads of the test binary may map a little meanwhile.
    assert!(after <= before + 8, "stacks were unmapped ({before} -> {after})");
}

#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn ucontext_runs_a_function_on_a_stack_and_comes_back_repeatedly() {
    use simul_reactor::UContext;
    use std::cell::Cell;

    thread_local! {
        static PAIR: Cell<(*const UContext, *const UContext)> =
            const { Cell::new((std::ptr::null(), std::ptr::null())) };
        static COUNT: Cell<u32> = const { Cell::new(0) };
        static WHERE: Cell<usize> = const { Cell::new(0) };
    }
    extern "C" fn body() {
        let (main, me) = PAIR.get();
        // SAFETY: both contexts outlive the test's switches.
        let main = unsafe { &*main };
        // SAFETY: as above.
        let me = unsafe { &*me };
        loop {
            let local = 0u8;
            WHERE.set(&local as *const u8 as usize);
            COUNT.set(COUNT.get() + 1);
            // SAFETY: `main` is suspended in its swap; we are `me`.
            unsafe { UContext::swap(me, main) }.unwrap();
        }
    }
    let stack = Stack::new(Stack::DEFAULT_SIZE).unwrap();
    let main = UContext::new();
    let coroutine = UContext::prepare(&stack, body).unwrap();
    PAIR.set((&main, &coroutine));
    for i in 1..=100 {
        // SAFETY: `coroutine` runs on `stack`, alive for the whole test.
        unsafe { UContext::swap(&main, &coroutine) }.unwrap();
        assert_eq!(COUNT.get(), i);
    }
    let addr = WHERE.get();
    assert!((stack.bottom() as usize..stack.top() as usize).contains(&addr), "ran on the stack");
}
