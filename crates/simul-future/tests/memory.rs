//! Memory: bytes per sleeping task, and no growth over spawn / abort /
//! timer cycles, measured with a counting allocator.

use std::time::Duration;

use simul_future::{Runtime, sleep, spawn, yield_now};
use simul_reactor::Clock;
use simul_testkit::alloc::{Counting, live};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Lets the loop go idle once, which returns cached task memory.
fn settle(rt: &mut Runtime) {
    rt.block_on(sleep(Duration::from_millis(1))).unwrap();
}

/// One test function, so no other test allocates meanwhile.
#[test]
fn bytes_per_sleeping_task_and_no_growth_per_cycle() {
    const N: isize = 100_000;
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    // A fresh runtime: every structure grows from empty, so its share of
    // the run queue, task list and timer queue is counted too.
    let per_sleeper = rt
        .block_on(async {
            let base = live();
            let handles: Vec<_> =
                (0..N as u64).map(|i| spawn(sleep(Duration::from_millis(1 + i % 100)))).collect();
            yield_now().await; // every task asleep now
            let per_task = (live() - base) / N;
            for h in handles {
                h.await.unwrap();
            }
            per_task
        })
        .unwrap();
    // Everything a sleeping task costs: its task (header and future), its
    // timer entry, its JoinHandle and queue slots. The crate's target is
    // half of tokio's 464 B (RSS per sleeping task, bench_report): the
    // count here is exact, so it guards the layout that meets it (217 B
    // with a 72-byte header and a 48-byte Sleep).
    println!("bytes per sleeping task: {per_sleeper}");
    assert!(per_sleeper <= 232, "{per_sleeper} bytes per sleeping task: over half of tokio's");

    // Spawn / abort / timer cycles: memory returns to where it was.
    let cycles = |rt: &mut Runtime| {
        rt.block_on(async {
            for _ in 0..1000 {
                let h = spawn(sleep(Duration::from_secs(1)));
                yield_now().await;
                h.abort();
                let _ = h.await;
            }
        })
        .unwrap();
        settle(rt);
    };
    let mut after = Vec::new();
    for _ in 0..6 {
        cycles(&mut rt);
        after.push(live());
    }
    println!("live bytes after each 1,000 cycles: {after:?}");
    // Buffers may still double now and then (bounded capacity: the
    // cache's list of free cells); a leak of even one byte per cycle
    // would show as 3,000 or more.
    let growth = after[5] - after[2];
    assert!(growth < 1024, "grew by {growth} bytes over 3,000 cycles");
}
