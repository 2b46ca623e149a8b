//! Delegation under the trampoline: typed `Call`s driven with
//! `yield_from!` and `and_then`, as asyncio did with `yield from`.

mod util;

use std::time::Duration;

use simul_coro::{
    Call, Coroutine, CoroutineState::*, JoinError, Reply, Resume, ResumeError, Scheduler, TaskId,
    Trap, from_fn, yield_from,
};
use util::{Log, at_secs, sleeper, virtual_scheduler};

/// ```python
/// def supervisor(log):
///     worker = yield from spawn(sleeper("worker", 2 s, 40))
///     yield from sleep(1 s)
///     result = yield from join(worker)
///     return result + 2
/// ```
enum Supervisor {
    Start(Log),
    Spawning(Log, Call<u32, TaskId>),
    Sleeping(TaskId, Call<u32, ()>),
    Joining(Call<u32, Result<u32, JoinError>>),
    Done,
}

impl Coroutine<Reply<u32>> for Supervisor {
    type Yield = Trap<u32>;
    type Return = u32;

    fn resume(&mut self, mut reply: Reply<u32>) -> Resume<Trap<u32>, u32> {
        loop {
            match self {
                Supervisor::Start(log) => {
                    let worker = Box::new(sleeper(log, "worker", Duration::from_secs(2), 40));
                    *self = Supervisor::Spawning(log.clone(), Call::spawn(worker));
                }
                Supervisor::Spawning(log, call) => {
                    let worker = yield_from!(call, reply);
                    log.push("spawned");
                    *self = Supervisor::Sleeping(worker, Call::sleep(Duration::from_secs(1)));
                }
                Supervisor::Sleeping(worker, call) => {
                    yield_from!(call, reply);
                    *self = Supervisor::Joining(Call::join(*worker));
                }
                Supervisor::Joining(call) => {
                    let result = yield_from!(call, reply);
                    *self = Supervisor::Done;
                    return Ok(Complete(result.unwrap_or(0) + 2));
                }
                Supervisor::Done => return Err(ResumeError::AfterCompletion),
            }
            reply = Reply::Start; // a new delegation starts fresh
        }
    }
}

#[test]
fn yield_from_typed_calls_drives_spawn_sleep_and_join() {
    let log = Log::default();
    let mut s: Scheduler<u32> = virtual_scheduler();
    s.record_trace(true);
    assert_eq!(s.run(Supervisor::Start(log.clone())).unwrap(), 42);
    // Spawn is answered at once: "spawned" is logged before the worker runs.
    assert_eq!(log.take(), ["spawned", "worker", "worker done"]);
    assert_eq!(s.now(), at_secs(2));
}

#[test]
fn and_then_chains_calls_into_one_task() {
    // now(); sleep(3 s); now(): returns the time slept, without an enum.
    let mut s: Scheduler<Duration> = virtual_scheduler();
    let nap = Call::now().and_then(|t0| {
        Call::sleep(Duration::from_secs(3)).and_then(|()| Call::now()).map_return(move |t1| t1 - t0)
    });
    assert_eq!(s.run(nap).unwrap(), Duration::from_secs(3));
}

#[test]
fn a_call_given_the_wrong_answer_fails_with_what_it_expected() {
    let mut c = Call::<(), _>::now();
    assert!(matches!(c.resume(Reply::Start), Ok(Yielded(Trap::Now))));
    assert_eq!(
        c.resume(Reply::Woke).unwrap_err(),
        ResumeError::UnexpectedInput { expected: "Reply::Now" }
    );
    // Still waiting: the right answer completes it, once.
    let t = simul_reactor::Instant::from_nanos(5);
    assert!(matches!(c.resume(Reply::Now(t)), Ok(Complete(x)) if x == t));
    assert_eq!(c.resume(Reply::Now(t)).unwrap_err(), ResumeError::AfterCompletion);
}

#[test]
fn a_failing_sub_call_fails_the_task_with_the_reason() {
    // A task that delegates to a finished call: the error propagates
    // through yield_from! and the scheduler reports the task as failed.
    let mut s: Scheduler<()> = virtual_scheduler();
    let mut call = Call::<(), ()>::yield_now();
    let _ = call.resume(Reply::Start);
    let _ = call.resume(Reply::Woke);
    let err = s
        .run(from_fn(move |r: Reply<()>| -> Resume<Trap<()>, ()> {
            yield_from!(&mut call, r);
            Ok(Complete(()))
        }))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the main task did not complete: the task failed: coroutine resumed after it had completed"
    );
}
