//! Reliability item 29: a counting allocator across register / spawn /
//! abort / timer cycles of the future runtime. Live heap bytes must not
//! grow from one batch of 1,000 cycles to the next: task cells, timer
//! entries and descriptor registrations are all given back.
//!
//! One test function, so no other test allocates while it measures.

use std::time::Duration;

use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, UnixStream, sleep, spawn, yield_now};
use simul_reactor::Clock;
use simul_testkit::alloc::{Counting, live};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Batches of 1,000 cycles: 6 by default, 50 with `SIMUL_FULL=1`.
fn batches() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 50 } else { 6 }
}

/// One batch: `cycles` times, register a socket pair and read a byte
/// through it (the reader parks on the descriptor first), drop it; spawn
/// a sleeper of an hour and abort it; spawn a sleeper of a millisecond
/// and join it. Returns how many cycles completed.
fn batch(rt: &mut Runtime, cycles: u32) -> u32 {
    rt.block_on(async move {
        let mut done = 0;
        for _ in 0..cycles {
            // Register, wait for readiness, read, deregister.
            let (mut a, mut b) = UnixStream::pair().unwrap();
            let reader = spawn(async move {
                let mut byte = [0u8; 1];
                b.read_exact(&mut byte).await.unwrap();
                byte[0]
            });
            yield_now().await; // the reader parks: nothing to read yet
            a.write_all(b"x").await.unwrap();
            assert_eq!(reader.await.unwrap(), b'x');
            drop(a);

            // Spawn and abort a task holding a queued timer.
            let long = spawn(sleep(Duration::from_secs(3600)));
            yield_now().await; // its timer is queued
            long.abort();
            assert!(long.await.unwrap_err().is_cancelled());

            // Spawn and join a task whose timer fires.
            let short = spawn(async {
                sleep(Duration::from_millis(1)).await;
                7
            });
            assert_eq!(short.await.unwrap(), 7);
            done += 1;
        }
        done
    })
    .unwrap()
}

#[test]
fn register_spawn_abort_and_timer_cycles_do_not_grow_the_heap() {
    let fds = FdSnapshot::take();
    let rounds = batches();
    {
        let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
        // Reserved up front: the record itself must not allocate while it
        // measures.
        let mut after = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            assert_eq!(batch(&mut rt, 1000), 1000);
            after.push(live());
        }
        println!("live bytes after each 1,000 cycles: {after:?}");
        // The first batches may still grow buffers to their working size
        // (the task table, the timer slab, the registration table); after
        // that, even one byte kept per cycle would show as 3,000.
        let growth = after[rounds - 1] - after[2];
        let cycles = (rounds - 3) * 1000;
        assert!(growth <= 0, "grew by {growth} bytes over {cycles} cycles: {after:?}");
    }
    assert_no_leaks(&fds);
}
