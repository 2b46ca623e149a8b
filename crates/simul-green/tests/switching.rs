//! Context switches: order of execution, and that registers and stack
//! contents survive a switch, on every backend.

mod util;

use simul_green::{GreenId, Outcome, TraceEvent, Wait};
use util::{Log, backends, virtual_hubs};

#[test]
fn yields_alternate_round_robin() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let handles: Vec<_> = ["a", "b", "c"]
                .into_iter()
                .map(|name| {
                    let l = l.clone();
                    simul_green::spawn(move || {
                        for i in 1..=3 {
                            l.push(format!("{name}{i}"));
                            simul_green::yield_now().unwrap();
                        }
                    })
                    .unwrap()
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
        })
        .unwrap();
        assert_eq!(log.take(), ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"], "{backend}");
    }
}

#[test]
fn trace_records_every_step_in_order() {
    for (backend, b) in backends() {
        let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = events.clone();
        let hub = simul_green::Hub::builder()
            .backend(b)
            .clock(simul_reactor::Clock::new_virtual())
            .trace(move |e| sink.borrow_mut().push(*e))
            .build()
            .unwrap();
        let (a, c) = hub
            .run(|| {
                let a = simul_green::spawn(|| simul_green::yield_now().unwrap()).unwrap();
                let c = simul_green::spawn(|| ()).unwrap();
                let ids = (a.id(), c.id());
                a.join().unwrap();
                c.join().unwrap();
                ids
            })
            .unwrap();
        let main = GreenId::MAIN;
        assert_eq!(
            *events.borrow(),
            [
                TraceEvent::Spawn { id: a },
                TraceEvent::Spawn { id: c },
                TraceEvent::Park { id: main, wait: Wait::Join(a) },
                TraceEvent::Switch { from: main, to: a },
                TraceEvent::Yield { id: a },
                TraceEvent::Switch { from: a, to: c },
                TraceEvent::Finish { id: c, outcome: Outcome::Returned },
                TraceEvent::Switch { from: c, to: a },
                TraceEvent::Finish { id: a, outcome: Outcome::Returned },
                TraceEvent::Switch { from: a, to: main },
            ],
            "{backend}"
        );
    }
}

/// Values kept in callee-saved registers (integers and floats) and on the
/// stack survive many switches with other threads that clobber theirs.
#[test]
fn registers_and_stack_survive_switches() {
    fn work(seed: u64) -> (u64, f64) {
        let mut acc = seed;
        let mut f = seed as f64 * 0.5;
        let mut buf = [0u64; 64];
        for i in 0..200u64 {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(i);
            f = f * 1.000001 + (i as f64).sqrt();
            buf[(i % 64) as usize] ^= acc;
            simul_green::yield_now().unwrap();
        }
        (acc ^ buf.iter().fold(0, |x, y| x ^ y), f)
    }
    fn expected(seed: u64) -> (u64, f64) {
        let mut acc = seed;
        let mut f = seed as f64 * 0.5;
        let mut buf = [0u64; 64];
        for i in 0..200u64 {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(i);
            f = f * 1.000001 + (i as f64).sqrt();
            buf[(i % 64) as usize] ^= acc;
        }
        (acc ^ buf.iter().fold(0, |x, y| x ^ y), f)
    }
    for (backend, hub) in virtual_hubs() {
        let results = hub
            .run(|| {
                let hs: Vec<_> =
                    (1..=8).map(|s| simul_green::spawn(move || work(s)).unwrap()).collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
            })
            .unwrap();
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r, expected(i as u64 + 1), "{backend} thread {i}");
        }
    }
}

/// Threads that go deep into recursion before switching keep their frames.
#[test]
fn switch_from_deep_recursion() {
    fn descend(depth: u32) -> u32 {
        if depth == 0 {
            simul_green::yield_now().unwrap();
            return 0;
        }
        let local = [depth; 8];
        descend(depth - 1) + local.iter().sum::<u32>() / 8
    }
    for (backend, hub) in virtual_hubs() {
        let sums = hub
            .run(|| {
                let hs: Vec<_> =
                    (0..4).map(|_| simul_green::spawn(|| descend(500)).unwrap()).collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(sums, [125250; 4], "{backend}");
    }
}

/// The hub is reusable: several runs in a row, and many threads through
/// the stack pool.
#[test]
fn many_threads_and_runs() {
    for (backend, hub) in virtual_hubs() {
        for round in 0..3u64 {
            let total = hub
                .run(|| {
                    let hs: Vec<_> = (0..2000u64)
                        .map(|i| {
                            simul_green::spawn(move || {
                                simul_green::yield_now().unwrap();
                                i
                            })
                            .unwrap()
                        })
                        .collect();
                    hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
                })
                .unwrap();
            assert_eq!(total, 1999 * 2000 / 2, "{backend} round {round}");
        }
    }
}

/// On x86-64 and aarch64 the default backend, which every `Hub` uses
/// unless told otherwise, is the hand-written switch and not glibc's
/// `swapcontext`. Prints it, so scripts/aarch64-qemu.sh can show which
/// switch the emulated run exercised.
#[test]
fn the_default_backend_is_the_assembly_switch() {
    let arch = std::env::consts::ARCH;
    println!("simul-green default backend on {arch}: {:?}", simul_green::Backend::default());
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert!(simul_green::Backend::Asm.is_available(), "{arch}");
        assert_eq!(simul_green::Backend::default(), simul_green::Backend::Asm, "{arch}");
    }
}

/// What [`with_callee_saved`] read back: the callee-saved general
/// registers, then the callee-saved floating-point ones.
type Saved = [u64; CALLEE_SAVED];

#[cfg(target_arch = "aarch64")]
const CALLEE_SAVED: usize = 18; // x19-x28, d8-d15
#[cfg(target_arch = "x86_64")]
const CALLEE_SAVED: usize = 6; // rbx, rbp, r12-r15

/// The values [`with_callee_saved`] loads for `seed`: register `i` gets
/// `seed + i`.
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
fn pattern(seed: u64) -> Saved {
    std::array::from_fn(|i| seed + i as u64)
}

/// Loads every callee-saved register with [`pattern`]`(seed)`, calls `f`
/// (which switches to other green threads), and returns what the
/// registers hold when `f` returns. The compiler chooses which registers
/// a test's values live in, so only assembly can fill all of them and
/// check each one; the caller's values are put back afterwards.
#[cfg(target_arch = "aarch64")]
fn with_callee_saved(seed: u64, f: extern "C" fn()) -> Saved {
    let mut out = [0u64; CALLEE_SAVED];
    // SAFETY: the block saves x19-x28 and d8-d15 on the stack and restores
    // them before it ends, leaves sp as it found it (16-aligned for the
    // call), does not touch x29, and declares the C ABI's clobbers for
    // `blr`. `out` is a live array of CALLEE_SAVED words.
    unsafe {
        core::arch::asm!(
            "sub sp, sp, #160",
            "stp x19, x20, [sp, #0]",
            "stp x21, x22, [sp, #16]",
            "stp x23, x24, [sp, #32]",
            "stp x25, x26, [sp, #48]",
            "stp x27, x28, [sp, #64]",
            "stp d8, d9, [sp, #80]",
            "stp d10, d11, [sp, #96]",
            "stp d12, d13, [sp, #112]",
            "stp d14, d15, [sp, #128]",
            "stp x12, x30, [sp, #144]",
            "add x19, x10, #0",
            "add x20, x10, #1",
            "add x21, x10, #2",
            "add x22, x10, #3",
            "add x23, x10, #4",
            "add x24, x10, #5",
            "add x25, x10, #6",
            "add x26, x10, #7",
            "add x27, x10, #8",
            "add x28, x10, #9",
            "add x9, x10, #10",
            "fmov d8, x9",
            "add x9, x10, #11",
            "fmov d9, x9",
            "add x9, x10, #12",
            "fmov d10, x9",
            "add x9, x10, #13",
            "fmov d11, x9",
            "add x9, x10, #14",
            "fmov d12, x9",
            "add x9, x10, #15",
            "fmov d13, x9",
            "add x9, x10, #16",
            "fmov d14, x9",
            "add x9, x10, #17",
            "fmov d15, x9",
            "blr x11",
            "ldr x9, [sp, #144]",
            "stp x19, x20, [x9, #0]",
            "stp x21, x22, [x9, #16]",
            "stp x23, x24, [x9, #32]",
            "stp x25, x26, [x9, #48]",
            "stp x27, x28, [x9, #64]",
            "stp d8, d9, [x9, #80]",
            "stp d10, d11, [x9, #96]",
            "stp d12, d13, [x9, #112]",
            "stp d14, d15, [x9, #128]",
            "ldp x19, x20, [sp, #0]",
            "ldp x21, x22, [sp, #16]",
            "ldp x23, x24, [sp, #32]",
            "ldp x25, x26, [sp, #48]",
            "ldp x27, x28, [sp, #64]",
            "ldp d8, d9, [sp, #80]",
            "ldp d10, d11, [sp, #96]",
            "ldp d12, d13, [sp, #112]",
            "ldp d14, d15, [sp, #128]",
            "ldr x30, [sp, #152]",
            "add sp, sp, #160",
            in("x10") seed,
            in("x11") f,
            in("x12") out.as_mut_ptr(),
            clobber_abi("C"),
        );
    }
    out
}

#[cfg(target_arch = "x86_64")]
fn with_callee_saved(seed: u64, f: extern "C" fn()) -> Saved {
    let mut out = [0u64; CALLEE_SAVED];
    // SAFETY: the block saves rbx, rbp and r12-r15 on the stack and
    // restores them before it ends, aligns the stack for the call and
    // puts rsp back, and declares the C ABI's clobbers for `call`. `out`
    // is a live array of CALLEE_SAVED words, and the stack has no red
    // zone to disturb because the block starts by moving below it.
    unsafe {
        core::arch::asm!(
            "mov rax, rsp",
            "sub rsp, 128",
            "and rsp, -16",
            "push rax",
            "push rdx",
            "push rbx",
            "push rbp",
            "push r12",
            "push r13",
            "push r14",
            "push r15",
            "lea rbx, [rdi + 0]",
            "lea rbp, [rdi + 1]",
            "lea r12, [rdi + 2]",
            "lea r13, [rdi + 3]",
            "lea r14, [rdi + 4]",
            "lea r15, [rdi + 5]",
            "call rsi",
            "mov rdx, [rsp + 48]",
            "mov [rdx + 0], rbx",
            "mov [rdx + 8], rbp",
            "mov [rdx + 16], r12",
            "mov [rdx + 24], r13",
            "mov [rdx + 32], r14",
            "mov [rdx + 40], r15",
            "pop r15",
            "pop r14",
            "pop r13",
            "pop r12",
            "pop rbp",
            "pop rbx",
            "pop rdx",
            "pop rsp",
            in("rdi") seed,
            in("rsi") f,
            in("rdx") out.as_mut_ptr(),
            clobber_abi("C"),
        );
    }
    out
}

/// Called from inside [`with_callee_saved`]: gives the other threads
/// several turns, each of which fills the registers with its own pattern.
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
extern "C" fn yield_a_few_times() {
    for _ in 0..5 {
        simul_green::yield_now().unwrap();
    }
}

/// Every callee-saved register, integer and floating-point, survives a
/// switch: each thread loads all of them with its own pattern, yields to
/// threads that load theirs, and reads its own back. A switch that forgot
/// one register (or restored it from the wrong slot) shows up here as a
/// value from another thread's pattern.
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
#[test]
fn every_callee_saved_register_survives_a_switch() {
    for (backend, hub) in virtual_hubs() {
        let seeds: Vec<u64> = (1..=4).map(|t| t << 40 | 0x5A5A_0000).collect();
        let got = hub
            .run(|| {
                let hs: Vec<_> = seeds
                    .iter()
                    .map(|&s| {
                        simul_green::spawn(move || with_callee_saved(s, yield_a_few_times)).unwrap()
                    })
                    .collect();
                // Main takes part too: its context is saved by the first
                // switch away from it, not built by `init_stack`.
                let mine = with_callee_saved(0xA5 << 40, yield_a_few_times);
                let theirs: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
                (mine, theirs)
            })
            .unwrap();
        assert_eq!(got.0, pattern(0xA5 << 40), "{backend}: main");
        for (i, (r, &s)) in got.1.iter().zip(&seeds).enumerate() {
            assert_eq!(*r, pattern(s), "{backend}: thread {i}");
        }
    }
}

/// The floating-point control register: FPCR on aarch64, MXCSR on x86-64.
#[cfg(target_arch = "aarch64")]
fn fp_control() -> u64 {
    let v: u64;
    // SAFETY: reading FPCR has no side effect.
    unsafe { core::arch::asm!("mrs {}, fpcr", out(reg) v, options(nomem, nostack)) };
    v
}

#[cfg(target_arch = "aarch64")]
fn set_fp_control(v: u64) {
    // SAFETY: only the rounding-mode bits differ from the default, and no
    // floating-point arithmetic runs while they do.
    unsafe { core::arch::asm!("msr fpcr, {}", in(reg) v, options(nomem, nostack)) };
}

/// FPCR with RMode (bits 23:22) = round toward zero.
#[cfg(target_arch = "aarch64")]
const TOWARD_ZERO: u64 = 0b11 << 22;

#[cfg(target_arch = "x86_64")]
fn fp_control() -> u64 {
    let mut v = 0u32;
    // SAFETY: `stmxcsr` writes the 4 bytes of `v`.
    unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    u64::from(v)
}

#[cfg(target_arch = "x86_64")]
fn set_fp_control(v: u64) {
    let v = v as u32;
    // SAFETY: `ldmxcsr` reads the 4 bytes of `v`; only the rounding-control
    // bits differ from the default, and no SSE arithmetic runs meanwhile.
    unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
}

/// MXCSR with RC (bits 14:13) = round toward zero, all exceptions masked.
#[cfg(target_arch = "x86_64")]
const TOWARD_ZERO: u64 = 0x1F80 | 0b11 << 13;

/// The floating-point rounding mode belongs to the green thread that set
/// it (as `fesetround` would), on every backend: a thread that switches
/// away finds its own mode when it comes back, and the threads that ran
/// meanwhile, main included, keep theirs. (Only threads that have already
/// started: a new thread's first context is made when it starts, and
/// glibc's `getcontext` copies the mode of whichever thread is running
/// then.)
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
#[test]
fn the_fp_rounding_mode_is_per_green_thread() {
    let default = fp_control();
    assert_ne!(default, TOWARD_ZERO, "the test thread starts in the default mode");
    for (backend, hub) in virtual_hubs() {
        let (setter, other, main) = hub
            .run(|| {
                // Runs first, and is suspended while the setter's mode is set.
                let other = simul_green::spawn(|| {
                    simul_green::yield_now().unwrap();
                    fp_control()
                })
                .unwrap();
                let setter = simul_green::spawn(move || {
                    set_fp_control(TOWARD_ZERO);
                    simul_green::yield_now().unwrap();
                    let mine = fp_control();
                    set_fp_control(default);
                    mine
                })
                .unwrap();
                simul_green::yield_now().unwrap();
                let main = fp_control();
                (setter.join().unwrap(), other.join().unwrap(), main)
            })
            .unwrap();
        assert_eq!(setter, TOWARD_ZERO, "{backend}: the setter's own mode");
        assert_eq!(other, default, "{backend}: a thread that resumed while the setter was away");
        assert_eq!(main, default, "{backend}: main, resumed while the setter was away");
        assert_eq!(fp_control(), default, "{backend}: after the run");
    }
}
