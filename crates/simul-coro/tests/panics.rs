//! Panic isolation: a panicking coroutine is dropped, its joiner gets the
//! message, every other task goes on.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{CoroutineState::*, JoinError, Reply, RunError, Scheduler, Trap, from_fn};
use util::{DropCounter, Log, sleeper, virtual_scheduler};

/// A task that sleeps 1 s, then panics.
fn bomb(drops: &Rc<RefCell<u32>>) -> simul_coro::Task<u32> {
    let guard = DropCounter(drops.clone());
    Box::new(from_fn(move |r: Reply<u32>| {
        let _keep = &guard;
        match r {
            Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
            _ => panic!("boom at board 7"),
        }
    }))
}

#[test]
fn a_panicking_task_is_dropped_and_its_joiner_gets_the_message() {
    let drops = Rc::new(RefCell::new(0));
    let log = Log::default();
    let mut s: Scheduler<u32> = virtual_scheduler();
    let bystander = s.spawn(sleeper(&log, "bystander", Duration::from_secs(2), 5));
    let mut bomb = Some(bomb(&drops));
    let joined = s
        .run(from_fn(move |r: Reply<u32>| match r {
            Reply::Start => Ok(Yielded(Trap::Spawn(bomb.take().unwrap()))),
            Reply::Spawned(id) => Ok(Yielded(Trap::Join(id))),
            Reply::Joined(Err(JoinError::Panicked(msg))) => {
                assert_eq!(msg, "boom at board 7");
                Ok(Complete(1))
            }
            other => panic!("unexpected {other:?}"),
        }))
        .unwrap();
    assert_eq!(joined, 1);
    assert_eq!(*drops.borrow(), 1, "the panicked coroutine was dropped once");
    // The bystander was not disturbed.
    s.run_all().unwrap();
    assert_eq!(s.take_result(bystander), Some(Ok(5)));
    assert_eq!(log.take(), ["bystander", "bystander done"]);
    assert_eq!(s.now(), util::at_secs(2));
}

#[test]
fn a_panicking_main_task_is_an_error_of_run() {
    let drops = Rc::new(RefCell::new(0));
    let mut s: Scheduler<u32> = virtual_scheduler();
    let mut b = bomb(&drops);
    let err = s.run(from_fn(move |r: Reply<u32>| b.resume(r))).unwrap_err();
    assert!(matches!(&err, RunError::Main(JoinError::Panicked(m)) if m == "boom at board 7"));
    assert_eq!(
        err.to_string(),
        "the main task did not complete: the task panicked: boom at board 7"
    );
    // The scheduler is still usable.
    assert_eq!(s.run(from_fn(|_: Reply<u32>| Ok(Complete(3)))).unwrap(), 3);
}

/// Panics when dropped.
struct DropBomb;

impl Drop for DropBomb {
    fn drop(&mut self) {
        panic!("boom in drop");
    }
}

#[test]
fn a_coroutine_whose_drop_panics_does_not_take_the_scheduler_down() {
    let mut s: Scheduler<u32> = virtual_scheduler();
    let victim = s.spawn(from_fn({
        let bomb = DropBomb;
        move |_: Reply<u32>| {
            let _keep = &bomb;
            Ok(Yielded(Trap::Park))
        }
    }));
    let finisher = s.spawn(from_fn({
        let bomb = DropBomb;
        move |_: Reply<u32>| {
            let _keep = &bomb;
            Ok(Complete(8))
        }
    }));
    let got = s
        .run(from_fn(move |r: Reply<u32>| match r {
            Reply::Start => Ok(Yielded(Trap::Cancel(victim))),
            Reply::Cancelled(true) => Ok(Yielded(Trap::Join(finisher))),
            Reply::Joined(r) => Ok(Complete(r.unwrap() + 1)),
            other => panic!("unexpected {other:?}"),
        }))
        .unwrap();
    assert_eq!(got, 9);
}

#[test]
fn a_coroutine_resumed_after_completion_fails_cleanly() {
    // A buggy coroutine that keeps going after it said Complete is never
    // resumed again by the scheduler; resuming a finished one by hand gives
    // the error value, which the scheduler reports as Failed.
    let mut s: Scheduler<u32> = virtual_scheduler();
    let mut done = simul_coro::Countdown::Done;
    let err = s
        .run(from_fn(move |_: Reply<u32>| {
            use simul_coro::Coroutine;
            let _ = done.resume(())?;
            Ok(Complete(0))
        }))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the main task did not complete: the task failed: coroutine resumed after it had completed"
    );
}

/// An output whose destructor panics.
#[derive(Debug)]
struct PanickyOutput;

impl Drop for PanickyOutput {
    fn drop(&mut self) {
        panic!("boom in the output's drop");
    }
}

#[test]
fn outputs_and_tasks_whose_drop_panics_are_dropped_quietly() {
    let mut s: Scheduler<Option<PanickyOutput>> = virtual_scheduler();
    // Detached: its output is dropped by the scheduler when it finishes.
    let detached =
        s.spawn(from_fn(|_: Reply<Option<PanickyOutput>>| Ok(Complete(Some(PanickyOutput)))));
    // Never joined and still kept when the scheduler is dropped.
    s.spawn(from_fn(|_: Reply<Option<PanickyOutput>>| Ok(Complete(Some(PanickyOutput)))));
    // Parked forever, holding a bomb, when the scheduler is dropped.
    s.spawn(from_fn({
        let bomb = DropBomb;
        move |_: Reply<Option<PanickyOutput>>| {
            let _keep = &bomb;
            Ok(Yielded(Trap::Park))
        }
    }));
    let got = s
        .run(from_fn(move |r: Reply<Option<PanickyOutput>>| match r {
            Reply::Start => Ok(Yielded(Trap::Detach(detached))),
            Reply::Detached(true) => Ok(Yielded(Trap::YieldNow)),
            Reply::Woke => Ok(Complete(None)),
            other => panic!("unexpected {other:?}"),
        }))
        .unwrap();
    assert!(got.is_none());
    drop(s); // must not panic
}
