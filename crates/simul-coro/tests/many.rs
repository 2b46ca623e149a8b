//! 100k coroutines: all run, in the right order, with exact times; and
//! 100k sleepers of which half are cancelled, some from inside other
//! sleepers' wake-ups: exactly the others complete, in order, on time.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    CoroutineState::*, JoinError, Reply, Scheduler, Task, TaskId, TraceKind, Trap, from_fn,
};
use simul_reactor::Instant;
use util::{DropCounter, virtual_scheduler};

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

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Reliability item 7 for coroutines (which have `Trap::Cancel` but no
/// reset of a pending sleep): 100k sleepers with random deadlines of 1 ms
/// to 1 s, many sharing one; half are cancelled, a quarter of all by a
/// task at time 0 and a quarter from inside the wake-ups of earlier
/// sleepers, each of those while its victim still sleeps. Some victims
/// sleep past every survivor. Exactly the survivors complete, in deadline
/// order (ties in the order they went to sleep), each at its exact
/// deadline; every cancel answers `true`; every coroutine is dropped
/// once; the clock stops at the last survivor's deadline, not at a
/// cancelled later one.
#[test]
fn a_hundred_thousand_sleepers_half_cancelled_some_from_wake_ups_exactly_the_rest_fire_in_order() {
    let n = N as usize;
    let mut rng = Lcg(7);
    let deadlines: Vec<u64> = (0..n).map(|_| 1 + rng.below(1000)).collect();
    // Every other sleeper is a victim; the late ones sleep past them all.
    let victim = |i: usize| i % 2 == 1;
    let deadlines: Vec<u64> = deadlines
        .iter()
        .enumerate()
        .map(|(i, &d)| if victim(i) && i % 50 == 1 { 5_000 } else { d })
        .collect();

    let mut s: Scheduler<u64> = virtual_scheduler();
    s.record_trace(true);
    let drops = Rc::new(RefCell::new(0));
    // Per sleeper, the victims it cancels when it wakes; filled once every id is known.
    let plan: Rc<RefCell<Vec<Vec<TaskId>>>> = Rc::new(RefCell::new(vec![Vec::new(); n]));
    let cancelled = Rc::new(Cell::new(0usize));
    let ids: Vec<TaskId> = (0..n)
        .map(|i| {
            let d = Duration::from_millis(deadlines[i]);
            let (plan, cancelled) = (plan.clone(), cancelled.clone());
            let guard = DropCounter(drops.clone());
            let mut todo: Vec<TaskId> = Vec::new();
            s.spawn(from_fn(move |r: Reply<u64>| {
                let _keep = &guard;
                match r {
                    Reply::Start => return Ok(Yielded(Trap::Sleep(d))),
                    Reply::Woke => todo = std::mem::take(&mut plan.borrow_mut()[i]),
                    Reply::Cancelled(true) => cancelled.set(cancelled.get() + 1),
                    other => panic!("sleeper {i}: unexpected {other:?}"),
                }
                Ok(match todo.pop() {
                    Some(v) => Yielded(Trap::Cancel(v)),
                    None => Complete(i as u64),
                })
            }))
        })
        .collect();

    // Survivors by deadline, to find a canceller that wakes before its victim.
    let mut survivors: Vec<usize> = (0..n).filter(|&i| !victim(i)).collect();
    survivors.sort_by_key(|&i| deadlines[i]);
    let mut at_start = Vec::new();
    for v in (0..n).filter(|&i| victim(i)) {
        // Survivors waking strictly before v's deadline.
        let earlier = survivors.partition_point(|&i| deadlines[i] < deadlines[v]);
        if v % 4 == 1 || earlier == 0 {
            at_start.push(ids[v]);
        } else {
            let canceller = survivors[rng.below(earlier as u64) as usize];
            plan.borrow_mut()[canceller].push(ids[v]);
        }
    }
    let from_wake_ups = n / 2 - at_start.len();
    assert!(from_wake_ups > n / 5, "only {from_wake_ups} cancels from wake-ups");
    // The task at time 0, after every sleeper has gone to sleep.
    {
        let cancelled = cancelled.clone();
        s.spawn(from_fn(move |r: Reply<u64>| {
            if let Reply::Cancelled(was) = r {
                assert!(was, "a victim had finished before time 0 ended");
                cancelled.set(cancelled.get() + 1);
            }
            Ok(match at_start.pop() {
                Some(v) => Yielded(Trap::Cancel(v)),
                None => Complete(u64::MAX),
            })
        }));
    }
    s.run_all().unwrap();

    assert_eq!(s.live_tasks(), 0);
    assert_eq!(cancelled.get(), n / 2, "every cancel found its victim asleep");
    assert_eq!(*drops.borrow(), n as u32, "every coroutine dropped exactly once");
    let last = survivors.iter().map(|&i| deadlines[i]).max().unwrap();
    assert_eq!(s.now(), Instant::ZERO + Duration::from_millis(last), "a cancelled timer fired");

    // Completion order and times: the survivors, by deadline, ties in
    // spawn order (the order they went to sleep).
    let sleepers: std::collections::HashSet<TaskId> = ids.iter().copied().collect();
    let completed: Vec<(Instant, TaskId)> = s
        .trace()
        .iter()
        .filter(|e| e.kind == TraceKind::Completed && sleepers.contains(&e.task))
        .map(|e| (e.at, e.task))
        .collect();
    let mut expected: Vec<(Instant, TaskId)> = (0..n)
        .filter(|&i| !victim(i))
        .map(|i| (Instant::ZERO + Duration::from_millis(deadlines[i]), ids[i]))
        .collect();
    expected.sort_by_key(|(at, _)| *at); // stable: ties stay in spawn order
    assert_eq!(completed.len(), expected.len(), "exactly the survivors completed");
    assert!(completed == expected, "completion order or times differ");
    for (i, id) in ids.iter().enumerate() {
        let result = s.take_result(*id).unwrap();
        if victim(i) {
            assert_eq!(result, Err(JoinError::Cancelled), "victim {i}");
        } else {
            assert_eq!(result, Ok(i as u64), "survivor {i}");
        }
    }
}
