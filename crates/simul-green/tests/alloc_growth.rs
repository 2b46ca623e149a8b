//! Reliability item 29: a counting allocator across spawn / kill / join /
//! sleep / descriptor-wait cycles of green threads, on every backend.
//! Neither live heap bytes nor the number of memory mappings (green
//! stacks are mapped, not allocated) may grow from one batch of 1,000
//! cycles to the next.
//!
//! One test function, so no other test allocates while it measures.

mod util;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::{Clock, Interest};
use simul_testkit::alloc::{Counting, live};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::backends;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many memory mappings this process has (Linux: /proc).
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count()).unwrap_or(0)
}

/// Batches of 1,000 cycles: 6 by default, 50 with `SIMUL_FULL=1`.
fn batches() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 50 } else { 6 }
}

/// One cycle, inside a hub: a thread that sleeps an hour is killed and
/// joined, one that sleeps a millisecond is joined, and the main thread
/// waits for a socket to be readable.
fn cycle(i: usize) {
    let victim = simul_green::spawn(|| simul_green::sleep(Duration::from_secs(3600))).unwrap();
    simul_green::yield_now().unwrap(); // it starts and parks in sleep
    victim.kill().unwrap();
    assert!(matches!(victim.join(), Err(Error::Killed)), "cycle {i}");
    let short = simul_green::spawn(move || {
        simul_green::sleep(Duration::from_millis(1)).unwrap();
        i
    })
    .unwrap();
    assert_eq!(short.join().unwrap(), i);
    let (mut a, b) = UnixStream::pair().unwrap();
    a.write_all(b"x").unwrap();
    simul_green::wait_fd(b.as_raw_fd(), Interest::READABLE).unwrap();
}

#[test]
fn spawn_kill_join_sleep_and_wait_cycles_grow_neither_heap_nor_mappings() {
    let fds = FdSnapshot::take();
    let rounds = batches();
    for (name, backend) in backends() {
        let hub = Hub::builder().backend(backend).clock(Clock::new_virtual()).build().unwrap();
        // Reserved up front: the records themselves must not allocate
        // while they measure.
        let mut heap = Vec::with_capacity(rounds);
        let mut maps = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            hub.run(|| (0..1000).for_each(cycle)).unwrap();
            heap.push(live());
            maps.push(mappings());
        }
        println!("{name}: live bytes after each 1,000 cycles: {heap:?}; mappings: {maps:?}");
        // The first batches may still grow buffers to their working size
        // (the thread table, the timer slab, a cache of stacks); after
        // that, even one byte kept per cycle would show as 3,000.
        let growth = heap[rounds - 1] - heap[2];
        let cycles = (rounds - 3) * 1000;
        assert!(growth <= 0, "{name}: grew by {growth} bytes over {cycles} cycles: {heap:?}");
        assert!(maps[rounds - 1] <= maps[2], "{name}: mappings grew: {maps:?}");
    }
    assert_no_leaks(&fds);
}
