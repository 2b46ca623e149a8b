//! CPU time used so far, in clock ticks (usually 10 ms each), for the
//! tests that show a loop sleeps instead of spinning: a wait that burns
//! as many ticks as the wall clock lets pass is a spin.

/// User plus system time of the calling OS thread, from
/// `/proc/thread-self/stat`; `None` where that does not exist (not Linux).
///
/// ```
/// let before = simul_testkit::cpu::thread_cpu_ticks();
/// std::thread::sleep(std::time::Duration::from_millis(20));
/// # if cfg!(target_os = "linux") {
/// // Sleeping costs (next to) no CPU.
/// assert!(simul_testkit::cpu::thread_cpu_ticks().unwrap() - before.unwrap() <= 1);
/// # }
/// ```
pub fn thread_cpu_ticks() -> Option<u64> {
    ticks_from("/proc/thread-self/stat")
}

/// User plus system time of the whole process, from `/proc/self/stat`;
/// `None` where that does not exist.
///
/// ```
/// # if cfg!(target_os = "linux") {
/// assert!(simul_testkit::cpu::process_cpu_ticks().is_some());
/// # }
/// ```
pub fn process_cpu_ticks() -> Option<u64> {
    ticks_from("/proc/self/stat")
}

/// Reads utime + stime from a `stat` file.
fn ticks_from(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The fields after the command name (in parentheses, and it may hold
    // spaces): utime and stime are the 12th and 13th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split(' ').collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}
