//! The seed scenarios' figures, exactly, under the virtual clock, in both
//! forms (hand-written futures and `async fn`). The tests run the
//! examples' own `run` functions (the example files are included as
//! modules), not a copy of them; the real-clock scenarios run with small
//! sizes and are checked for completion, byte-exactness and wide margins.
//! Each example's `scenario()` (what `cargo run --example` and the tour
//! run) must also give a row that agrees with the seed.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use simul_scenario::{Options, Scenario, Timeline};

#[path = "../examples/blocking_io_async.rs"]
mod blocking_io_async;
#[path = "../examples/blocking_io_future.rs"]
mod blocking_io_future;
#[path = "../examples/cake_async.rs"]
mod cake_async;
#[path = "../examples/cake_future.rs"]
mod cake_future;
#[path = "../examples/chess_async.rs"]
mod chess_async;
#[path = "../examples/chess_future.rs"]
mod chess_future;
#[path = "../examples/count_async.rs"]
mod count_async;
#[path = "../examples/count_future.rs"]
mod count_future;
#[path = "../examples/cpu_bound_async.rs"]
mod cpu_bound_async;
#[path = "../examples/cpu_bound_future.rs"]
mod cpu_bound_future;
#[path = "../examples/echo_async.rs"]
mod echo_async;
#[path = "../examples/echo_future.rs"]
mod echo_future;
#[path = "../examples/five_waits_async.rs"]
mod five_waits_async;
#[path = "../examples/five_waits_future.rs"]
mod five_waits_future;
#[path = "../examples/nap_async.rs"]
mod nap_async;
#[path = "../examples/nap_future.rs"]
mod nap_future;

/// Runs the same assertions on a scenario's two forms: `$body` sees the
/// example module as `$m` (each form has its own `Figures` type).
macro_rules! both_forms {
    ($future:ident, $async_:ident, |$m:ident| $body:block) => {{
        {
            use $future as $m;
            $body
        }
        {
            use $async_ as $m;
            $body
        }
    }};
}

#[test]
fn count_one_one_one_two_two_two_in_one_second() {
    both_forms!(count_future, count_async, |m| {
        let coop = m::run(false, false).unwrap();
        assert_eq!(coop.words, ["One", "One", "One", "Two", "Two", "Two"]);
        assert_eq!(coop.took, Duration::from_secs(1));
        let blocking = m::run(true, false).unwrap();
        assert_eq!(blocking.words, ["One", "Two", "One", "Two", "One", "Two"]);
        assert_eq!(blocking.took, Duration::from_secs(3));
    });
}

#[test]
fn five_waits_three_seconds_versus_fifteen() {
    both_forms!(five_waits_future, five_waits_async, |m| {
        let coop = m::run(false, false).unwrap();
        assert_eq!(coop.starts, [Duration::ZERO; 5]);
        assert_eq!(coop.total, Duration::from_secs(3));
        let blocking = m::run(true, false).unwrap();
        let three = |n: u64| Duration::from_secs(3 * n);
        assert_eq!(blocking.starts, [three(0), three(1), three(2), three(3), three(4)]);
        assert_eq!(blocking.total, Duration::from_secs(15));
    });
}

#[test]
fn chess_twelve_hours_versus_3655_seconds() {
    both_forms!(chess_future, chess_async, |m| {
        let f = m::run(false, 1).unwrap();
        assert_eq!(f.sequential, Duration::from_secs(12 * 3600));
        assert_eq!(f.simul, Duration::from_secs(3655));
    });
}

#[test]
fn cake_eighty_minutes_versus_sixty_groceries_at_thirty_five() {
    both_forms!(cake_future, cake_async, |m| {
        let seq = m::run(false, false, 1.0).unwrap();
        assert_eq!(
            seq.log,
            [
                ("dough ready, cake in the oven", 15.0),
                ("cake baked", 60.0),
                ("off to the shop", 60.0),
                ("groceries bought", 80.0)
            ]
        );
        assert_eq!(seq.total, 80.0);
        let coop = m::run(true, false, 1.0).unwrap();
        assert_eq!(
            coop.log,
            [
                ("dough ready, cake in the oven", 15.0),
                ("off to the shop", 15.0),
                ("groceries bought", 35.0),
                ("cake baked", 60.0)
            ]
        );
        assert_eq!(coop.total, 60.0);
    });
}

#[test]
fn nap_blocking_starves_the_notifier_friendly_does_not() {
    both_forms!(nap_future, nap_async, |m| {
        // Blocking: one Notify! at 0 s, none during the 4 s nap, then the
        // late timer fires at 4.0 s and every 0.2 s until exit at 5 s.
        let blocking = m::run(false, false).unwrap();
        assert_eq!((blocking.during_nap, blocking.total), (0, 6));
        assert_eq!(blocking.slept, Duration::from_secs(4));
        // Friendly: one Notify! after each of the ten parts; the nap takes
        // its 2 s plus ten 1 ms pauses.
        let friendly = m::run(true, false).unwrap();
        assert_eq!((friendly.during_nap, friendly.total), (10, 25));
        assert_eq!(friendly.slept, Duration::from_millis(2010));
    });
}

#[test]
fn cpu_bound_on_the_loop_starves_the_heartbeat_for_the_whole_run() {
    both_forms!(cpu_bound_future, cpu_bound_async, |m| {
        // Small jobs (tens of ms each in debug builds); real clock.
        const UNITS: u64 = 4_000_000;
        for mode in m::Mode::ALL {
            let f = m::run(mode, UNITS).unwrap();
            assert_eq!(f.results.len(), 4, "{mode:?}: every job finished");
            assert!(f.results.windows(2).all(|w| w[0] == w[1]), "{mode:?}: same work each");
            if mode == m::Mode::OnTheLoop {
                // Nothing polls the heartbeat while the four jobs run back
                // to back: it is late by about all of them (wide margin).
                // (The first beat was armed before the jobs began: allow it.)
                assert!(f.starved + Duration::from_millis(20) >= f.elapsed / 2, "{f:?}");
            }
        }
    });
}

#[test]
fn blocking_io_takes_k_times_d_blocking_and_about_d_not() {
    both_forms!(blocking_io_future, blocking_io_async, |m| {
        // 300 ms, not less: the upper bound below leaves 450 ms of slack
        // for a loaded 2-core CI machine running tests in parallel.
        let delay = Duration::from_millis(300);
        let addrs = m::start_servers(3, delay).unwrap();
        let blocking = m::run(&addrs, true).unwrap();
        assert_eq!(blocking.ok, 3);
        // Each reply waited for in turn: at least K x d, and the heartbeat
        // stalled for about as long.
        assert!(blocking.elapsed >= delay * 3, "{blocking:?}");
        assert!(blocking.gap >= delay * 2, "{blocking:?}");
        let nonblocking = m::run(&addrs, false).unwrap();
        assert_eq!(nonblocking.ok, 3);
        // All in flight together: at least d, and (wide margin) well under K x d.
        assert!(nonblocking.elapsed >= delay, "{nonblocking:?}");
        assert!(nonblocking.elapsed < delay * 5 / 2, "{nonblocking:?}");
    });
}

#[test]
fn echo_every_byte_comes_back() {
    both_forms!(echo_future, echo_async, |m| {
        let load = m::Load { conns: 20, rounds: 10, size: 3000 };
        let f = m::run(load).unwrap();
        assert_eq!(f.conns, 20);
        assert_eq!(f.round_trips, 200);
        assert_eq!(f.bytes, 200 * 3000);
    });
}

/// The options `cargo run --example <x>` would get with no flags, plus
/// `--quick` for the real-clock scenarios (small sizes).
fn options(scenario: Scenario, quick: bool, trace: bool) -> Options {
    Options { quick, trace, ..Options::new(scenario) }
}

/// `scenario()` of both forms of each scenario agrees with the seed.
macro_rules! rows_ok {
    ($name:ident, $scenario:expr, $quick:expr, $future:ident, $async_:ident) => {
        #[test]
        fn $name() {
            both_forms!($future, $async_, |m| {
                let outcome = m::scenario(&options($scenario, $quick, false)).unwrap();
                let row = outcome.row();
                assert!(row.ok, "{}: {row:?}", stringify!($name));
                assert_eq!(outcome.exact, !$quick, "virtual clock unless real-only");
            });
        }
    };
}

rows_ok!(count_row_ok, Scenario::Count, false, count_future, count_async);
rows_ok!(five_waits_row_ok, Scenario::FiveWaits, false, five_waits_future, five_waits_async);
rows_ok!(nap_row_ok, Scenario::Nap, false, nap_future, nap_async);
rows_ok!(cake_row_ok, Scenario::Cake, false, cake_future, cake_async);
rows_ok!(chess_row_ok, Scenario::Chess, false, chess_future, chess_async);
rows_ok!(cpu_bound_row_ok, Scenario::CpuBound, true, cpu_bound_future, cpu_bound_async);
rows_ok!(blocking_io_row_ok, Scenario::BlockingIo, true, blocking_io_future, blocking_io_async);
rows_ok!(echo_row_ok, Scenario::Echo, true, echo_future, echo_async);

#[test]
fn traced_chess_simul_has_a_lane_per_board() {
    both_forms!(chess_future, chess_async, |m| {
        let outcome = m::scenario(&options(Scenario::Chess, false, true)).unwrap();
        let trace = outcome.traces.get("simul").expect("the simul variant is recorded");
        let timeline = Timeline::from_trace(trace);
        let mut boards: Vec<&str> = timeline
            .lanes
            .iter()
            .map(|l| l.name.as_str())
            .filter(|n| n.starts_with("board "))
            .collect();
        boards.sort_unstable();
        boards.dedup();
        assert_eq!(boards.len(), 24, "{boards:?}");
        // Each board waits (for Judit, on a timer) most of the simul.
        for lane in timeline.lanes.iter().filter(|l| l.name.starts_with("board ")) {
            assert!(
                lane.time_in(|s| matches!(s, simul_scenario::State::Waiting(_))) > Duration::ZERO
            );
        }
    });
}
