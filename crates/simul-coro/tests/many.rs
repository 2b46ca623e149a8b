//! 100k coroutines: all run, in the right order, with exact times.

mod util;

use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, Scheduler, Task, TaskId, TraceKind, Trap, from_fn};
use simul_reactor::Instant;
use util::virtual_scheduler;

const N: u64 = 100_000;

/// Sleeps `i % 1000` ms, then returns `i`.
fn napper(i: u64) -> Task<u64> {
    Box::new(from_fn(move |r: Reply<u64>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_millis(i % 1000)))),
        _ => Ok(Complete(i)),
    }))
}

#[test]
fn a_hundred_thousand_sleepers_wake_in_deadline_order_at_exact_times() {
    let mut s: Scheduler<u64> = virtual_scheduler();
    s.record_trace(true);
    let ids: Vec<TaskId> = (0..N).map(|i| s.spawn(napper(i))).collect();
    s.run_all().unwrap();
    assert_eq!(s.live_tasks(), 0);
    assert_eq!(s.now(), Instant::ZERO + Duration::from_millis(999));

    // Completion order: by deadline, ties in spawn order.
    let completed: Vec<(Instant, TaskId)> = s
        .trace()
        .iter()
        .filter(|e| e.kind == TraceKind::Completed)
        .map(|e| (e.at, e.task))
        .collect();
    let mut expected: Vec<(Instant, TaskId)> = (0..N)
        .map(|i| (Instant::ZERO + Duration::from_millis(i % 1000), ids[i as usize]))
        .collect();
    expected.sort_by_key(|(at, _)| *at); // stable: ties stay in spawn order
    assert_eq!(completed.len(), expected.len());
    assert!(completed == expected, "completion order or times differ");

    let sum: u64 = ids.iter().map(|id| s.take_result(*id).unwrap().unwrap()).sum();
    assert_eq!(sum, N * (N - 1) / 2);
}

#[test]
fn spawn_and_join_a_hundred_thousand_from_one_main_task() {
    let mut s: Scheduler<u64> = virtual_scheduler();
    let mut next = 0;
    let mut ids = Vec::new();
    let mut sum = 0;
    let total = s
        .run(from_fn(move |r: Reply<u64>| {
            match r {
                Reply::Spawned(id) => ids.push(id),
                Reply::Joined(res) => sum += res.unwrap(),
                _ => {}
            }
            if next < N {
                next += 1;
                return Ok(Yielded(Trap::Spawn(napper(next - 1))));
            }
            match ids.pop() {
                Some(id) => Ok(Yielded(Trap::Join(id))),
                None => Ok(Complete(sum)),
            }
        }))
        .unwrap();
    assert_eq!(total, N * (N - 1) / 2);
    assert_eq!(s.live_tasks(), 0);
    assert_eq!(s.now(), Instant::ZERO + Duration::from_millis(999));
}
