//! What the loop records when a trace recording runs: a unit is a chain of
//! callbacks, and each step of it lands in the trace with its time.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::EventLoop;
use simul_reactor::trace::{Recording, Trace, TraceKind, Unit, Wait, name_current};
use simul_reactor::{Clock, Instant};
use simul_scenario::{Options, Scenario, State, Timeline};

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/chess_callback.rs"]
mod chess;

/// The events of the loop's units (not the reactor's own idle polls), as
/// (name, kind, time).
fn steps(trace: &Trace) -> Vec<(String, TraceKind, Duration)> {
    trace
        .events()
        .iter()
        .filter(|e| e.unit != Unit::LOOP)
        .map(|e| (trace.name(e.unit).into_owned(), e.kind, e.at.since_origin()))
        .collect()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn a_sleeper_and_a_yielder_step_by_step() {
    let recording = Recording::start().unwrap();
    let mut lp = EventLoop::with_clock(Clock::new_virtual()).unwrap();
    let done = Rc::new(Cell::new(0));
    let d = done.clone();
    lp.call_soon(move |lp| {
        name_current("sleeper");
        lp.call_later(secs(1), move |_| d.set(d.get() + 1));
    });
    let d = done.clone();
    lp.call_soon(move |lp| {
        name_current("yielder");
        lp.call_soon(move |_| d.set(d.get() + 1));
    });
    lp.run_until(|_| done.get() == 2).unwrap();
    let trace = recording.finish();

    use TraceKind::*;
    let s = |name: &str, kind, at| (name.to_string(), kind, at);
    let z = Duration::ZERO;
    let at1 = Instant::ZERO + secs(1);
    assert_eq!(
        steps(&trace),
        [
            s("sleeper", Created, z),
            s("yielder", Created, z),
            s("sleeper", Running, z),
            s("sleeper", Suspended(Wait::Timer(at1)), z),
            s("yielder", Running, z),
            s("yielder", Suspended(Wait::Yield), z),
            s("yielder", Woken, z),
            s("yielder", Running, z),
            s("yielder", Finished, z),
            s("sleeper", Woken, secs(1)),
            s("sleeper", Running, secs(1)),
            s("sleeper", Finished, secs(1)),
        ]
    );

    let timeline = Timeline::from_trace(&trace);
    let lane = timeline.lanes.iter().find(|l| l.name == "sleeper").expect("a sleeper lane");
    let states: Vec<State> = lane.segments.iter().map(|s| s.state).collect();
    assert_eq!(states, [State::Running, State::Waiting(Wait::Timer(at1)), State::Running]);
    assert_eq!(lane.segments[1].len(), secs(1));
    assert_eq!(lane.time_in(|s| matches!(s, State::Waiting(_))), secs(1));
}

#[test]
fn default_names_cancelled_and_panicked_units() {
    let recording = Recording::start().unwrap();
    let mut lp = EventLoop::with_clock(Clock::new_virtual()).unwrap();
    lp.set_exception_handler(|_, _| {});
    let line = line!() + 1;
    let timer = lp.call_later(secs(5), |_| unreachable!("cancelled"));
    lp.call_soon(|_| panic!("on purpose"));
    lp.call_soon(move |lp| {
        name_current("canceller");
        assert!(timer.cancel(lp));
    });
    lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
    let trace = recording.finish();

    use TraceKind::*;
    let steps = steps(&trace);
    let timer_name = format!("trace.rs:{line}");
    let of = |name: &str| -> Vec<TraceKind> {
        steps.iter().filter(|(n, ..)| n == name).map(|(_, k, _)| *k).collect()
    };
    assert_eq!(
        of(&timer_name),
        [Created, Suspended(Wait::Timer(Instant::ZERO + secs(5))), Cancelled],
        "{steps:?}"
    );
    assert_eq!(of(&format!("trace.rs:{}", line + 1)), [Created, Running, Panicked]);
    assert_eq!(of("canceller"), [Created, Running, Finished]);
}

#[test]
fn a_reader_suspends_on_its_fd() {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    let (mut rx, mut tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    let fd = rx.as_raw_fd();
    let recording = Recording::start().unwrap();
    let mut lp = EventLoop::new().unwrap();
    lp.call_soon(move |lp| {
        name_current("reader");
        lp.add_reader(fd, move |lp| {
            let mut buf = [0; 8];
            let _ = rx.read(&mut buf);
            lp.remove_reader(fd);
            lp.stop();
        })
        .unwrap();
    });
    tx.write_all(b"ping").unwrap();
    lp.run_forever().unwrap();
    let trace = recording.finish();
    let kinds: Vec<TraceKind> = steps(&trace).into_iter().map(|(_, k, _)| k).collect();
    use TraceKind::*;
    assert_eq!(kinds, [Created, Running, Suspended(Wait::Readable(fd)), Woken, Running, Finished]);
}

#[test]
fn nothing_is_recorded_without_a_recording_on_the_loops_thread() {
    // A recording on this thread; the loop runs on another, which records
    // nothing.
    let recording = Recording::start().unwrap();
    std::thread::spawn(|| {
        let mut lp = EventLoop::with_clock(Clock::new_virtual()).unwrap();
        lp.call_later(secs(1), |lp| {
            name_current("unseen");
            lp.stop();
        });
        lp.run_forever().unwrap();
    })
    .join()
    .unwrap();
    let trace = recording.finish();
    assert!(trace.events().is_empty(), "{:?}", trace.events());
}

#[test]
fn the_chess_trace_has_a_lane_per_board() {
    let opts = Options { trace: true, ..Options::new(Scenario::Chess) };
    let out = simul_scenario::quietly(|| chess::scenario(&opts)).unwrap();
    let timeline = Timeline::from_trace(out.traces.get("simul").expect("the simul's trace"));
    let mut boards: Vec<&str> = timeline
        .lanes
        .iter()
        .map(|l| l.name.as_str())
        .filter(|n| n.starts_with("board "))
        .collect();
    boards.sort_by_key(|n| n[6..].parse::<u32>().unwrap_or(0));
    let want: Vec<String> = (1..=24).map(|i| format!("board {i}")).collect();
    assert_eq!(boards, want);
    // Each board waits at least 55 s for every one of its 30 replies
    // (longer when the reply is due while Judit is at another board: the
    // loop sees the due timer only when her move there returns).
    let board = timeline.lanes.iter().find(|l| l.name == "board 1").unwrap();
    let waited = board.time_in(|s| matches!(s, State::Waiting(Wait::Timer(_))));
    assert!(waited >= secs(55 * 30), "{waited:?}");
    assert_eq!(board.time_in(|s| s == State::Blocked), secs(5 * 30));
    assert_eq!(timeline.duration(), secs(3655));
}
