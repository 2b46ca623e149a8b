//! The three exports of a timeline, read back the way a viewer reads them:
//! the SVG as XML, the trace as JSON, the board as text.

mod util;

use std::time::Duration;

use simul_reactor::trace::{self, Recording, Source, TraceKind, Unit, Wait};
use simul_reactor::{Clock, Instant};
use simul_scenario::{State, Timeline};

/// A small program recorded for real: the seed's `nap` in miniature on
/// the virtual clock. `notify` beats every 200 ms; `nap` blocks the loop
/// for 1 s at 300 ms; `exit_after` waits 2 s.
fn nap_trace() -> simul_reactor::trace::Trace {
    let clock = Clock::new_virtual();
    let src = Source::next();
    let (notify, nap, exit) = (Unit::new(src, 1), Unit::new(src, 2), Unit::new(src, 3));
    let recording = Recording::start().unwrap();
    let at = |ms| Instant::ZERO + Duration::from_millis(ms);
    for (u, name) in [(notify, "notify_every"), (nap, "blocking_wait_for"), (exit, "exit_after")] {
        trace::record(&clock, u, TraceKind::Created);
        trace::name(u, name);
    }
    trace::record(&clock, exit, TraceKind::Running);
    trace::record(&clock, exit, TraceKind::Suspended(Wait::Timer(at(2000))));
    let mut next_beat = 0;
    let mut napped = false;
    while clock.now() < at(2000) {
        if clock.now() >= at(next_beat) {
            trace::record(&clock, notify, TraceKind::Running);
            next_beat += 200;
            trace::record(&clock, notify, TraceKind::Suspended(Wait::Timer(at(next_beat))));
        }
        if !napped && clock.now() >= at(300) {
            trace::record(&clock, nap, TraceKind::Running);
            clock.block_for(Duration::from_secs(1));
            trace::record(&clock, nap, TraceKind::Finished);
            napped = true;
            continue;
        }
        let wake = if napped { at(next_beat).min(at(2000)) } else { at(next_beat).min(at(300)) };
        clock.advance_to(wake).unwrap();
        if clock.now() >= at(next_beat) {
            trace::record(&clock, notify, TraceKind::Woken);
        }
    }
    trace::record(&clock, exit, TraceKind::Woken);
    trace::record(&clock, exit, TraceKind::Running);
    trace::record(&clock, exit, TraceKind::Finished);
    recording.finish()
}

#[test]
fn blocking_is_charged_to_the_unit_that_ran_and_durations_add_up() {
    let tl = Timeline::from_trace(&nap_trace());
    assert_eq!(tl.duration(), Duration::from_secs(2));
    let names: Vec<&str> = tl.lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["notify_every", "blocking_wait_for", "exit_after"]);
    let nap = &tl.lanes[1];
    assert_eq!(nap.time_in(|s| s == State::Blocked), Duration::from_secs(1));
    assert_eq!(nap.segments.last().unwrap().end, Duration::from_millis(1300));
    // Every lane is gap-free and in order from its first segment to its last.
    for lane in &tl.lanes {
        for w in lane.segments.windows(2) {
            assert_eq!(w[0].end, w[1].start, "{}: {:?}", lane.name, lane.segments);
        }
    }
    // The notifier's beat at 400 ms came due during the nap: it became
    // ready at 1.3 s, not before (the loop was frozen).
    let notify = &tl.lanes[0];
    let waited_through = notify
        .segments
        .iter()
        .find(|s| s.start <= Duration::from_millis(400) && s.end > Duration::from_millis(400))
        .unwrap();
    assert!(matches!(waited_through.state, State::Waiting(Wait::Timer(_))), "{waited_through:?}");
    assert_eq!(waited_through.end, Duration::from_millis(1300));
}

#[test]
fn nothing_is_recorded_without_a_recording() {
    let clock = Clock::new_virtual();
    let u = Unit::new(Source::next(), 1);
    trace::record(&clock, u, TraceKind::Running);
    trace::name_current("ghost");
    assert_eq!(trace::current(), None);
    let r = Recording::start().unwrap();
    assert!(r.finish().events().is_empty());
}

#[test]
fn chrome_json_parses_and_matches_the_lanes() {
    let tl = Timeline::from_trace(&nap_trace());
    let json = tl.chrome_json("nap \"miniature\"");
    util::check_chrome(&json, &tl).unwrap();
}

#[test]
fn svg_is_well_formed_with_a_lane_per_unit() {
    let tl = Timeline::from_trace(&nap_trace());
    let svg = tl.svg("nap <miniature> & friends");
    util::check_svg(&svg, &tl).unwrap();
    // The validator itself rejects what a browser would.
    assert!(util::parse_xml("<svg><g></svg>").is_err());
    assert!(util::parse_xml("<svg a=1/>").is_err());
    assert!(util::parse_json("{\"a\":[1,2,]}").is_err());
}

#[test]
fn board_draws_the_frozen_loop() {
    let tl = Timeline::from_trace(&nap_trace());
    let board = tl.board(70);
    let row =
        |name: &str| board.lines().find(|l| l.trim_start().starts_with(name)).unwrap().to_string();
    let nap = row("blocking_wait_for");
    let hashes = nap.matches('#').count();
    // 1 s of 2 s over ~50 columns: about half of them.
    assert!((20..=30).contains(&hashes), "{board}");
    assert!(row("notify_every").contains('='), "{board}");
    assert!(board.lines().count() >= 5, "axis, ticks, three lanes, legend");
}

#[test]
fn many_lanes_are_capped_with_a_count() {
    let clock = Clock::new_virtual();
    let src = Source::next();
    let r = Recording::start().unwrap();
    for i in 0..1000 {
        let u = Unit::new(src, i);
        trace::record(&clock, u, TraceKind::Running);
        clock.advance(Duration::from_micros(1)).unwrap();
        trace::record(&clock, u, TraceKind::Finished);
    }
    let tl = Timeline::from_trace(&r.finish());
    assert_eq!(tl.lanes.len(), 1000);
    assert!(tl.board(80).contains("and 960 more lanes"));
    let svg = tl.svg("many");
    util::check_svg(&svg, &tl).unwrap();
    util::check_chrome(&tl.chrome_json("many"), &tl).unwrap();
}

#[test]
fn window_clips_to_the_first_minutes() {
    let tl = Timeline::from_trace(&nap_trace());
    let w = tl.window(Duration::from_millis(200), Duration::from_millis(500));
    assert_eq!(w.duration(), Duration::from_millis(300));
    for lane in &w.lanes {
        let total: Duration = lane.segments.iter().map(|s| s.len()).sum();
        assert!(total <= Duration::from_millis(300));
    }
}
