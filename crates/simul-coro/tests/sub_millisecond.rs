//! Reliability item 9: sub-millisecond sleeps on the real clock.
//!
//! One coroutine sleeps 0, 1 µs, 10 µs, 100 µs, 1 ms and 3 ms, then 1,000
//! times in turn 50, 100, 250, 500 and 900 µs, with `Trap::Sleep` on a
//! scheduler with the real clock. Checked for every sleep:
//!
//! - it lasted at least what was asked, by the scheduler's clock (`Now`
//!   before and after) and by `std::time::Instant` (taken inside the
//!   coroutine when it yields and when it is resumed): a timer that fires
//!   early, or a wait rounded down to whole milliseconds, fails it;
//! - the 360 ms of sub-millisecond sleeps cost the scheduler's thread
//!   (`/proc/thread-self/stat`) under half the 36 CPU ticks that spinning
//!   through them would: a loop that polls without blocking while a timer
//!   is near, or a deadline rounded down to zero, fails it.
//!
//! No upper bound on how late a sleep may end: shared machines are noisy,
//! and the house rule is never to assert on wall-clock time.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant as WallInstant};

use simul_coro::{CoroutineState::*, Reply, ResumeError, Scheduler, Trap, from_fn};
use simul_reactor::Instant;
use simul_testkit::cpu::thread_cpu_ticks;

/// The sleeps asked for: the short sweep, then the 1,000 sub-millisecond ones.
fn sleeps() -> (Vec<Duration>, Vec<Duration>) {
    let sweep = [0, 1, 10, 100, 1_000, 3_000].map(Duration::from_micros).to_vec();
    let many = (0..200).flat_map(|_| [50, 100, 250, 500, 900].map(Duration::from_micros)).collect();
    (sweep, many)
}

/// A coroutine that sleeps each of `sleeps` in turn, measuring each by
/// the scheduler's clock and by std's, and records those that ended early.
///
/// ```text
///   Start --yield Now--> Now(t0): note t0 and std's now --yield Sleep(d)-->
///   Woke: std's elapsed --yield Now--> Now(t1): t1 - t0 --> the next sleep, or done
/// ```
fn sleeper(
    sleeps: Vec<Duration>,
    early: Rc<RefCell<Vec<String>>>,
) -> impl simul_coro::Coroutine<Reply<()>, Yield = Trap<()>, Return = ()> {
    let mut index = 0;
    // Set while a sleep is under way: (scheduler time, std time) at its start.
    let mut started: Option<(Instant, WallInstant)> = None;
    let mut by_std = Duration::ZERO;
    from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Now)),
        Reply::Woke => {
            let (_, wall) = started.expect("woken while not sleeping");
            by_std = wall.elapsed();
            Ok(Yielded(Trap::Now))
        }
        Reply::Now(now) => {
            if let Some((t0, _)) = started.take() {
                let asked = sleeps[index];
                let by_scheduler = now.saturating_duration_since(t0);
                if by_scheduler < asked || by_std < asked {
                    early.borrow_mut().push(format!(
                        "sleep {index} of {asked:?} lasted {by_scheduler:?} by the \
                         scheduler's clock, {by_std:?} by std's"
                    ));
                }
                index += 1;
            }
            match sleeps.get(index) {
                None => Ok(Complete(())),
                Some(&d) => {
                    started = Some((now, WallInstant::now()));
                    Ok(Yielded(Trap::Sleep(d)))
                }
            }
        }
        _ => Err(ResumeError::UnexpectedInput { expected: "Woke or Now" }),
    })
}

#[test]
fn a_thousand_sub_millisecond_sleeps_are_never_early_and_do_not_spin() {
    let (sweep, many) = sleeps();
    let mut s = Scheduler::<()>::new().unwrap();
    assert!(!s.clock().is_virtual());

    let early = Rc::new(RefCell::new(Vec::new()));
    s.run(sleeper(sweep, early.clone())).unwrap();
    assert!(early.borrow().is_empty(), "sleeps ended early: {:?}", early.borrow());

    let asked: Duration = many.iter().sum();
    let spin_ticks = (asked.as_millis() / 10) as u64;
    assert_eq!((many.len(), spin_ticks), (1_000, 36));
    let before = thread_cpu_ticks();
    let started = WallInstant::now();
    s.run(sleeper(many, early.clone())).unwrap();
    let elapsed = started.elapsed();
    let after = thread_cpu_ticks();
    assert!(early.borrow().is_empty(), "sleeps ended early: {:?}", early.borrow());
    assert!(elapsed >= asked, "{elapsed:?} for {asked:?} of sleeps, one after another");

    let (Some(before), Some(after)) = (before, after) else {
        return; // no per-thread CPU times here: the never-early half ran
    };
    let ticks = after - before;
    eprintln!("1,000 sleeps, {asked:?} asked: {elapsed:?}, {ticks} CPU ticks");
    assert!(ticks < spin_ticks / 2, "{ticks} ticks of CPU for {asked:?} of sleeps: a busy loop");
}
