//! Reliability item 29: a counting allocator across spawn / cancel / join
//! / sleep / descriptor-wait cycles of the coroutine scheduler. Live heap
//! bytes must not grow from one batch of 1,000 cycles to the next: task
//! slots, timers and registrations are all given back.
//!
//! One test function, so no other test allocates while it measures.

mod util;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use simul_coro::{CoroutineState::*, JoinError, Reply, Scheduler, TaskId, Trap, from_fn};
use simul_testkit::alloc::{Counting, live};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::{Log, sleeper, virtual_scheduler};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Batches of 1,000 cycles: 6 by default, 50 with `SIMUL_FULL=1`.
fn batches() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 50 } else { 6 }
}

/// Runs one batch as a main task: `cycles` times, spawn a sleeper of an
/// hour and cancel it, spawn a sleeper of a millisecond and join it, then
/// wait for a socket to be readable. Returns how many cycles completed.
fn batch(s: &mut Scheduler<u32>, log: &Log, cycles: u32) -> u32 {
    let log = log.clone();
    let mut done = 0;
    let mut victim: Option<TaskId> = None;
    let mut pair: Option<(UnixStream, UnixStream)> = None;
    s.run(from_fn(move |r: Reply<u32>| {
        let trap = match r {
            Reply::Start | Reply::Io(Ok(())) => {
                drop(pair.take()); // the last cycle's descriptors, closed
                if done == cycles {
                    return Ok(Complete(done));
                }
                Trap::Spawn(Box::new(sleeper(&log, "long", Duration::from_secs(3600), 0)))
            }
            Reply::Spawned(id) if victim.is_none() => {
                victim = Some(id);
                Trap::YieldNow // the sleeper starts and sets its timer
            }
            Reply::Woke => Trap::Cancel(victim.unwrap()),
            Reply::Cancelled(true) => Trap::Join(victim.unwrap()),
            Reply::Joined(Err(JoinError::Cancelled)) => {
                Trap::Spawn(Box::new(sleeper(&log, "short", Duration::from_millis(1), 7)))
            }
            Reply::Spawned(id) => Trap::Join(id),
            Reply::Joined(Ok(7)) => {
                log.take(); // keep the log from growing
                victim = None;
                done += 1;
                let (mut a, b) = UnixStream::pair().unwrap();
                a.write_all(b"x").unwrap();
                let fd = b.as_raw_fd();
                pair = Some((a, b));
                Trap::Readable(fd)
            }
            other => panic!("cycle {done}: unexpected {other:?}"),
        };
        Ok(Yielded(trap))
    }))
    .unwrap()
}

#[test]
fn spawn_cancel_join_sleep_and_wait_cycles_do_not_grow_the_heap() {
    let fds = FdSnapshot::take();
    let rounds = batches();
    {
        let mut s = virtual_scheduler::<u32>();
        let log = Log::default();
        // Reserved up front: the record itself must not allocate while
        // it measures.
        let mut after = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            assert_eq!(batch(&mut s, &log, 1000), 1000);
            after.push(live());
        }
        println!("live bytes after each 1,000 cycles: {after:?}");
        assert_eq!(s.live_tasks(), 0);
        // The first batches may still grow buffers to their working size
        // (the task table, the timer slab); after that, even one byte
        // kept per cycle would show as 3,000.
        let growth = after[rounds - 1] - after[2];
        let cycles = (rounds - 3) * 1000;
        assert!(growth <= 0, "grew by {growth} bytes over {cycles} cycles: {after:?}");
    }
    assert_no_leaks(&fds);
}
