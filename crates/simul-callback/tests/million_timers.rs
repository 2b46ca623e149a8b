//! Reliability item 19 for the callback style: a million pending timers
//! (`call_later`, the callback loop's sleeping tasks). All of them fire,
//! each at exactly its deadline on the virtual clock, and the heap
//! returns to its baseline: after a first burst the loop keeps its
//! queues' capacity, and a second burst of the same size needs no more
//! than the first and leaves nothing behind. The bytes each pending timer
//! costs are printed.
//!
//! CI size: 100,000 timers. `SIMUL_FULL=1`: 1,000,000 (run it with
//! `--release`). One test function: the allocator count is process-wide.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::EventLoop;
use simul_reactor::{Clock, Instant};
use simul_testkit::alloc::{Counting, live};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn timers() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 1_000_000 } else { 100_000 }
}

/// Schedules `n` timers (1 to 1,000 ms), checks each fires exactly at its
/// deadline, and runs until all have; returns the live bytes while all
/// were pending.
fn burst(lp: &mut EventLoop, n: u64) -> isize {
    let start = lp.time();
    let fired = Rc::new(Cell::new(0u64));
    let sum = Rc::new(Cell::new(0u64));
    for i in 0..n {
        let (fired, sum) = (fired.clone(), sum.clone());
        let delay = Duration::from_millis(1 + i % 1000);
        lp.call_later(delay, move |lp| {
            // At its deadline exactly, never early.
            assert_eq!(lp.time() - start, delay, "timer {i}");
            fired.set(fired.get() + 1);
            sum.set(sum.get() + i);
        });
    }
    let peak = live();
    lp.run_until(|_| fired.get() == n).unwrap();
    assert_eq!(sum.get(), n * (n - 1) / 2, "each timer fired once");
    assert_eq!(lp.time() - start, Duration::from_millis(1000), "the last deadline");
    peak
}

#[test]
fn a_million_timers_all_fire_and_memory_returns_to_baseline() {
    let n = timers();
    let mut lp = EventLoop::with_clock(Clock::new_virtual()).unwrap();
    // Warm up: the loop's first iteration allocates its event buffer.
    lp.call_later(Duration::from_millis(1), |lp| lp.stop());
    lp.run_forever().unwrap();
    let empty = live();
    let first_peak = burst(&mut lp, n);
    assert_eq!(lp.time(), Instant::ZERO + Duration::from_millis(1001));
    // What the loop keeps after a burst: its timer queue, timer slots and
    // ready queue at the size the burst needed (capacity, not timers: the
    // next burst reuses it, which the second measurement checks).
    let baseline = live();
    let second_peak = burst(&mut lp, n);
    let after = live();
    let per_timer = (first_peak - empty) / n as isize;
    let kept = (baseline - empty) / n as isize;
    println!(
        "{n} timers: {per_timer} bytes each while pending; {kept} bytes per timer of capacity \
         kept after the first burst; {} bytes more after the second",
        after - baseline
    );
    assert!(per_timer >= 40, "the timers were not all pending at once");
    // The second burst reuses the kept capacity: it adds no more than the
    // first did (less: only the callbacks themselves).
    let (first, second) = (first_peak - empty, second_peak - baseline);
    println!("the first burst added {first} bytes, the second {second}");
    assert!(second <= first, "the second burst needed {second} bytes, the first {first}");
    // Back to the baseline: nothing per timer is left behind.
    assert!(after <= baseline, "{} bytes left behind by {n} timers", after - baseline);
}
