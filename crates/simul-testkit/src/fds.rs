//! Counting the process's open file descriptors, so a test can check it
//! ends with as many as it started with.

/// The number of open descriptors (Linux: `/proc/self/fd`; elsewhere
/// `/dev/fd`; 0 where neither can be listed). Listing the directory opens
/// one descriptor of its own, the same in every call, so two counts
/// compare directly.
///
/// ```
/// use simul_testkit::fds::open_fds;
///
/// let before = open_fds();
/// let file = std::fs::File::open("Cargo.toml").unwrap();
/// # if cfg!(target_os = "linux") {
/// assert_eq!(open_fds(), before + 1);
/// # }
/// drop(file);
/// assert_eq!(open_fds(), before);
/// ```
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .or_else(|_| std::fs::read_dir("/dev/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}
