//! A green thread that overflows its stack hits the guard page and the
//! process aborts with a clear message, never silent corruption. Run in a
//! child process (this test binary again, with an environment variable).

use std::process::Command;

const CHILD: &str = "SIMUL_GREEN_OVERFLOW_CHILD";

fn child_mode() -> Option<String> {
    std::env::var(CHILD).ok()
}

#[inline(never)]
fn recurse(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 32]);
    if n == u64::MAX { 0 } else { recurse(n + 1).wrapping_add(pad[3]) }
}

/// What the child does, by mode.
fn run_child(mode: &str) {
    let backend = if mode.ends_with("ucontext") {
        simul_green::Backend::Ucontext
    } else {
        simul_green::Backend::Asm
    };
    let hub = simul_green::Hub::builder().backend(backend).stack_size(64 * 1024).build().unwrap();
    hub.run(|| {
        if mode.starts_with("overflow") {
            let h = simul_green::spawn(|| recurse(0)).unwrap();
            let _ = h.join();
        } else {
            // A fault that is not a stack overflow: the default action.
            let h = simul_green::spawn(|| {
                let p = std::hint::black_box(8usize) as *mut u8;
                // SAFETY: deliberately invalid, to provoke SIGSEGV in the child.
                unsafe { p.write_volatile(1) };
            })
            .unwrap();
            let _ = h.join();
        }
    })
    .unwrap();
    eprintln!("child survived (must not happen)");
}

fn spawn_child(mode: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "dispatch", "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .output()
        .unwrap()
}

/// Entry point for the child process; a no-op in the parent.
#[test]
fn dispatch() {
    if let Some(mode) = child_mode() {
        run_child(&mode);
    }
}

#[cfg(unix)]
fn signal_of(status: std::process::ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[test]
fn overflow_is_reported_and_aborts() {
    if child_mode().is_some() {
        return;
    }
    for backend in ["asm", "ucontext"] {
        if backend == "ucontext" && !simul_green::Backend::Ucontext.is_available() {
            continue;
        }
        let out = spawn_child(&format!("overflow-{backend}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            signal_of(out.status),
            Some(6),
            "{backend}: SIGABRT expected; stderr:\n{stderr}"
        );
        assert!(
            stderr.contains("green thread stack overflow: the fault address 0x"),
            "{backend}: {stderr}"
        );
        assert!(stderr.contains("guard page"), "{backend}: {stderr}");
        assert!(!stderr.contains("child survived"), "{backend}: {stderr}");
    }
}

#[test]
fn other_faults_keep_their_default_action() {
    if child_mode().is_some() {
        return;
    }
    let out = spawn_child("null-write-asm");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(signal_of(out.status), Some(11), "SIGSEGV expected; stderr:\n{stderr}");
    assert!(!stderr.contains("green thread stack overflow"), "{stderr}");
}
