//! Cancellation: the coroutine is dropped wherever it waits, exactly once,
//! and its joiner is told.

mod util;

use std::cell::RefCell;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    CoroutineState::*, JoinError, Reply, RunError, Scheduler, Task, TaskId, TraceKind, Trap,
    from_fn,
};
use util::{DropCounter, Log, sleeper, virtual_scheduler};

/// A task that holds a drop counter and waits with `trap` forever-ish.
fn waiter(drops: &Rc<RefCell<u32>>, trap: fn() -> Trap<u32>) -> Task<u32> {
    let guard = DropCounter(drops.clone());
    Box::new(from_fn(move |r: Reply<u32>| {
        let _keep = &guard;
        match r {
            Reply::Start => Ok(Yielded(trap())),
            _ => Ok(Complete(1)),
        }
    }))
}

/// Main: spawn `victim`, let it start (YieldNow), cancel it, join it;
/// returns (cancel reply, join reply) as text.
fn cancel_then_join(s: &mut Scheduler<u32>, victim: Task<u32>) -> (bool, Result<u32, JoinError>) {
    let out = Rc::new(RefCell::new(None));
    let out2 = out.clone();
    let mut victim = Some(victim);
    let mut id = None;
    let mut cancelled = None;
    s.run(from_fn(move |r: Reply<u32>| match r {
        Reply::Start => Ok(Yielded(Trap::Spawn(victim.take().unwrap()))),
        Reply::Spawned(v) => {
            id = Some(v);
            Ok(Yielded(Trap::YieldNow))
        }
        Reply::Woke => Ok(Yielded(Trap::Cancel(id.unwrap()))),
        Reply::Cancelled(was) => {
            cancelled = Some(was);
            Ok(Yielded(Trap::Join(id.unwrap())))
        }
        Reply::Joined(res) => {
            *out2.borrow_mut() = Some((cancelled.unwrap(), res));
            Ok(Complete(0))
        }
        _ => Ok(Complete(99)),
    }))
    .unwrap();
    out.borrow_mut().take().unwrap()
}

#[test]
fn cancelling_a_sleeping_task_drops_it_once_and_its_timer_never_fires() {
    let drops = Rc::new(RefCell::new(0));
    let mut s: Scheduler<u32> = virtual_scheduler();
    s.record_trace(true);
    let victim = waiter(&drops, || Trap::Sleep(Duration::from_secs(3600)));
    let (was_alive, joined) = cancel_then_join(&mut s, victim);
    assert!(was_alive);
    assert_eq!(joined, Err(JoinError::Cancelled));
    assert_eq!(*drops.borrow(), 1);
    // The hour never passed: the cancelled timer is not waited for.
    s.run_all().unwrap();
    assert_eq!(s.now(), simul_reactor::Instant::ZERO);
    let victim_resumes = s.trace().iter().filter(|e| e.kind == TraceKind::Resumed).count();
    assert_eq!(victim_resumes, 1 + 5, "victim once, main five times");
}

#[test]
fn cancelling_a_parked_task_and_a_task_waiting_on_a_descriptor() {
    let drops = Rc::new(RefCell::new(0));
    let mut s: Scheduler<u32> = virtual_scheduler();
    let (was_alive, joined) = cancel_then_join(&mut s, waiter(&drops, || Trap::Park));
    assert!(was_alive);
    assert_eq!(joined, Err(JoinError::Cancelled));

    let (a, _b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let fd = a.as_raw_fd();
    thread_local!(static FD: std::cell::Cell<i32> = const { std::cell::Cell::new(-1) });
    FD.with(|f| f.set(fd));
    let (was_alive, joined) =
        cancel_then_join(&mut s, waiter(&drops, || Trap::Readable(FD.with(|f| f.get()))));
    assert!(was_alive);
    assert_eq!(joined, Err(JoinError::Cancelled));
    assert_eq!(*drops.borrow(), 2);
    // The descriptor was deregistered: another task can wait on it, and
    // with nothing to read and nothing else alive... give it data first.
    use std::io::Write;
    let mut b = _b;
    b.write_all(b"x").unwrap();
    let got = s.run(from_fn(move |r: Reply<u32>| match r {
        Reply::Start => Ok(Yielded(Trap::Readable(fd))),
        Reply::Io(res) => Ok(Complete(u32::from(res.is_ok()))),
        _ => Ok(Complete(99)),
    }));
    assert_eq!(got.unwrap(), 1);
}

#[test]
fn cancelling_a_ready_task_means_it_never_runs() {
    // The child is spawned (queued, Ready) and cancelled in the same turn,
    // before the scheduler gets to it.
    let log = Log::default();
    let log2 = log.clone();
    let mut s: Scheduler<()> = virtual_scheduler();
    s.record_trace(true);
    s.run(from_fn(move |r: Reply<()>| match r {
        Reply::Start => {
            Ok(Yielded(Trap::Spawn(Box::new(sleeper(&log2, "child", Duration::ZERO, ())))))
        }
        Reply::Spawned(child) => Ok(Yielded(Trap::Cancel(child))),
        Reply::Cancelled(true) => Ok(Yielded(Trap::YieldNow)),
        Reply::Woke => Ok(Complete(())),
        _ => Err(simul_coro::ResumeError::UnexpectedInput { expected: "Cancelled(true)" }),
    }))
    .unwrap();
    s.run_all().unwrap();
    assert_eq!(log.take(), Vec::<String>::new(), "the child never ran");
    let child = s.trace().iter().find(|e| e.kind == TraceKind::Cancelled).unwrap().task;
    assert!(!s.trace().iter().any(|e| e.task == child && e.kind == TraceKind::Resumed));
}

#[test]
fn cancelling_a_joining_task_releases_the_task_it_joined() {
    let log = Log::default();
    let mut s: Scheduler<()> = virtual_scheduler();
    let slow = s.spawn(sleeper(&log, "slow", Duration::from_secs(5), ()));
    let joiner = s.spawn(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Join(slow))),
        _ => Ok(Complete(())),
    }));
    let result = s.run(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Cancel(joiner))),
        // Now main can join `slow` itself.
        Reply::Cancelled(true) => Ok(Yielded(Trap::Join(slow))),
        Reply::Joined(Ok(())) => Ok(Complete(())),
        other => panic!("unexpected {other:?}"),
    }));
    result.unwrap();
    assert_eq!(s.now(), util::at_secs(5));
    assert_eq!(s.take_result(joiner), Some(Err(JoinError::Cancelled)));
}

#[test]
fn a_task_can_cancel_itself_and_nothing_after_runs() {
    let log = Log::default();
    let log2 = log.clone();
    let mut s: Scheduler<()> = virtual_scheduler();
    let id = s.spawn(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::CurrentTask)),
        Reply::CurrentTask(me) => Ok(Yielded(Trap::Cancel(me))),
        _ => {
            log2.push("after self-cancel");
            Ok(Complete(()))
        }
    }));
    s.run_all().unwrap();
    assert_eq!(s.take_result(id), Some(Err(JoinError::Cancelled)));
    assert!(log.take().is_empty());
}

#[test]
fn cancelling_a_finished_or_unknown_task_says_false() {
    let mut s: Scheduler<()> = virtual_scheduler();
    let done = s.spawn(from_fn(|_: Reply<()>| Ok(Complete(()))));
    let mut answers = Vec::new();
    let answers_out = Rc::new(RefCell::new(Vec::new()));
    let out = answers_out.clone();
    s.run(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Cancel(done))),
        Reply::Cancelled(was) => {
            answers.push(was);
            if answers.len() == 1 {
                Ok(Yielded(Trap::Join(done)))
            } else {
                *out.borrow_mut() = answers.clone();
                Ok(Complete(()))
            }
        }
        Reply::Joined(r) => {
            assert_eq!(r, Ok(()));
            // The slot is freed now: the id is stale.
            Ok(Yielded(Trap::Cancel(done)))
        }
        other => panic!("unexpected {other:?}"),
    }))
    .unwrap();
    assert_eq!(*answers_out.borrow(), [false, false]);
}

#[test]
fn cancelling_the_main_task_ends_run_with_an_error() {
    let mut s: Scheduler<()> = virtual_scheduler();
    let assassin: Task<()> = Box::new(from_fn(|r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
        Reply::Woke => Ok(Yielded(Trap::Cancel(MAIN.with(|m| m.get().unwrap())))),
        _ => Ok(Complete(())),
    }));
    thread_local!(static MAIN: std::cell::Cell<Option<TaskId>> = const { std::cell::Cell::new(None) });
    let mut assassin = Some(assassin);
    let err = s
        .run(from_fn(move |r: Reply<()>| match r {
            Reply::Start => Ok(Yielded(Trap::CurrentTask)),
            Reply::CurrentTask(me) => {
                MAIN.with(|m| m.set(Some(me)));
                Ok(Yielded(Trap::Spawn(assassin.take().unwrap())))
            }
            _ => Ok(Yielded(Trap::Sleep(Duration::from_secs(10)))),
        }))
        .unwrap_err();
    assert!(matches!(err, RunError::Main(JoinError::Cancelled)), "{err}");
    assert_eq!(s.now(), util::at_secs(1));
}

/// Item 24, abort twice: a live task cancelled twice is dropped by the
/// first cancel, which answers `Cancelled(true)`; the second finds it
/// finished and answers `Cancelled(false)`, as [`Reply::Cancelled`]
/// documents, and drops nothing more. Its result stays
/// `JoinError::Cancelled` for whoever joins it: a joiner filed before the
/// cancels, or one that comes after them.
#[test]
fn cancelling_a_sleeping_task_twice_says_false_the_second_time_and_drops_it_once() {
    for join_first in [false, true] {
        let drops = Rc::new(RefCell::new(0));
        let mut s: Scheduler<u32> = virtual_scheduler();
        s.record_trace(true);
        let victim = s.spawn(waiter(&drops, || Trap::Sleep(Duration::from_secs(3600))));
        // A joiner already waiting when the cancels come (second round).
        let early_joiner = join_first.then(|| {
            let out: Rc<RefCell<Option<Result<u32, JoinError>>>> = Rc::default();
            let out2 = out.clone();
            let id = s.spawn(from_fn(move |r: Reply<u32>| match r {
                Reply::Start => Ok(Yielded(Trap::Join(victim))),
                Reply::Joined(res) => {
                    *out2.borrow_mut() = Some(res);
                    Ok(Complete(7))
                }
                other => panic!("joiner: unexpected {other:?}"),
            }));
            (id, out)
        });
        let seen = Rc::new(RefCell::new(Vec::new()));
        let seen2 = seen.clone();
        let drops2 = drops.clone();
        let mut answers = Vec::new();
        s.run(from_fn(move |r: Reply<u32>| match r {
            // Let the victim (and the joiner) start: the victim sleeps.
            Reply::Start => Ok(Yielded(Trap::YieldNow)),
            Reply::Woke => Ok(Yielded(Trap::Cancel(victim))),
            Reply::Cancelled(was) => {
                answers.push(was);
                seen2.borrow_mut().push(format!("cancel {was}, drops {}", drops2.borrow()));
                match answers.len() {
                    1 => Ok(Yielded(Trap::Cancel(victim))),
                    2 if join_first => Ok(Complete(0)),
                    2 => Ok(Yielded(Trap::Join(victim))),
                    _ => Ok(Complete(0)),
                }
            }
            Reply::Joined(res) => {
                seen2.borrow_mut().push(format!("joined {res:?}, drops {}", drops2.borrow()));
                // The slot is free now: the id is stale, still `false`.
                Ok(Yielded(Trap::Cancel(victim)))
            }
            other => panic!("main: unexpected {other:?}"),
        }))
        .unwrap();
        let mut expected = vec!["cancel true, drops 1", "cancel false, drops 1"];
        if !join_first {
            expected.extend(["joined Err(Cancelled), drops 1", "cancel false, drops 1"]);
        }
        assert_eq!(*seen.borrow(), expected, "join_first = {join_first}");
        s.run_all().unwrap();
        if let Some((joiner, out)) = early_joiner {
            assert_eq!(out.borrow_mut().take(), Some(Err(JoinError::Cancelled)));
            assert_eq!(s.take_result(joiner), Some(Ok(7)));
            // The joiner took the result: nothing is kept for the victim.
            assert_eq!(s.take_result(victim), None);
        }
        assert_eq!(*drops.borrow(), 1, "the coroutine is dropped exactly once");
        // The hour never passed: the timer went with the first cancel.
        assert_eq!(s.now(), simul_reactor::Instant::ZERO);
        assert_eq!(s.live_tasks(), 0);
        let cancelled = s.trace().iter().filter(|e| e.kind == TraceKind::Cancelled).count();
        assert_eq!(cancelled, 1, "one cancellation recorded");
        let victim_resumes =
            s.trace().iter().filter(|e| e.task == victim && e.kind == TraceKind::Resumed).count();
        assert_eq!(victim_resumes, 1, "the victim ran once, to start sleeping");
    }
}
