//! Reliability item 19 for green threads: many sleeping green threads all
//! finish, and memory returns to its baseline once they have. Bursts on
//! one hub (a warm-up, then two measured): every sleeper wakes at exactly its deadline on the virtual
//! clock and returns its number; while they sleep, the process has a
//! stack mapping and guard page per sleeper; after each burst the
//! resident set (/proc/self/statm), the mapping count (/proc/self/maps)
//! and the live heap (a counting allocator) fall back, and after the
//! second measured burst none of them is higher than after the first:
//! nothing per thread is kept. What stays is capacity, not threads: the
//! hub's thread table at its high-water size and a pool of 64 stacks.
//!
//! Size: each sleeping green thread holds a stack, two memory mappings,
//! and Linux allows `vm.max_map_count` (65,530 by default) per process,
//! so the catalogue's 1M (or even 100k) are out of reach by default. CI:
//! 10,000 sleepers. `SIMUL_FULL=1`: as many as the map limit read from
//! /proc/sys/vm/max_map_count leaves room for, at most 1,000,000 (about
//! 31,000 by default; run it with `--release`). One test function: the
//! counts are process-wide.

use std::time::Duration;

use simul_green::Hub;
use simul_reactor::{Clock, Instant};
use simul_testkit::alloc::{Counting, live};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Stack bytes per green thread.
const STACK: usize = 16 * 1024;

/// How many sleepers: see the module docs.
fn sleepers() -> usize {
    if std::env::var_os("SIMUL_FULL").is_none() {
        return 10_000;
    }
    let limit: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530);
    // Two mappings per stack; room left for the test harness's threads
    // and the allocator's own mappings.
    let room = limit.saturating_sub(mappings() + 2_000) / 2;
    (room.min(1_000_000) / 1_000 * 1_000).max(1_000)
}

/// Memory as the kernel sees it, and the heap as the allocator does.
#[derive(Clone, Copy, Debug)]
struct Memory {
    /// Resident pages (/proc/self/statm, second field).
    resident: usize,
    /// Lines of /proc/self/maps.
    mappings: usize,
    /// Live heap bytes.
    heap: isize,
}

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count()).unwrap()
}

fn memory() -> Memory {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let resident = statm.split(' ').nth(1).unwrap().parse().unwrap();
    Memory { resident, mappings: mappings(), heap: live() }
}

/// Runs `n` sleepers of 1 to 1,000 ms in `hub`; each must wake at exactly
/// its deadline. Returns memory while all sleep and once all have ended.
fn burst(hub: &Hub, n: usize) -> (Memory, Memory) {
    let (sum, asleep) = hub
        .run(move || {
            let start = simul_green::now().unwrap();
            let handles: Vec<_> = (0..n as u64)
                .map(|i| {
                    simul_green::spawn(move || {
                        let d = Duration::from_millis(1 + i % 1_000);
                        simul_green::sleep(d).unwrap();
                        assert_eq!(simul_green::now().unwrap() - start, d, "sleeper {i}");
                        i
                    })
                    .unwrap()
                })
                .collect();
            simul_green::yield_now().unwrap(); // every sleeper is asleep now
            let asleep = memory();
            let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            (sum, asleep)
        })
        .unwrap();
    let n = n as u64;
    assert_eq!(sum, n * (n - 1) / 2, "every sleeper returned its number");
    (asleep, memory())
}

#[test]
fn sleeping_green_threads_all_finish_and_memory_returns_to_baseline() {
    let n = sleepers();
    let hub = Hub::builder().clock(Clock::new_virtual()).stack_size(STACK).build().unwrap();
    hub.run(|| simul_green::sleep(Duration::from_millis(1))).unwrap().unwrap();
    let empty = memory();
    // A first burst grows the hub's tables to their working size and
    // lets the allocator settle where it places them.
    let (warm_asleep, warm_after) = burst(&hub, n);
    assert_eq!(hub.now(), Instant::ZERO + Duration::from_millis(1_001));
    let (first_asleep, first_after) = burst(&hub, n);
    let (second_asleep, second_after) = burst(&hub, n);
    assert_eq!(hub.now(), Instant::ZERO + Duration::from_millis(3_001));
    println!("{n} sleepers: before {empty:?}");
    println!("warm-up burst: asleep {warm_asleep:?}, after {warm_after:?}");
    println!("first burst: asleep {first_asleep:?}, after {first_after:?}");
    println!("second burst: asleep {second_asleep:?}, after {second_after:?}");

    // They were all alive at once: a stack and a guard page each.
    assert!(first_asleep.mappings >= empty.mappings + 2 * n, "not all asleep at once");
    // Each stack was touched: at least a page resident per sleeper.
    assert!(first_asleep.resident >= empty.resident + n, "stacks not resident while asleep");
    for (burst, asleep, after) in [
        ("warm-up", warm_asleep, warm_after),
        ("first", first_asleep, first_after),
        ("second", second_asleep, second_after),
    ] {
        // Stacks are unmapped when their threads end, but for the hub's
        // small pool of reusable ones (64, two mappings each).
        assert!(
            after.mappings <= empty.mappings + 2 * 64 + 16,
            "{burst} burst: {} mappings after, {} before",
            after.mappings,
            empty.mappings
        );
        // Most of what the sleepers held is given back to the kernel.
        let held = asleep.resident - empty.resident;
        let kept = after.resident.saturating_sub(empty.resident);
        assert!(kept < held / 4, "{burst} burst: {kept} of {held} resident pages kept");
    }
    // The second burst leaves nothing more behind than the first.
    // Mappings exactly; the heap within 4 KiB, for anything the test
    // harness's own thread might allocate meanwhile (a byte kept per
    // sleeper would show as 10,000 or more); resident pages with a slack
    // of one page per hundred sleepers for where the allocator's free
    // chunks fall (a page kept per sleeper would be a hundred times that).
    assert!(second_after.mappings <= first_after.mappings, "mappings grew over a burst");
    let heap_growth = second_after.heap - first_after.heap;
    assert!(heap_growth <= 4096, "the heap grew by {heap_growth} bytes over a burst");
    assert!(
        second_after.resident <= first_after.resident + n / 100,
        "resident pages grew over a burst: {} then {}",
        first_after.resident,
        second_after.resident
    );
}
