//! Reliability item 19 for the future style: a million sleeping tasks.
//! All of them finish, at exactly their deadlines' order on the virtual
//! clock, and the heap returns to where it was before they were spawned
//! (once the runtime has been idle, which gives cached task memory back).
//!
//! CI size: 100,000 tasks. `SIMUL_FULL=1`: 1,000,000 (run it with
//! `--release`). One test function: the allocator count is process-wide.

use std::time::Duration;

use simul_future::{Runtime, now, sleep, spawn};
use simul_reactor::{Clock, Instant};
use simul_testkit::alloc::{Counting, live};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn tasks() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 1_000_000 } else { 100_000 }
}

/// Spawns `n` sleepers (1 to 1,000 ms), checks each wakes exactly at its
/// deadline and all results come back; returns the live bytes while all
/// were asleep.
fn burst(rt: &mut Runtime, n: u64) -> isize {
    let (sum, peak) = rt
        .block_on(async move {
            let start = now();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    spawn(async move {
                        sleep(Duration::from_millis(1 + i % 1000)).await;
                        // Woken at its deadline exactly, never early.
                        assert_eq!(now() - start, Duration::from_millis(1 + i % 1000));
                        i
                    })
                })
                .collect();
            simul_future::yield_now().await; // all asleep now
            let peak = live();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            (sum, peak)
        })
        .unwrap();
    assert_eq!(sum, n * (n - 1) / 2);
    // Idle once, which returns the task cache to the allocator.
    rt.block_on(sleep(Duration::from_millis(1))).unwrap();
    peak
}

#[test]
fn a_million_sleepers_all_finish_and_memory_returns_to_baseline() {
    let n = tasks();
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    rt.block_on(sleep(Duration::from_millis(1))).unwrap();
    let empty = live();
    let first_peak = burst(&mut rt, n);
    // The warm-up's 1 ms, the longest sleep's 1,000 ms, the idle 1 ms.
    let t = rt.block_on(async { now() }).unwrap();
    assert_eq!(t, Instant::ZERO + Duration::from_millis(1002));
    // What the runtime keeps after a burst: its queues and tables at the
    // size the burst needed (capacity, not tasks: the next burst reuses
    // it, which the second measurement checks).
    let baseline = live();
    let second_peak = burst(&mut rt, n);
    let after = live();
    let per_task = (first_peak - empty) / n as isize;
    let kept = (baseline - empty) / n as isize;
    println!(
        "{n} sleepers: {per_task} bytes each while asleep; {kept} bytes per task of capacity \
         kept after the first burst; {} bytes more after the second",
        after - baseline
    );
    assert!(per_task >= 64, "the sleepers were not all alive at once");
    // The second burst reuses the kept capacity (up to a few KiB of
    // buffers that happened to double in a different place).
    let more = second_peak - first_peak;
    assert!(more < 64 * 1024, "the second burst needed {more} bytes more than the first");
    // Back to the baseline: nothing per task is left behind.
    assert!(after <= baseline, "{} bytes left behind by {n} tasks", after - baseline);
}
