//! What a test reads from its environment: the size to run at, and
//! whether a tracer is attached.

/// Whether the catalogue's full size was asked for (`SIMUL_FULL` is set,
/// to anything): tests run a CI size by default and the full size then.
///
/// ```
/// use simul_testkit::env::full;
///
/// let rounds = if full() { 20 } else { 1 };
/// assert!(rounds >= 1);
/// ```
pub fn full() -> bool {
    std::env::var_os("SIMUL_FULL").is_some()
}

/// Whether a tracer (strace, gdb) is attached to this process: the
/// `TracerPid:` line of `/proc/self/status` is not 0. False where there is
/// no such file (not Linux). Under strace (scripts/eintr.sh) every signal
/// and system call stops the thread for the tracer, so checks that depend
/// on how close together two events are can be skipped then.
///
/// ```
/// use simul_testkit::env::traced;
///
/// if traced() {
///     eprintln!("traced: timing-order checks are skipped");
/// }
/// ```
pub fn traced() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("TracerPid:").map(|v| v.trim() != "0")))
        .unwrap_or(false)
}
