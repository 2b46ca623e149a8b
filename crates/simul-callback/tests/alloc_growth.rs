//! Reliability item 29: a counting allocator across reader / call_soon /
//! timer / cancel / threadsafe cycles. Live heap bytes must not grow from
//! one batch of 1,000 cycles to the next: nothing the loop keeps per
//! callback, timer or watched descriptor outlives it.
//!
//! One test function, so no other test allocates while it measures.

mod util;

use std::cell::Cell;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use simul_callback::EventLoop;
use simul_testkit::alloc::{Counting, live};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::virtual_loop;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Batches of 1,000 cycles: 6 by default, 50 with `SIMUL_FULL=1`.
fn batches() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 50 } else { 6 }
}

/// One cycle: a reader on a socket pair that reads one byte and removes
/// itself, a call_soon, a threadsafe call, a timer that fires and one
/// cancelled before it is due; the loop runs until the four have run.
fn cycle(lp: &mut EventLoop, i: usize) {
    let (mut a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let ran = Rc::new(Cell::new(0u32));
    let fd = b.as_raw_fd();
    let (r, mut b) = (ran.clone(), b);
    lp.add_reader(fd, move |lp| {
        let mut byte = [0u8; 1];
        // `b` is std's socket, which hands an interrupted read back
        // (scripts/eintr.sh injects them); the test retries it.
        let n = loop {
            match b.read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r.unwrap(),
            }
        };
        assert_eq!(n, 1);
        assert!(lp.remove_reader(fd));
        r.set(r.get() + 1);
    })
    .unwrap();
    a.write_all(b"x").unwrap();
    let r = ran.clone();
    lp.call_soon(move |_| r.set(r.get() + 1));
    let r = ran.clone();
    lp.call_later(Duration::from_millis(1), move |_| r.set(r.get() + 1));
    let doomed = lp.call_later(Duration::from_millis(2), |_| panic!("a cancelled timer ran"));
    assert!(doomed.cancel(lp));
    let threadsafe_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let t = threadsafe_ran.clone();
    lp.handle().call_soon_threadsafe(move |_| t.store(true, Ordering::Relaxed)).unwrap();
    lp.run_until(|_| ran.get() == 3 && threadsafe_ran.load(Ordering::Relaxed))
        .unwrap_or_else(|e| panic!("cycle {i}: {e}"));
}

#[test]
fn reader_call_soon_timer_and_threadsafe_cycles_do_not_grow_the_heap() {
    let fds = FdSnapshot::take();
    let rounds = batches();
    {
        let mut lp = virtual_loop();
        // Reserved up front: the record itself must not allocate while
        // it measures.
        let mut after = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            for i in 0..1000 {
                cycle(&mut lp, i);
            }
            after.push(live());
        }
        println!("live bytes after each 1,000 cycles: {after:?}");
        // The first batches may still grow buffers to their working size
        // (the ready queue, the timer slab); after that, even one byte
        // kept per cycle would show as 3,000.
        let growth = after[rounds - 1] - after[2];
        let cycles = (rounds - 3) * 1000;
        assert!(growth <= 0, "grew by {growth} bytes over {cycles} cycles: {after:?}");
    }
    assert_no_leaks(&fds);
}
