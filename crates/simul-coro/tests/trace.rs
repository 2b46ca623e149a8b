//! The scheduler's reports to the shared trace model
//! (`simul_reactor::trace`): the exact events of a small program, the
//! lanes a timeline makes of them, nothing recorded when nobody records,
//! and the lanes the chess example names.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/chess_coro.rs"]
mod chess_coro;

use std::time::Duration;

use simul_coro::CoroutineState::{Complete, Yielded};
use simul_coro::{JoinError, Reply, ResumeError, Scheduler, TaskId, Trap, from_fn};
use simul_reactor::trace::{self, Recording, Trace, TraceKind, Unit, Wait};
use simul_reactor::{Clock, Instant};
use simul_scenario::{Options, Scenario, State, Timeline};

use TraceKind::{Blocked, Created, Finished, Running, Suspended, Woken};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at(n: u64) -> Instant {
    Instant::ZERO + ms(n)
}

/// The trace's events of the scheduler's tasks (not the loop's own lane),
/// as (lane name, kind, time).
fn steps(trace: &Trace) -> Vec<(String, TraceKind, Instant)> {
    trace
        .events()
        .iter()
        .filter(|e| e.unit != Unit::LOOP)
        .map(|e| (trace.name(e.unit).into_owned(), e.kind, e.at))
        .collect()
}

/// Two tasks: `sleeper` blocks 250 ms then sleeps 1 s; `yielder` yields
/// once and returns. Returns the scheduler (for its units) and the ids.
fn two_tasks(clock: Clock) -> (Scheduler<()>, TaskId, TaskId) {
    let mut s = Scheduler::<()>::with_clock(clock.clone()).unwrap();
    let sleeper = s.spawn(from_fn(move |r: Reply<()>| match r {
        Reply::Start => {
            clock.block_for(ms(250));
            Ok(Yielded(Trap::Sleep(Duration::from_secs(1))))
        }
        _ => Ok(Complete(())),
    }));
    trace::name(s.unit(sleeper), "sleeper");
    let yielder = s.spawn(from_fn(|r: Reply<()>| match r {
        Reply::Start => {
            trace::name_current("yielder");
            Ok(Yielded(Trap::YieldNow))
        }
        _ => Ok(Complete(())),
    }));
    (s, sleeper, yielder)
}

#[test]
fn a_sleeper_and_a_yielder_report_every_step_at_its_exact_time() {
    let recording = Recording::start().unwrap();
    let (mut s, _, _) = two_tasks(Clock::new_virtual());
    s.run_all().unwrap();
    let trace = recording.finish();
    let step = |name: &str, kind, t| (name.to_string(), kind, at(t));
    assert_eq!(
        steps(&trace),
        [
            step("sleeper", Created, 0),
            step("yielder", Created, 0),
            step("sleeper", Running, 0),
            step("sleeper", Blocked(ms(250)), 0),
            step("sleeper", Suspended(Wait::Timer(at(1250))), 250),
            step("yielder", Running, 250),
            step("yielder", Suspended(Wait::Yield), 250),
            step("yielder", Woken, 250),
            step("yielder", Running, 250),
            step("yielder", Finished, 250),
            step("sleeper", Woken, 1250),
            step("sleeper", Running, 1250),
            step("sleeper", Finished, 1250),
        ]
    );
}

#[test]
fn the_timeline_shows_the_sleepers_blocking_then_its_timer() {
    let recording = Recording::start().unwrap();
    let (mut s, sleeper, yielder) = two_tasks(Clock::new_virtual());
    s.run_all().unwrap();
    let timeline = Timeline::from_trace(&recording.finish());
    let lane = |unit| timeline.lanes.iter().find(|l| l.unit == unit).unwrap();

    let sleeping = lane(s.unit(sleeper));
    assert_eq!(sleeping.name, "sleeper");
    let spans: Vec<(State, Duration, Duration)> = sleeping
        .segments
        .iter()
        .filter(|seg| !seg.is_empty())
        .map(|seg| (seg.state, seg.start, seg.end))
        .collect();
    assert_eq!(
        spans,
        [
            (State::Blocked, ms(0), ms(250)),
            (State::Waiting(Wait::Timer(at(1250))), ms(250), ms(1250))
        ]
    );

    // The yielder waited its turn while the sleeper blocked the loop.
    let yielding = lane(s.unit(yielder));
    assert_eq!(yielding.name, "yielder");
    assert_eq!(yielding.time_in(|st| st == State::Ready), ms(250));
    assert_eq!(yielding.time_in(|st| st == State::Running), Duration::ZERO);
}

#[test]
fn joins_parks_cancels_and_failures_have_their_own_kinds() {
    let recording = Recording::start().unwrap();
    let mut s = Scheduler::<()>::with_clock(Clock::new_virtual()).unwrap();
    let parked = s.spawn(from_fn(|_: Reply<()>| Ok(Yielded(Trap::Park))));
    let panics = s.spawn(from_fn(|r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::YieldNow)),
        _ => panic!("boom"),
    }));
    let fails = s.spawn(from_fn(|_: Reply<()>| Err(ResumeError::AfterCompletion)));
    let joiner = s.spawn(from_fn(move |r: Reply<()>| match r {
        Reply::Start => Ok(Yielded(Trap::Join(panics))),
        Reply::Joined(Err(JoinError::Panicked(_))) => Ok(Yielded(Trap::Cancel(parked))),
        _ => Ok(Complete(())),
    }));
    s.run_all().unwrap();
    let trace = recording.finish();
    let kinds = |id| -> Vec<TraceKind> {
        let unit = s.unit(id);
        trace.events().iter().filter(|e| e.unit == unit).map(|e| e.kind).collect()
    };
    assert_eq!(kinds(parked), [Created, Running, Suspended(Wait::Sync), TraceKind::Cancelled]);
    assert_eq!(
        kinds(panics),
        [Created, Running, Suspended(Wait::Yield), Woken, Running, TraceKind::Panicked]
    );
    // A coroutine's own error is an abnormal end, as a panic is.
    assert_eq!(kinds(fails), [Created, Running, TraceKind::Panicked]);
    assert_eq!(kinds(joiner), [Created, Running, Suspended(Wait::Join), Woken, Running, Finished]);
    assert_eq!(trace.name(s.unit(joiner)), "task 3", "the default name");
}

#[test]
fn nothing_is_recorded_on_a_thread_that_does_not_record() {
    // Another thread records meanwhile: the process-wide counter is up, so
    // this checks the per-thread switch, not only the fast path.
    let (started, wait_started) = std::sync::mpsc::channel();
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let recording = Recording::start().unwrap();
        started.send(()).unwrap();
        wait_done.recv().unwrap();
        recording.finish()
    });
    wait_started.recv().unwrap();
    let (mut s, _, _) = two_tasks(Clock::new_virtual());
    s.run_all().unwrap();
    assert!(!trace::enabled());
    assert_eq!(trace::current(), None);
    done.send(()).unwrap();
    let theirs = other.join().unwrap();
    assert!(theirs.events().is_empty(), "{:?}", theirs.events());

    // And a recording started afterwards starts empty.
    let recording = Recording::start().unwrap();
    assert!(recording.finish().events().is_empty());
}

#[test]
fn tracing_the_chess_simul_names_twenty_four_board_lanes() {
    let opts = Options { trace: true, ..Options::new(Scenario::Chess) };
    let out = simul_scenario::quietly(|| chess_coro::scenario(&opts)).unwrap();
    assert!(out.row().ok);

    let simul = Timeline::from_trace(out.traces.get("simul").unwrap());
    let boards: Vec<&str> =
        simul.lanes.iter().map(|l| l.name.as_str()).filter(|n| n.starts_with("board ")).collect();
    let expected: Vec<String> = (1..=24).map(|b| format!("board {b}")).collect();
    assert_eq!(boards, expected);
    // Judit's 30 moves at every board are blocking work: 30 x 5 s each.
    for lane in simul.lanes.iter().filter(|l| l.name.starts_with("board ")) {
        assert_eq!(
            lane.time_in(|s| s == State::Blocked),
            Duration::from_secs(150),
            "{}",
            lane.name
        );
    }

    let sequential = Timeline::from_trace(out.traces.get("sequential").unwrap());
    let names: Vec<&str> = sequential.lanes.iter().map(|l| l.name.as_str()).collect();
    assert!(names.contains(&"judit"), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("board ")).count(), 24);
}
