//! Dropping the loop does not wait for running executor jobs, and every
//! worker thread exits afterwards (no leak, no hang).
//!
//! Linux only: threads are counted in /proc/self/task.
#![cfg(target_os = "linux")]

use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use simul_callback::EventLoop;

/// Threads of this process (Linux: entries of /proc/self/task).
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn drop_does_not_wait_and_workers_exit() {
    let baseline = threads();
    let mut lp = EventLoop::new().unwrap();
    lp.set_executor_workers(NonZeroUsize::new(4).unwrap());
    let (release, gate) = mpsc::channel::<()>();
    // One job blocks until released (at most 10 s); three finish at once,
    // leaving their workers idle.
    lp.run_in_executor(move || gate.recv_timeout(Duration::from_secs(10)).is_ok(), |_, _| {})
        .unwrap();
    let done = std::rc::Rc::new(std::cell::Cell::new(0));
    for _ in 0..3 {
        let d = done.clone();
        lp.run_in_executor(|| (), move |_, _| d.set(d.get() + 1)).unwrap();
    }
    let d = done.clone();
    lp.run_until(move |_| d.get() == 3).unwrap();
    assert!(threads() > baseline);

    let start = Instant::now();
    drop(lp);
    // Wide margin: had drop waited for the blocked job it would take 10 s.
    assert!(start.elapsed() < Duration::from_secs(5), "drop waited for a running job");

    release.send(()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while threads() > baseline && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads(), baseline, "every worker exited");
}
