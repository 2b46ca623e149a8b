//! Ending a run under load: every parked thread is unwound, and every
//! destructor on every green stack runs exactly once.

use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use simul_green::Hub;
use simul_reactor::{Clock, Interest};

/// Counts its drops.
struct Counted(Rc<Cell<u32>>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn ten_thousand_parked_threads_are_unwound_when_run_ends() {
    const N: u32 = 10_000;
    const UNSTARTED: u32 = 100;
    let hub = Hub::builder().clock(Clock::new_virtual()).stack_size(16 * 1024).build().unwrap();
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    hub.run(move || {
        for i in 0..N {
            let guard = Counted(d.clone());
            drop(
                simul_green::spawn(move || {
                    let _guard = guard;
                    match i % 3 {
                        // Waiting on a socket nobody writes to (one in 30,
                        // to stay far below a 1024-descriptor limit).
                        0 if i % 30 == 0 => {
                            let (a, _b) = UnixStream::pair().unwrap();
                            a.set_nonblocking(true).unwrap();
                            let _ = simul_green::wait_fd(a.as_raw_fd(), Interest::READABLE);
                        }
                        // A timer far in the future.
                        0 | 1 => {
                            let _ = simul_green::sleep(Duration::from_secs(86_400));
                        }
                        // Always runnable: yields forever.
                        _ => while simul_green::yield_now().is_ok() {},
                    }
                })
                .unwrap(),
            );
        }
        // Every thread runs once and parks (or yields); none finishes.
        simul_green::yield_now().unwrap();
        // And some that never start before main returns.
        for _ in 0..UNSTARTED {
            let guard = Counted(d.clone());
            drop(simul_green::spawn(move || drop(guard)).unwrap());
        }
    })
    .unwrap();
    assert_eq!(drops.get(), N + UNSTARTED, "each destructor exactly once");
    // The virtual clock did not jump to any of the pending deadlines.
    assert_eq!(hub.now().as_nanos(), 0);
}

/// Green threads parked in `park`: 1,000 by default, the catalogue's
/// 10,000 with `SIMUL_FULL=1`.
fn parked_threads() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000 } else { 1_000 }
}

#[test]
fn run_ends_while_os_threads_keep_unparking_its_parked_threads() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, mpsc};

    // A watchdog instead of a time bound: a teardown that hangs fails the
    // test after two minutes rather than hanging the suite.
    let (finished, watch) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = watch.recv_timeout(Duration::from_secs(120)) {
            eprintln!("teardown under unparks hung for two minutes");
            std::process::abort();
        }
    });

    let n = parked_threads();
    const UNPARKING: usize = 3;
    let hub = Hub::builder().stack_size(16 * 1024).build().unwrap();
    let drops = Rc::new(Cell::new(0));
    let wakes = Rc::new(Cell::new(0u64));
    let unparkers = Arc::new(Mutex::new(Vec::new()));
    let unparked = Arc::new(AtomicU64::new(0));
    // How many unparking threads have had an unpark go through: the run
    // ends only once all have, so each is still unparking when it ends
    // (under valgrind, which runs one thread at a time, one thread alone
    // could otherwise wake everyone before the others start).
    let begun = Arc::new(AtomicU64::new(0));
    let (d, w, u) = (drops.clone(), wakes.clone(), unparkers.clone());
    let (unparked2, begun2) = (unparked.clone(), begun.clone());
    let threads = hub
        .run(move || {
            for _ in 0..n {
                let (guard, w, u) = (Counted(d.clone()), w.clone(), u.clone());
                drop(
                    simul_green::spawn(move || {
                        let _guard = guard;
                        u.lock().unwrap().push(simul_green::unparker().unwrap());
                        // Parks again after every wake-up, until killed.
                        while simul_green::park().is_ok() {
                            w.set(w.get() + 1);
                        }
                    })
                    .unwrap(),
                );
            }
            simul_green::yield_now().unwrap(); // each takes its unparker and parks
            let all = std::mem::take(&mut *u.lock().unwrap());
            assert_eq!(all.len(), n);
            // OS threads unpark every one, round after round, until the
            // hub is gone and their unparks fail (the watchdog bounds it).
            let threads: Vec<_> = (0..UNPARKING)
                .map(|_| {
                    let (all, unparked, begun) = (all.clone(), unparked2.clone(), begun2.clone());
                    std::thread::spawn(move || -> std::io::Result<u64> {
                        let mut ok = 0;
                        loop {
                            for unparker in &all {
                                match unparker.unpark() {
                                    Ok(()) => {
                                        if ok == 0 {
                                            begun.fetch_add(1, Ordering::Relaxed);
                                        }
                                        ok += 1;
                                    }
                                    Err(e) if e.kind() == std::io::ErrorKind::NotConnected => {
                                        unparked.fetch_add(ok, Ordering::Relaxed);
                                        return Ok(ok);
                                    }
                                    Err(e) => return Err(e),
                                }
                            }
                            std::thread::yield_now();
                        }
                    })
                })
                .collect();
            // Let the wake-ups flow until every thread has been woken at
            // least once on average and every unparking thread has begun
            // (the watchdog bounds this), then end the run with them
            // still coming.
            while w.get() < n as u64 || begun2.load(Ordering::Relaxed) < UNPARKING as u64 {
                simul_green::sleep(Duration::from_millis(1)).unwrap();
            }
            threads
        })
        .unwrap();
    // `run` killed every parked thread: each destructor ran once, though
    // the unparks went on.
    assert_eq!(drops.get(), n as u32, "each destructor exactly once");
    assert!(wakes.get() >= n as u64);
    drop(hub); // the unparks now fail with NotConnected, which ends the threads
    for t in threads {
        let ok = t.join().unwrap().unwrap();
        assert!(ok > 0);
    }
    assert_eq!(drops.get(), n as u32);
    assert!(unparked.load(Ordering::Relaxed) >= n as u64);
    drop(finished);
    watchdog.join().unwrap();
}
