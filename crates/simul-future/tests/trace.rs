//! What the runtime records under a `Recording`, in order, on the virtual
//! clock; and that nothing is recorded without one.

use std::time::Duration;

use simul_future::{Runtime, sleep, spawn, yield_now};
use simul_reactor::trace::{Recording, Trace, TraceKind, Wait};
use simul_reactor::{Clock, Instant};
use simul_scenario::{State, Timeline};

/// `main` spawns a sleeper and a yielder and joins both.
fn program(rt: &mut Runtime) {
    rt.block_on(async {
        let sleeper = spawn(async { sleep(Duration::from_secs(1)).await });
        let yielder = spawn(async { yield_now().await });
        sleeper.await.unwrap();
        yielder.await.unwrap();
    })
    .unwrap();
}

/// Every task event as (lane name, kind, seconds), the loop's own left out.
fn steps(trace: &Trace) -> Vec<(String, TraceKind, Duration)> {
    trace
        .events()
        .iter()
        .filter(|e| e.unit != simul_reactor::trace::Unit::LOOP)
        .map(|e| (trace.name(e.unit).into_owned(), e.kind, e.at.since_origin()))
        .collect()
}

#[test]
fn a_sleeper_and_a_yielder_record_their_whole_lives_in_order() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let recording = Recording::start().unwrap();
    program(&mut rt);
    let trace = recording.finish();
    let at1 = Instant::ZERO + Duration::from_secs(1);
    let s0 = Duration::ZERO;
    let s1 = Duration::from_secs(1);
    use TraceKind::*;
    let expected: Vec<(String, TraceKind, Duration)> = [
        ("main", Created, s0),
        ("main", Running, s0),
        ("#1", Created, s0),
        ("#2", Created, s0),
        ("main", Suspended(Wait::Join), s0),
        ("#1", Running, s0),
        ("#1", Suspended(Wait::Timer(at1)), s0),
        ("#2", Running, s0),
        ("#2", Suspended(Wait::Yield), s0),
        ("#2", Woken, s0),
        ("#2", Running, s0),
        ("#2", Finished, s0),
        ("#1", Woken, s1),
        ("#1", Running, s1),
        ("#1", Finished, s1),
        ("main", Woken, s1),
        ("main", Running, s1),
        ("main", Finished, s1),
    ]
    .into_iter()
    .map(|(n, k, t)| (n.to_string(), k, t))
    .collect();
    assert_eq!(steps(&trace), expected);

    let timeline = Timeline::from_trace(&trace);
    let sleeper = timeline.lanes.iter().find(|l| l.name == "#1").expect("the sleeper's lane");
    assert_eq!(sleeper.time_in(|s| matches!(s, State::Waiting(Wait::Timer(_)))), s1);
    let main = timeline.lanes.iter().find(|l| l.name == "main").expect("main's lane");
    assert_eq!(main.time_in(|s| s == State::Waiting(Wait::Join)), s1);
}

#[test]
fn an_aborted_task_and_a_panicking_one_end_their_lanes_so() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let recording = Recording::start().unwrap();
    rt.block_on(async {
        let stuck = spawn(std::future::pending::<()>());
        let boom = spawn(async { panic!("boom") });
        yield_now().await;
        stuck.abort();
        assert!(stuck.await.unwrap_err().is_cancelled());
        assert!(boom.await.unwrap_err().is_panic());
    })
    .unwrap();
    let ends: Vec<(String, TraceKind)> = steps(&recording.finish())
        .into_iter()
        .filter(|(_, k, _)| k.is_end())
        .map(|(n, k, _)| (n, k))
        .collect();
    assert_eq!(
        ends,
        [
            ("#2".to_string(), TraceKind::Panicked),
            ("#1".to_string(), TraceKind::Cancelled),
            ("main".to_string(), TraceKind::Finished),
        ]
    );
}

#[test]
fn a_wake_from_another_thread_is_recorded_on_the_loop() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let recording = Recording::start().unwrap();
    rt.block_on(async {
        let job = spawn(async { simul_future::spawn_blocking(|| 7).await.unwrap() });
        assert_eq!(job.await.unwrap(), 7);
    })
    .unwrap();
    let job: Vec<TraceKind> =
        steps(&recording.finish()).into_iter().filter(|(n, _, _)| n == "#1").map(|s| s.1).collect();
    use TraceKind::*;
    assert_eq!(job, [Created, Running, Suspended(Wait::Thread), Woken, Running, Finished]);
}

#[test]
fn nothing_is_recorded_without_a_recording_on_the_runtimes_thread() {
    // A recording runs (so the global switch is on), but on this thread:
    // a runtime on another thread must leave it empty.
    let recording = Recording::start().unwrap();
    std::thread::spawn(|| program(&mut Runtime::with_clock(Clock::new_virtual()).unwrap()))
        .join()
        .unwrap();
    assert!(recording.finish().events().is_empty());
}
