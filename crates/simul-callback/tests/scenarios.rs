//! The seed scenarios' figures, exactly, under the virtual clock. The
//! tests run the examples' own functions (the example files are included
//! as modules), not a copy of them.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use simul_reactor::Clock;
use simul_scenario::{Options, Scenario};

#[path = "../examples/count_callback.rs"]
mod count;

#[path = "../examples/five_waits_callback.rs"]
mod five_waits;

#[path = "../examples/cake_callback.rs"]
mod cake;

#[path = "../examples/chess_callback.rs"]
mod chess;

#[path = "../examples/nap_callback.rs"]
mod nap;

#[path = "../examples/cpu_bound_callback.rs"]
mod cpu_bound;

#[path = "../examples/blocking_io_callback.rs"]
mod blocking_io;

#[path = "../examples/echo_callback.rs"]
mod echo;

/// The scenario's own check against the seed, on the virtual clock.
fn row_ok(
    scenario: Scenario,
    run: fn(&Options) -> Result<simul_scenario::Outcome, Box<dyn std::error::Error>>,
) {
    let out = simul_scenario::quietly(|| run(&Options::new(scenario))).unwrap();
    let row = out.row();
    assert!(out.exact, "virtual clock");
    assert!(row.ok, "{scenario:?}: {row:?}");
}

#[test]
fn count_one_one_one_two_two_two_in_one_second() {
    let s = Duration::from_secs(1);
    let (words, took) = count::cooperative(Clock::new_virtual(), s).unwrap();
    assert_eq!(words, ["One", "One", "One", "Two", "Two", "Two"]);
    assert_eq!(took, Duration::from_secs(1));
    let (words, took) = count::blocking(Clock::new_virtual(), s).unwrap();
    assert_eq!(words, ["One", "Two", "One", "Two", "One", "Two"]);
    assert_eq!(took, Duration::from_secs(3));
    row_ok(Scenario::Count, count::scenario);
}

#[test]
fn five_waits_three_seconds_versus_fifteen() {
    let wait = Duration::from_secs(3);
    let (starts, took) = five_waits::run(false, Clock::new_virtual(), wait).unwrap();
    assert_eq!((starts, took), (vec![Duration::ZERO; 5], wait));
    let (starts, took) = five_waits::run(true, Clock::new_virtual(), wait).unwrap();
    // Printed before each start, as the seed does: 0, 3, 6, 9, 12 s.
    assert_eq!(starts, (0..5).map(|i| wait * i).collect::<Vec<_>>());
    assert_eq!(took, Duration::from_secs(15));
    row_ok(Scenario::FiveWaits, five_waits::scenario);
}

#[test]
fn cake_eighty_minutes_versus_sixty_groceries_at_thirty_five() {
    let opts = Options::new(Scenario::Cake);
    let min = |m: u64| Duration::from_secs(60 * m);
    assert_eq!(cake::sequential(cake::Run::new(&opts).unwrap()).unwrap(), min(80));
    let run = cake::Run::new(&opts).unwrap();
    let log = run.log.clone();
    assert_eq!(cake::cooperative(run).unwrap(), min(60));
    let at = |what: &str| log.borrow().iter().find(|(w, _)| *w == what).map(|(_, at)| *at);
    assert_eq!(at("groceries bought"), Some(min(35)));
    assert_eq!(at("cake baked"), Some(min(60)));
    row_ok(Scenario::Cake, cake::scenario);
}

#[test]
fn chess_twelve_hours_versus_3655_seconds() {
    assert_eq!(chess::sequential(), Duration::from_secs(12 * 3600));
    let (master, opponent) = (Duration::from_secs(5), Duration::from_secs(55));
    assert_eq!(
        chess::simul(Clock::new_virtual(), master, opponent).unwrap(),
        Duration::from_secs(3655)
    );
    row_ok(Scenario::Chess, chess::scenario);
}

#[test]
fn nap_blocking_starves_the_notifier_friendly_does_not() {
    let t = nap::Times::new(&Options::new(Scenario::Nap));
    let (_, during, took) = nap::run(false, Clock::new_virtual(), t).unwrap();
    assert_eq!((during, took), (0, Duration::from_secs(4)));
    let (_, during, took) = nap::run(true, Clock::new_virtual(), t).unwrap();
    assert!(during > 0);
    assert!(took >= Duration::from_secs(2));
    row_ok(Scenario::Nap, nap::scenario);
}

#[test]
fn cpu_bound_starves_the_heartbeat_on_the_loop() {
    let opts = Options { quick: true, ..Options::new(Scenario::CpuBound) };
    let out = simul_scenario::quietly(|| cpu_bound::scenario(&opts)).unwrap();
    let simul_scenario::Figures::CpuBound { on_loop, with_yields, offloaded, .. } = &out.figures
    else {
        panic!("{:?}", out.figures)
    };
    // The half of the row that load cannot fake: every job done with the
    // same result, and the heartbeat starved for about half the run on
    // the loop (a busy machine only lengthens gaps). "Regular with yields
    // or offloaded" is a claim about a quiet machine: on a loaded 2-core
    // CI machine any beat can be delayed, so the tour (run alone) checks
    // it, not this test.
    let jobs = simul_scenario::params::cpu_bound::JOBS as usize;
    for run in [on_loop, with_yields, offloaded] {
        assert_eq!(run.results.len(), jobs, "{run:?}");
        assert!(run.results.windows(2).all(|w| w[0] == w[1]), "{run:?}");
    }
    assert!(on_loop.worst_gap * 2 >= on_loop.elapsed, "{}", out.row());
}

#[test]
fn blocking_io_takes_k_times_d_blocking_and_about_d_not() {
    let opts = Options { quick: true, ..Options::new(Scenario::BlockingIo) };
    let out = simul_scenario::quietly(|| blocking_io::scenario(&opts)).unwrap();
    let simul_scenario::Figures::BlockingIo { servers, delay, blocking, non_blocking } =
        &out.figures
    else {
        panic!("{:?}", out.figures)
    };
    assert_eq!((blocking.ok, non_blocking.ok), (*servers, *servers));
    // Each reply waited for in turn, and the heartbeat stalled with them.
    assert!(blocking.took >= *delay * *servers as u32, "{blocking:?}");
    assert!(blocking.worst_gap >= *delay, "{blocking:?}");
    assert!(out.row().ok, "{}", out.row());
}

#[test]
fn echo_every_byte_comes_back() {
    let f = simul_scenario::quietly(|| echo::run(20, 10, None)).unwrap();
    let simul_scenario::Figures::Echo { connections, held, round_trips, bytes, mismatches, .. } = f
    else {
        panic!("{f:?}")
    };
    assert_eq!((connections, round_trips, bytes, mismatches), (20, 200, 200 * 64, 0));
    assert!((1..=20).contains(&held));
    let opts = Options { quick: true, ..Options::new(Scenario::Echo) };
    let out = simul_scenario::quietly(|| echo::scenario(&opts)).unwrap();
    assert!(out.row().ok, "{}", out.row());
}
