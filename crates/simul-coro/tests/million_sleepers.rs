//! Reliability item 19 for coroutines: a million sleeping tasks. All of
//! them finish at their deadlines on the virtual clock, every result is
//! taken, and a second burst leaves the heap exactly where the first left
//! it (the scheduler keeps its tables at their working size, and nothing
//! per task).
//!
//! CI size: 100,000 tasks. `SIMUL_FULL=1`: 1,000,000 (run it with
//! `--release`). One test function: the allocator count is process-wide.

mod util;

use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, Scheduler, Task, TaskId, Trap, from_fn};
use simul_testkit::alloc::{Counting, live};
use util::virtual_scheduler;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn tasks() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 1_000_000 } else { 100_000 }
}

/// Sleeps `1 + i % 1000` ms, then returns the time it woke at (ms).
fn napper(i: u64) -> Task<u64> {
    let mut start = None;
    Box::new(from_fn(move |r: Reply<u64>| match r {
        Reply::Start => Ok(Yielded(Trap::Now)),
        Reply::Now(t) if start.is_none() => {
            start = Some(t);
            Ok(Yielded(Trap::Sleep(Duration::from_millis(1 + i % 1000))))
        }
        Reply::Woke => Ok(Yielded(Trap::Now)),
        Reply::Now(t) => Ok(Complete((t - start.unwrap()).as_millis() as u64)),
        other => panic!("unexpected {other:?}"),
    }))
}

/// Spawns `n` nappers, runs them all, checks every result; returns the
/// live bytes once all were spawned (before they run and set timers).
fn burst(s: &mut Scheduler<u64>, n: u64) -> isize {
    let ids: Vec<TaskId> = (0..n).map(|i| s.spawn(napper(i))).collect();
    let peak = live();
    s.run_all().unwrap();
    assert_eq!(s.live_tasks(), 0);
    for (i, id) in ids.into_iter().enumerate() {
        // Each woke exactly at its deadline, never early.
        assert_eq!(s.take_result(id).unwrap().unwrap(), 1 + i as u64 % 1000);
    }
    peak
}

#[test]
fn a_million_sleepers_all_finish_and_memory_returns_to_baseline() {
    let n = tasks();
    let mut s: Scheduler<u64> = virtual_scheduler();
    let empty = live();
    burst(&mut s, n);
    let baseline = live();
    let spawned = burst(&mut s, n);
    let after = live();
    // Spawned tasks, on top of the capacity the first burst left.
    let per_task = (spawned - baseline) / n as isize;
    let kept = (baseline - empty) / n as isize;
    println!(
        "{n} sleepers: {per_task} bytes per spawned task; {kept} bytes per task of capacity \
         kept after the first burst; {} bytes more after the second",
        after - baseline
    );
    assert!(per_task >= 32, "the tasks were not all alive at once");
    assert!(after <= baseline, "{} bytes left behind by {n} tasks", after - baseline);
}
