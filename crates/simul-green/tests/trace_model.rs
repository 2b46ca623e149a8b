//! The hub's steps in the shared trace model (`simul_reactor::trace`):
//! the exact sequence a small program records under the virtual clock,
//! the lanes a timeline draws from it, the mapping of every kind of wait
//! and end, and that nothing is recorded without a recording.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use simul_green::{Event, Hub};
use simul_reactor::trace::{self, Recording, Trace, TraceKind, Unit, Wait};
use simul_reactor::{Clock, Instant, Interest};
use simul_scenario::{Options, Scenario, State, Timeline};

#[path = "../examples/chess_green.rs"]
mod chess;

const SECOND: Duration = Duration::from_secs(1);

fn at(d: Duration) -> Instant {
    Instant::ZERO + d
}

/// `(name, kind, time)` of the events of `hub`'s units, in order (the
/// reactor's own idle polls on the loop's lane are left out).
fn steps(trace: &Trace, hub: &Hub) -> Vec<(String, TraceKind, Instant)> {
    let source = hub.unit(simul_green::GreenId::MAIN).source();
    trace
        .events()
        .iter()
        .filter(|e| e.unit.source() == source)
        .map(|e| (trace.name(e.unit).into_owned(), e.kind, e.at))
        .collect()
}

/// Main spawns `sleeper` (sleeps 1 s) and `yielder` (yields once, then
/// returns) and joins them.
fn two_units(hub: &Hub) {
    hub.run(|| {
        let sleeper =
            simul_green::spawn_named("sleeper", || simul_green::sleep(SECOND)).expect("spawn");
        let yielder = simul_green::spawn(|| {
            trace::name_current("yielder");
            simul_green::yield_now()
        })
        .expect("spawn");
        sleeper.join().expect("join").expect("sleep");
        yielder.join().expect("join").expect("yield");
    })
    .expect("run");
}

#[test]
fn two_units_record_their_exact_steps() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    let recording = Recording::start().unwrap();
    two_units(&hub);
    let trace = recording.finish();
    use TraceKind::*;
    let s = |name: &str, kind, t| (name.to_string(), kind, at(t));
    let zero = Duration::ZERO;
    assert_eq!(
        steps(&trace, &hub),
        [
            s("main", Running, zero),
            s("sleeper", Created, zero),
            s("yielder", Created, zero),
            s("main", Suspended(Wait::Join), zero),
            s("sleeper", Running, zero),
            s("sleeper", Suspended(Wait::Timer(at(SECOND))), zero),
            s("yielder", Running, zero),
            s("yielder", Suspended(Wait::Yield), zero),
            s("yielder", Woken, zero),
            // Alone in the ready queue: picked again without a switch.
            s("yielder", Running, zero),
            s("yielder", Finished, zero),
            s("sleeper", Woken, SECOND),
            s("sleeper", Running, SECOND),
            s("sleeper", Finished, SECOND),
            s("main", Woken, SECOND),
            s("main", Running, SECOND),
            // The yielder is done already: the second join does not park.
            s("main", Finished, SECOND),
        ]
    );
    // Green thread ids are the units' local ids.
    let units: Vec<u64> = trace
        .units()
        .into_iter()
        .filter(|u| u.source() == hub.unit(simul_green::GreenId::MAIN).source())
        .map(Unit::local)
        .collect();
    assert_eq!(units, [0, 1, 2]);
}

#[test]
fn the_timeline_shows_who_waited_for_what_and_how_long() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    let recording = Recording::start().unwrap();
    two_units(&hub);
    let timeline = Timeline::from_trace(&recording.finish());
    let lane = |name: &str| {
        timeline.lanes.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("lane {name}"))
    };
    let sleeper = lane("sleeper");
    let states: Vec<State> =
        sleeper.segments.iter().filter(|s| !s.is_empty()).map(|s| s.state).collect();
    assert_eq!(states, [State::Waiting(Wait::Timer(at(SECOND)))]);
    assert_eq!(sleeper.time_in(|s| matches!(s, State::Waiting(Wait::Timer(_)))), SECOND);
    assert_eq!(sleeper.time_in(|s| s == State::Running), Duration::ZERO);
    let main = lane("main");
    assert_eq!(main.time_in(|s| s == State::Waiting(Wait::Join)), SECOND);
    assert_eq!(lane("yielder").time_in(|_| true), Duration::ZERO);
    assert_eq!(timeline.duration(), SECOND);
}

#[test]
fn blocking_work_is_charged_to_the_green_thread_that_blocks() {
    let clock = Clock::new_virtual();
    let hub = Hub::with_clock(clock.clone()).unwrap();
    let recording = Recording::start().unwrap();
    hub.run(|| {
        let c = clock.clone();
        simul_green::spawn_named("judit", move || c.block_for(5 * SECOND))
            .expect("spawn")
            .join()
            .expect("join");
    })
    .unwrap();
    let trace = recording.finish();
    let blocked: Vec<(String, TraceKind)> = steps(&trace, &hub)
        .into_iter()
        .filter(|(_, k, _)| matches!(k, TraceKind::Blocked(_)))
        .map(|(n, k, _)| (n, k))
        .collect();
    assert_eq!(blocked, [("judit".to_string(), TraceKind::Blocked(5 * SECOND))]);
}

#[test]
fn every_wait_and_every_end_has_its_kind() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    let recording = Recording::start().unwrap();
    let (reader, _writer) = simul_green::net::pipe().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&reader);
    hub.run(|| {
        let event = Event::new();
        let e = event.clone();
        let waiter = simul_green::spawn_named("waiter", move || e.wait()).unwrap();
        let reading = simul_green::spawn_named("reading", move || {
            simul_green::wait_fd(fd, Interest::READABLE)
        })
        .unwrap();
        let panicker = simul_green::spawn_named("panicker", || panic!("on purpose")).unwrap();
        let never = simul_green::spawn_named("never", || ()).unwrap();
        never.kill().unwrap(); // before it ever ran
        simul_green::yield_now().unwrap(); // let the others park (or panic)
        event.set();
        waiter.join().unwrap().unwrap();
        reading.kill().unwrap(); // parked on the pipe, nobody writes
        assert!(panicker.join().is_err());
    })
    .unwrap();
    let trace = recording.finish();
    let kinds = |name: &str| -> Vec<TraceKind> {
        steps(&trace, &hub).into_iter().filter(|(n, _, _)| n == name).map(|(_, k, _)| k).collect()
    };
    use TraceKind::*;
    assert_eq!(
        kinds("waiter"),
        [Created, Running, Suspended(Wait::Sync), Woken, Running, Finished]
    );
    assert_eq!(
        kinds("reading"),
        [Created, Running, Suspended(Wait::Readable(fd)), Woken, Running, Cancelled]
    );
    assert_eq!(kinds("panicker"), [Created, Running, Panicked]);
    assert_eq!(kinds("never"), [Created, Cancelled]);
}

#[test]
fn nothing_is_recorded_without_a_recording() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    assert!(!trace::enabled());
    two_units(&hub);
    // A recording started afterwards sees none of it.
    let recording = Recording::start().unwrap();
    assert!(recording.finish().events().is_empty());
}

#[test]
fn the_hook_and_the_model_record_side_by_side() {
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = log.clone();
    let hub = Hub::builder()
        .clock(Clock::new_virtual())
        .trace(move |e| sink.borrow_mut().push(*e))
        .build()
        .unwrap();
    let recording = Recording::start().unwrap();
    two_units(&hub);
    let trace = recording.finish();
    let spawns =
        log.borrow().iter().filter(|e| matches!(e, simul_green::TraceEvent::Spawn { .. })).count();
    let created = trace.events().iter().filter(|e| e.kind == TraceKind::Created).count();
    assert_eq!((spawns, created), (2, 2));
}

#[test]
fn tracing_the_chess_simul_names_twenty_four_boards() {
    let opts = Options { trace: true, ..Options::new(Scenario::Chess) };
    let outcome = chess::scenario(&opts).unwrap();
    assert!(outcome.row().ok, "{}", outcome.row());
    let timeline = Timeline::from_trace(outcome.traces.get("simul").expect("simul traced"));
    let names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    for b in 1..=24 {
        assert!(names.contains(&format!("board {b}").as_str()), "board {b} in {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("board ")).count(), 24);
    // Judit's 720 moves of 5 s are blocking work, charged to the board
    // she plays at (she is the loop: no lane of her own).
    // (The loop's lane shows the same time as frozen: count the units.)
    let judit: Duration = timeline
        .lanes
        .iter()
        .filter(|l| l.unit != simul_reactor::trace::Unit::LOOP)
        .map(|l| l.time_in(|s| s == State::Blocked))
        .sum();
    assert_eq!(judit, Duration::from_secs(3600));
}
