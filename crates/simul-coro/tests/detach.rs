//! Detached tasks: their results are dropped and their slots reused, so a
//! task per connection does not grow the task table forever.

mod util;

use std::time::Duration;

use simul_coro::{CoroutineState::*, JoinError, Reply, Scheduler, Task, TaskId, Trap, from_fn};
use util::virtual_scheduler;

fn short(d: Duration) -> Task<u32> {
    Box::new(from_fn(move |r: Reply<u32>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(d))),
        _ => Ok(Complete(7)),
    }))
}

/// Main: spawn `n` short tasks, detaching each; returns the ids.
fn spawn_detached(s: &mut Scheduler<u32>, n: usize) -> Vec<TaskId> {
    let ids = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let out = ids.clone();
    let mut left = n;
    s.run(from_fn(move |r: Reply<u32>| match r {
        Reply::Spawned(id) => {
            out.borrow_mut().push(id);
            Ok(Yielded(Trap::Detach(id)))
        }
        Reply::Detached(true) | Reply::Start if left > 0 => {
            left -= 1;
            Ok(Yielded(Trap::Spawn(short(Duration::from_millis(left as u64 % 7)))))
        }
        Reply::Detached(true) => Ok(Complete(0)),
        other => panic!("unexpected {other:?}"),
    }))
    .unwrap();
    ids.borrow().clone()
}

#[test]
fn detached_results_are_dropped_and_slots_reused() {
    let mut s: Scheduler<u32> = virtual_scheduler();
    let first = spawn_detached(&mut s, 1_000);
    s.run_all().unwrap();
    assert_eq!(s.live_tasks(), 0);
    assert!(first.iter().all(|id| s.take_result(*id).is_none()), "nothing kept");
    // A second wave reuses the freed slots: generation 1, no new slots.
    let second = spawn_detached(&mut s, 1_000);
    s.run_all().unwrap();
    assert_eq!(second.len(), 1_000);
    assert!(second.iter().all(|id| id.to_string().ends_with(".1")), "{:?}", &second[..3]);
}

#[test]
fn a_detached_task_cannot_be_joined_and_a_joined_one_cannot_be_detached() {
    let mut s: Scheduler<u32> = virtual_scheduler();
    let a = s.spawn(short(Duration::from_secs(1)));
    let b = s.spawn(short(Duration::from_secs(2)));
    let got = s
        .run(from_fn(move |r: Reply<u32>| match r {
            Reply::Start => Ok(Yielded(Trap::Detach(a))),
            Reply::Detached(true) => Ok(Yielded(Trap::Join(a))),
            Reply::Joined(Err(JoinError::AlreadyJoined)) => Ok(Yielded(Trap::Join(b))),
            Reply::Joined(Ok(7)) => Ok(Yielded(Trap::Detach(b))),
            Reply::Detached(false) => Ok(Complete(1)),
            other => panic!("unexpected {other:?}"),
        }))
        .unwrap();
    assert_eq!(got, 1);
    assert_eq!(s.live_tasks(), 0);
}
