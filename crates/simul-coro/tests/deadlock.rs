//! Deadlock detection: when nothing can ever resume anyone, `run` says
//! who waits on what instead of hanging.

mod util;

use std::time::Duration;

use simul_coro::{
    CoroutineState::*, Reply, RunError, Scheduler, Task, TaskId, Trap, Wait, from_fn,
};
use util::virtual_scheduler;

/// Parks once; completes when unparked.
fn parker() -> Task<()> {
    Box::new(from_fn(|r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Park)),
        _ => Ok(Complete(())),
    }))
}

fn joiner(target: TaskId) -> Task<()> {
    Box::new(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Join(target))),
        _ => Ok(Complete(())),
    }))
}

#[test]
fn main_parked_forever_is_reported() {
    let mut s: Scheduler<()> = virtual_scheduler();
    let err = s.run(from_fn(|_: Reply<()>| Ok(Yielded(Trap::Park)))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "deadlock: no task can ever be resumed (nothing ready, no timer, no descriptor awaited): \
         task 0 is parked and nobody can unpark it"
    );
    // The stuck main task was dropped; the scheduler is empty and usable.
    assert_eq!(s.live_tasks(), 0);
    assert_eq!(s.run(from_fn(|_: Reply<()>| Ok(Complete(())))).unwrap(), ());
}

#[test]
fn a_chain_of_joins_ending_in_a_parked_task_lists_every_link() {
    let mut s: Scheduler<()> = virtual_scheduler();
    let p = s.spawn(parker());
    let j = s.spawn(joiner(p));
    let err = s.run(joiner(j)).unwrap_err();
    let RunError::Deadlock(d) = &err else { panic!("{err}") };
    assert_eq!(d.waits[..2], [(p, Wait::Park), (j, Wait::Join(p))]);
    assert_eq!(d.waits[2].1, Wait::Join(j));
    assert_eq!(
        err.to_string(),
        "deadlock: no task can ever be resumed (nothing ready, no timer, no descriptor awaited): \
         task 0 is parked and nobody can unpark it; task 1 waits to join task 0; \
         task 2 waits to join task 1"
    );
}

#[test]
fn a_join_cycle_is_reported_by_run_all() {
    let mut s: Scheduler<()> = virtual_scheduler();
    // a learns its id, spawns b (which joins a), and joins b.
    s.spawn(from_fn(|r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::CurrentTask)),
        Reply::CurrentTask(me) => Ok(Yielded(Trap::Spawn(joiner(me)))),
        Reply::Spawned(b) => Ok(Yielded(Trap::Join(b))),
        _ => Ok(Complete(())),
    }));
    let err = s.run_all().unwrap_err();
    assert_eq!(
        err.to_string(),
        "deadlock: no task can ever be resumed (nothing ready, no timer, no descriptor awaited): \
         task 0 waits to join task 1; task 1 waits to join task 0"
    );
}

#[test]
fn a_pending_timer_or_an_unpark_to_come_is_not_a_deadlock() {
    let mut s: Scheduler<()> = virtual_scheduler();
    let p = s.spawn(parker());
    // Main sleeps an hour, then unparks p and joins it.
    s.run(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(3600)))),
        Reply::Woke => Ok(Yielded(Trap::Unpark(p))),
        Reply::Unparked(true) => Ok(Yielded(Trap::Join(p))),
        Reply::Joined(Ok(())) => Ok(Complete(())),
        other => panic!("unexpected {other:?}"),
    }))
    .unwrap();
    assert_eq!(s.now(), util::at_secs(3600));
}

#[test]
fn joining_oneself_or_a_task_already_joined_is_an_immediate_error_not_a_hang() {
    let mut s: Scheduler<()> = virtual_scheduler();
    let p = s.spawn(parker());
    let _first = s.spawn(joiner(p));
    let answers = s.run(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::YieldNow)),
        Reply::Woke => Ok(Yielded(Trap::CurrentTask)),
        Reply::CurrentTask(me) => Ok(Yielded(Trap::Join(me))),
        Reply::Joined(Err(simul_coro::JoinError::JoinSelf)) => Ok(Yielded(Trap::Join(p))),
        Reply::Joined(Err(simul_coro::JoinError::AlreadyJoined)) => Ok(Yielded(Trap::Unpark(p))),
        Reply::Unparked(true) => Ok(Complete(())),
        other => panic!("unexpected {other:?}"),
    }));
    answers.unwrap();
    s.run_all().unwrap();
}
