//! Ordering: FIFO turns, immediate traps, timer order; asserted on traces.

mod util;

use std::time::Duration;

use simul_coro::{
    CoroutineState::*, Reply, Scheduler, TaskId, TraceEvent, TraceKind, Trap, TrapKind, from_fn,
};
use util::{Log, sleeper, virtual_scheduler};

fn resumed(trace: &[TraceEvent]) -> Vec<TaskId> {
    trace.iter().filter(|e| e.kind == TraceKind::Resumed).map(|e| e.task).collect()
}

/// A task that yields `YieldNow` `n` times, then completes.
fn yielder(n: u32) -> simul_coro::Task<()> {
    let mut left = n;
    Box::new(from_fn(move |_: Reply<()>| {
        if left == 0 {
            return Ok(Complete(()));
        }
        left -= 1;
        Ok(Yielded(Trap::YieldNow))
    }))
}

#[test]
fn ready_tasks_run_in_fifo_turns() {
    let mut s: Scheduler<()> = virtual_scheduler();
    s.record_trace(true);
    let ids: Vec<TaskId> = (0..3).map(|_| s.spawn(yielder(2))).collect();
    s.run_all().unwrap();
    let expected: Vec<TaskId> = (0..3).flat_map(|_| ids.iter().copied()).collect();
    assert_eq!(resumed(s.trace()), expected);
}

#[test]
fn spawn_is_answered_at_once_and_the_child_runs_after_those_already_ready() {
    let mut s: Scheduler<()> = virtual_scheduler();
    s.record_trace(true);
    let other = s.spawn(yielder(1));
    let parent = s.spawn(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Spawn(yielder(0)))),
        Reply::Spawned(_) => Ok(Yielded(Trap::YieldNow)),
        _ => Ok(Complete(())),
    }));
    s.run_all().unwrap();
    let spawned: Vec<TaskId> =
        s.trace().iter().filter(|e| e.kind == TraceKind::Spawned).map(|e| e.task).collect();
    let child = spawned[2];
    let t: Vec<(TaskId, TraceKind)> = s.trace().iter().map(|e| (e.task, e.kind)).collect();
    assert_eq!(
        t,
        [
            (other, TraceKind::Spawned),
            (parent, TraceKind::Spawned),
            // Turn 1: other, then parent, which spawns and is resumed again at once.
            (other, TraceKind::Resumed),
            (other, TraceKind::Yielded(TrapKind::YieldNow)),
            (parent, TraceKind::Resumed),
            (parent, TraceKind::Yielded(TrapKind::Spawn)),
            (child, TraceKind::Spawned),
            (parent, TraceKind::Resumed),
            (parent, TraceKind::Yielded(TrapKind::YieldNow)),
            // Turn 2: queue order other, child, parent.
            (other, TraceKind::Resumed),
            (other, TraceKind::Completed),
            (child, TraceKind::Resumed),
            (child, TraceKind::Completed),
            (parent, TraceKind::Resumed),
            (parent, TraceKind::Completed),
        ]
    );
}

#[test]
fn timers_fire_by_deadline_and_ties_in_the_order_they_were_set() {
    let log = Log::default();
    let mut s: Scheduler<()> = virtual_scheduler();
    s.spawn(sleeper(&log, "c3", Duration::from_secs(3), ()));
    s.spawn(sleeper(&log, "a1", Duration::from_secs(1), ()));
    s.spawn(sleeper(&log, "b1", Duration::from_secs(1), ()));
    s.spawn(sleeper(&log, "z0", Duration::ZERO, ()));
    s.spawn(sleeper(&log, "d2", Duration::from_secs(2), ()));
    s.run_all().unwrap();
    assert_eq!(
        log.take(),
        ["c3", "a1", "b1", "z0", "d2", "z0 done", "a1 done", "b1 done", "d2 done", "c3 done"]
    );
    assert_eq!(s.now(), util::at_secs(3));
}

#[test]
fn a_task_that_keeps_yielding_does_not_starve_a_due_timer() {
    let log = Log::default();
    let mut s: Scheduler<()> = virtual_scheduler();
    s.record_trace(true);
    let busy = s.spawn(yielder(1_000));
    let sleepy = s.spawn(sleeper(&log, "sleepy", Duration::ZERO, ()));
    s.run_all().unwrap();
    // The zero sleep is due after the first turn; its wake-up joins the
    // queue behind the busy task's YieldNow and runs in turn 2.
    let order = resumed(s.trace());
    assert_eq!(&order[..5], [busy, sleepy, busy, sleepy, busy]);
}

#[test]
fn immediate_traps_do_not_give_up_the_turn() {
    let mut s: Scheduler<u64> = virtual_scheduler();
    s.record_trace(true);
    let other = s.spawn(from_fn(|_: Reply<u64>| Ok(Complete(0))));
    let mut asked = 0;
    let main = s.run(from_fn(move |r: Reply<u64>| match r {
        Reply::Start | Reply::Now(_) if asked < 3 => {
            asked += 1;
            Ok(Yielded(Trap::Now))
        }
        _ => Ok(Complete(asked)),
    }));
    assert_eq!(main.unwrap(), 3);
    // The other task ran first (it was ready first); main then ran its
    // three Now traps and completed without being requeued.
    let order = resumed(s.trace());
    assert_eq!(order[0], other);
    assert!(order[1..].iter().all(|t| *t != other));
    assert_eq!(order.len(), 5);
}
