//! Reliability item 6 for coroutines: sleeps of `Duration::MAX`, ten
//! years and zero beside a 1 ms sleep. Nothing panics, the zero sleep
//! wakes at once, the 1 ms sleep wakes at exactly 1 ms (virtual clock) or
//! no earlier than 1 ms (real clock), and the huge ones have not fired
//! when they are cancelled.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, Scheduler, TaskId, Trap, from_fn};
use simul_reactor::{Clock, Instant};
use util::{Log, sleeper};

const TEN_YEARS: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// What the main task saw: when the zero and 1 ms sleepers were joined
/// (relative to the start), and whether cancelling the huge ones found
/// them still asleep.
#[derive(Debug, Default)]
struct Seen {
    zero_at: Option<Duration>,
    one_ms_at: Option<Duration>,
    cancelled: Vec<bool>,
}

/// Spawns the four sleepers, joins the zero and 1 ms ones (asking the
/// time after each), then cancels the `Duration::MAX` and ten-year ones.
fn run(s: &mut Scheduler<u32>, log: &Log) -> Seen {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let out = seen.clone();
    let mut to_spawn = vec![
        sleeper(log, "max", Duration::MAX, 0),
        sleeper(log, "ten years", TEN_YEARS, 0),
        sleeper(log, "zero", Duration::ZERO, 0),
        sleeper(log, "one ms", Duration::from_millis(1), 0),
    ];
    to_spawn.reverse();
    let mut ids: Vec<TaskId> = Vec::new();
    let mut start = None;
    let mut step = 0;
    s.run(from_fn(move |r: Reply<u32>| {
        let trap = match r {
            Reply::Start => Trap::Now,
            Reply::Now(t) if start.is_none() => {
                start = Some(t);
                Trap::Spawn(Box::new(to_spawn.pop().unwrap()))
            }
            Reply::Spawned(id) => {
                ids.push(id);
                match to_spawn.pop() {
                    Some(next) => Trap::Spawn(Box::new(next)),
                    None => Trap::Join(ids[2]), // zero
                }
            }
            Reply::Joined(Ok(0)) => Trap::Now,
            Reply::Now(t) => {
                let at = t.saturating_duration_since(start.unwrap());
                step += 1;
                if step == 1 {
                    out.borrow_mut().zero_at = Some(at);
                    Trap::Join(ids[3]) // one ms
                } else {
                    out.borrow_mut().one_ms_at = Some(at);
                    Trap::Cancel(ids[0])
                }
            }
            Reply::Cancelled(was) => {
                out.borrow_mut().cancelled.push(was);
                if out.borrow().cancelled.len() == 1 {
                    Trap::Cancel(ids[1])
                } else {
                    return Ok(Complete(0));
                }
            }
            other => panic!("unexpected {other:?}"),
        };
        Ok(Yielded(trap))
    }))
    .unwrap();
    seen.take()
}

#[test]
fn huge_and_zero_sleeps_beside_a_one_ms_sleep_on_the_virtual_clock() {
    let mut s = Scheduler::with_clock(Clock::new_virtual()).unwrap();
    let log = Log::default();
    let seen = run(&mut s, &log);
    assert_eq!(seen.zero_at, Some(Duration::ZERO));
    assert_eq!(seen.one_ms_at, Some(Duration::from_millis(1)));
    assert_eq!(seen.cancelled, [true, true], "a huge sleep had fired");
    // The clock went no further than the 1 ms sleeper needed.
    assert_eq!(s.now(), Instant::ZERO + Duration::from_millis(1));
    assert_eq!(log.take(), ["max", "ten years", "zero", "one ms", "zero done", "one ms done"]);
    assert_eq!(s.live_tasks(), 0);
}

#[test]
fn huge_and_zero_sleeps_beside_a_one_ms_sleep_on_the_real_clock() {
    let mut s = Scheduler::new().unwrap();
    let log = Log::default();
    let seen = run(&mut s, &log);
    assert!(seen.one_ms_at.unwrap() >= Duration::from_millis(1), "early: {seen:?}");
    assert!(seen.zero_at.unwrap() <= seen.one_ms_at.unwrap());
    assert_eq!(seen.cancelled, [true, true], "a huge sleep had fired");
    assert_eq!(log.take(), ["max", "ten years", "zero", "one ms", "zero done", "one ms done"]);
}
