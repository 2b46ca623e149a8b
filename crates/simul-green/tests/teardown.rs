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
