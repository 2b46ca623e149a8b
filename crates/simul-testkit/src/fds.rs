//! The process's open file descriptors, so a test can check it ends with
//! the descriptors it started with.
//!
//! Counting `/proc/self/fd` alone is not a reliable leak check in a test
//! binary: other threads open and close descriptors of their own at any
//! moment. glibc reads `/proc/sys/vm/overcommit_memory` while a thread that
//! has just finished (the previous test's, say) gives its malloc arena
//! back, and std reads cgroup files under `/sys` and `/proc` to size
//! thread pools. Such a descriptor caught open in the "before" count and
//! closed by the "after" one reads as a descriptor the test closed; caught
//! the other way round, as a leak. So a [`FdSnapshot`] records what each
//! descriptor refers to, leaves out the runtime-foreign files under
//! `/proc` and `/sys` (simul never opens any of them for longer than a
//! call), and [`assert_no_leaks`] compares two snapshots entry by entry,
//! waiting a bounded time for descriptors that other threads are still
//! closing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long [`assert_no_leaks`] waits for the descriptors to match: long
/// enough for threads that are exiting (a worker pool's, a peer's) to
/// close theirs on a loaded machine; a real leak never goes away.
const SETTLE: Duration = Duration::from_secs(5);

/// The open descriptors at one moment: number and what it refers to
/// (`socket:[1234]`, `anon_inode:[eventpoll]`, `pipe:[99]`, a path).
///
/// On Linux the list is `/proc/self/fd`, and entries that point under
/// `/proc` or `/sys` (including the listing's own descriptor) or that
/// closed while being listed are left out. Elsewhere it is `/dev/fd` with
/// numbers only; where neither can be listed it is empty.
///
/// ```
/// use simul_testkit::fds::FdSnapshot;
///
/// let before = FdSnapshot::take();
/// let file = std::fs::File::open("Cargo.toml").unwrap();
/// let during = FdSnapshot::take();
/// # if cfg!(target_os = "linux") {
/// assert_eq!(during.len(), before.len() + 1);
/// assert!(during.opened_since(&before)[0].ends_with("Cargo.toml"));
/// # }
/// drop(file);
/// assert!(FdSnapshot::take().opened_since(&before).is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdSnapshot(BTreeMap<i32, String>);

impl FdSnapshot {
    /// Lists the descriptors open now.
    pub fn take() -> FdSnapshot {
        let mut fds = BTreeMap::new();
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            for entry in dir.flatten() {
                let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                    continue;
                };
                // A descriptor closed since the directory was read has no
                // target any more: it is not open.
                let Ok(target) = std::fs::read_link(entry.path()) else { continue };
                let target = target.to_string_lossy().into_owned();
                if target.starts_with("/proc/") || target.starts_with("/sys/") {
                    continue;
                }
                fds.insert(fd, target);
            }
        } else if let Ok(dir) = std::fs::read_dir("/dev/fd") {
            for entry in dir.flatten() {
                if let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                    fds.insert(fd, String::new());
                }
            }
        }
        FdSnapshot(fds)
    }

    /// How many descriptors are listed.
    ///
    /// ```
    /// # use simul_testkit::fds::FdSnapshot;
    /// // Standard input, output and error are open in a test.
    /// # if cfg!(target_os = "linux") {
    /// assert!(FdSnapshot::take().len() >= 3);
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is listed (only where descriptors cannot be listed).
    ///
    /// ```
    /// # use simul_testkit::fds::FdSnapshot;
    /// # if cfg!(target_os = "linux") {
    /// assert!(!FdSnapshot::take().is_empty());
    /// # }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries open here and not in `earlier`, as `fd -> target`.
    ///
    /// ```
    /// # use simul_testkit::fds::FdSnapshot;
    /// let s = FdSnapshot::take();
    /// assert!(s.opened_since(&s).is_empty());
    /// ```
    pub fn opened_since(&self, earlier: &FdSnapshot) -> Vec<String> {
        self.0
            .iter()
            .filter(|(fd, target)| earlier.0.get(fd) != Some(target))
            .map(|(fd, target)| format!("{fd} -> {target}"))
            .collect()
    }
}

/// Asserts that the descriptors open now are those of `before`: none
/// opened and left open (a leak), none of the earlier ones closed (a
/// close of somebody else's descriptor). Waits up to a few seconds for
/// the two to match, since threads the test has finished with may still
/// be closing theirs; panics listing both differences if they never do.
///
/// ```
/// use simul_testkit::fds::{assert_no_leaks, FdSnapshot};
///
/// let before = FdSnapshot::take();
/// let file = std::fs::File::open("Cargo.toml").unwrap();
/// drop(file);
/// assert_no_leaks(&before);
/// ```
#[track_caller]
pub fn assert_no_leaks(before: &FdSnapshot) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = FdSnapshot::take();
        if now == *before {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "descriptors leaked: opened and still open {:?}; closed {:?}",
                now.opened_since(before),
                before.opened_since(&now)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The number of open descriptors, as [`FdSnapshot::len`] counts them, for
/// tests that check a count in the middle of a run (one more while a
/// socket is open, say). For the end-of-test leak check, use
/// [`assert_no_leaks`].
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
    FdSnapshot::take().len()
}
