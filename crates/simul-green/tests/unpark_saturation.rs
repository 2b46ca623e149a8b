//! Reliability item 3 for green threads: millions of unparks with no park
//! in between. Four OS threads unpark main while it is not parked (its
//! hub's OS thread is blocked joining them). They coalesce into one token:
//! one queue entry, hardly any system call (the reactor's notifier is
//! rung once), no heap growth; the next `park` takes the token without a
//! switch, and the one after waits for a later unpark, which still wakes
//! it. Three rounds on one hub, so a saturated round leaves nothing stuck.
//!
//! CI size: 1,000,000 unparks per round. `SIMUL_FULL=1`: 10,000,000
//! (run it with `--release`).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use simul_green::Hub;
use simul_testkit::alloc::{PerThread, live_here};

const OS_THREADS: u64 = 4;
const ROUNDS: usize = 3;

fn unparks_per_round() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000_000 } else { 1_000_000 }
}

#[global_allocator]
static GLOBAL: PerThread = PerThread;

/// Write-like system calls made so far by the calling OS thread (`syscw`
/// in /proc/thread-self/io; an eventfd write is one), if readable.
fn thread_write_syscalls() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("syscw: "))?.trim().parse().ok()
}

#[test]
fn millions_of_unparks_without_a_park_are_one_token_and_later_unparks_still_wake() {
    let total = unparks_per_round();
    let per_thread = total / OS_THREADS;
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let me = simul_green::unparker().unwrap();
        for round in 0..ROUNDS {
            let burst: Vec<_> = (0..OS_THREADS)
                .map(|_| {
                    let u = me.clone();
                    std::thread::spawn(move || {
                        let calls = thread_write_syscalls();
                        let heap = live_here();
                        for _ in 0..per_thread {
                            u.unpark().unwrap();
                        }
                        let grown = live_here() - heap;
                        (grown, calls.zip(thread_write_syscalls()).map(|(b, a)| a - b))
                    })
                })
                .collect();
            // Blocks the hub's OS thread: main is not parked meanwhile.
            let (grown, syscalls): (Vec<isize>, Vec<Option<u64>>) =
                burst.into_iter().map(|t| t.join().unwrap()).unzip();
            let grown: isize = grown.iter().sum();
            println!("round {round}: {syscalls:?} write calls, heap {grown} bytes");
            // The first round may give the queue its first entry's room.
            assert!(grown <= 64, "round {round}: {total} unparks grew the heap by {grown} bytes");
            if let Some(calls) = syscalls.iter().copied().sum::<Option<u64>>() {
                // One notifier write for the burst; a few more if strace
                // injects EINTR into it (scripts/eintr.sh).
                assert!(
                    calls <= 8,
                    "round {round}: {calls} write system calls for {total} unparks"
                );
            }

            // One token: taken at once, without running anyone else.
            let others_ran = Rc::new(Cell::new(false));
            let o = others_ran.clone();
            let other = simul_green::spawn(move || o.set(true)).unwrap();
            simul_green::park().unwrap();
            assert!(!others_ran.get(), "round {round}: park switched although a token waited");
            other.join().unwrap();

            // No second token: the next park waits for a later unpark,
            // which still wakes it.
            let sent = Arc::new(AtomicBool::new(false));
            let later = {
                let (u, sent) = (me.clone(), sent.clone());
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(5));
                    sent.store(true, Ordering::Release);
                    u.unpark().unwrap();
                })
            };
            simul_green::park().unwrap();
            assert!(
                sent.load(Ordering::Acquire),
                "round {round}: the park after the burst returned before the later unpark"
            );
            later.join().unwrap();
        }
    })
    .unwrap();
}
