//! The seed scenarios, green style: the tests run the examples' own
//! functions (each example file is included as a module), not a copy of
//! them. Virtual-clock scenarios are asserted exactly; the real-clock ones
//! (cpu_bound, blocking_io, echo) with small sizes, for completion and
//! byte-exactness, never for speed.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use simul_reactor::{Clock, Instant};
use simul_scenario::{Options, Scenario};

/// The scenario run the tour makes: virtual clock (real-clock scenarios
/// with quick sizes); its figures must agree with the seed's.
fn row_ok(
    scenario: Scenario,
    run: fn(&Options) -> Result<simul_scenario::Outcome, Box<dyn std::error::Error>>,
) {
    let outcome = run(&Options { quick: true, ..Options::new(scenario) }).unwrap();
    let row = outcome.row();
    assert!(row.ok, "{scenario}: {row}");
}

#[path = "../examples/count_green.rs"]
mod count;

#[path = "../examples/five_waits_green.rs"]
mod five_waits;

#[path = "../examples/nap_green.rs"]
mod nap;

#[path = "../examples/cake_green.rs"]
mod cake;

#[path = "../examples/chess_green.rs"]
mod chess;

#[test]
fn count_one_one_one_two_two_two_in_one_second() {
    let (words, took) = count::run(false, false).unwrap();
    assert_eq!(words, ["One", "One", "One", "Two", "Two", "Two"]);
    assert_eq!(took, Duration::from_secs(1));
    let (words, took) = count::run(true, false).unwrap();
    assert_eq!(words, ["One", "Two", "One", "Two", "One", "Two"]);
    assert_eq!(took, Duration::from_secs(3));
    row_ok(Scenario::Count, count::scenario);
}

#[test]
fn five_waits_three_seconds_versus_fifteen() {
    let coop = five_waits::run(false, false).unwrap();
    assert_eq!(coop.iters, [Duration::ZERO; 5]);
    assert_eq!(coop.total, Duration::from_secs(3));
    let blocking = five_waits::run(true, false).unwrap();
    let three_apart: Vec<Duration> = (0..5).map(|i| Duration::from_secs(3 * i)).collect();
    assert_eq!(blocking.iters, three_apart);
    assert_eq!(blocking.total, Duration::from_secs(15));
    row_ok(Scenario::FiveWaits, five_waits::scenario);
}

#[test]
fn nap_blocking_starves_the_notifier_friendly_does_not() {
    // Blocking: one Notify! at 0 s before the nap, none during it, then
    // 4.0 .. 4.8 s: 6 in all.
    assert_eq!(nap::run(false, false).unwrap(), nap::Counts { notifies: 6, during_nap: 0 });
    // Friendly: one after each of the ten 0.2 s parts (each part ends
    // with a 1 ms pause); 25 in all, since the pauses shift the beat.
    assert_eq!(nap::run(true, false).unwrap(), nap::Counts { notifies: 25, during_nap: 10 });
    row_ok(Scenario::Nap, nap::scenario);
}

#[test]
fn cake_eighty_minutes_versus_sixty_groceries_at_thirty_five() {
    let seq = cake::run(false, false, 1.0).unwrap();
    let words: Vec<&str> = seq.iter().map(|(w, _)| *w).collect();
    assert_eq!(
        words,
        [
            "preparing the dough",
            "dough ready, cake in the oven",
            "cake baked",
            "off to the shop",
            "groceries bought"
        ]
    );
    assert_eq!(cake::at(&seq, "groceries bought"), Some(80.0));
    let coop = cake::run(true, false, 1.0).unwrap();
    let expected = [
        ("preparing the dough", 0.0),
        ("dough ready, cake in the oven", 15.0),
        ("off to the shop", 15.0),
        ("groceries bought", 35.0),
        ("cake baked", 60.0),
    ];
    assert_eq!(coop, expected);
    row_ok(Scenario::Cake, cake::scenario);
}

#[test]
fn chess_twelve_hours_versus_one_hour_fifty_five_seconds() {
    let seq = chess::sequential(Clock::new_virtual(), chess::SEED).unwrap();
    assert_eq!(seq, Duration::from_secs(12 * 3600));
    let (simul, ends) = chess::simul(Clock::new_virtual(), chess::SEED).unwrap();
    // Judit's 720 moves end at 30 rounds x 120 s = 3600 s (the seeds'
    // 1 h); the last board's opponent then answers her last move: + 55 s.
    assert_eq!(simul, Duration::from_secs(3655));
    // Board b gets its last answer at 3540 + 5 b s, but its green thread
    // runs only once Judit is free, at 3600 s at the earliest.
    let expected: Vec<Instant> =
        (0..24u64).map(|b| Instant::ZERO + Duration::from_secs((3540 + 5 * b).max(3600))).collect();
    assert_eq!(ends, expected);
    row_ok(Scenario::Chess, chess::scenario);
}

#[path = "../examples/cpu_bound_green.rs"]
mod cpu_bound;

#[test]
fn cpu_bound_every_mode_finishes_every_job_with_the_same_result() {
    let (units, slices) = (200_000, 20);
    let mut expected = 0;
    for _ in 0..slices {
        expected = cpu_bound::slice(expected, units / slices);
    }
    for mode in [
        cpu_bound::Mode::OnTheHub,
        cpu_bound::Mode::YieldNow,
        cpu_bound::Mode::SleepZero,
        cpu_bound::Mode::Offloaded,
    ] {
        let f = cpu_bound::run(mode, units, slices).unwrap();
        assert_eq!(f.results, [expected; 4], "{mode:?}");
        assert!(f.beats >= 1, "{mode:?}: the heartbeat ran");
    }
    // The row's load-independent half: every job done with the same
    // result, and the heartbeat starved on the hub for about half the
    // run (a busy machine only lengthens gaps). "Regular with yields or
    // offloaded" is a claim about a quiet machine; the tour, run alone,
    // checks it.
    let opts = Options { quick: true, ..Options::new(Scenario::CpuBound) };
    let out = cpu_bound::scenario(&opts).unwrap();
    let simul_scenario::Figures::CpuBound { on_loop, with_yields, offloaded, .. } = &out.figures
    else {
        panic!("{:?}", out.figures)
    };
    let jobs = simul_scenario::params::cpu_bound::JOBS as usize;
    for run in [on_loop, with_yields, offloaded] {
        assert_eq!(run.results.len(), jobs, "{run:?}");
        assert!(run.results.windows(2).all(|w| w[0] == w[1]), "{run:?}");
    }
    assert!(on_loop.worst_gap * 2 >= on_loop.elapsed, "{}", out.row());
}

#[path = "../examples/blocking_io_green.rs"]
mod blocking_io;

#[test]
fn blocking_io_every_reply_comes_back_and_blocking_serialises() {
    let (k, d) = (3, Duration::from_millis(30));
    let (addrs, servers) = blocking_io::start_servers(k, 2, d).unwrap();
    let blocking = blocking_io::run(&addrs, true).unwrap();
    assert_eq!(blocking.replies, vec![b"reply".to_vec(); k]);
    // The blocking fetches cannot overlap: each waited its d in turn.
    assert!(blocking.elapsed >= d * k as u32, "{blocking:?}");
    let green = blocking_io::run(&addrs, false).unwrap();
    assert_eq!(green.replies, vec![b"reply".to_vec(); k]);
    assert!(green.elapsed >= d, "{green:?}");
    servers.join().unwrap().unwrap();
    row_ok(Scenario::BlockingIo, blocking_io::scenario);
}

#[path = "../examples/echo_green.rs"]
mod echo;

#[test]
fn echo_every_byte_comes_back() {
    let f = echo::run(20, 30).unwrap();
    assert_eq!(f.round_trips, 600);
    // Every line is padded to the shared message size.
    let expected = 600 * simul_scenario::params::echo::SIZE as u64;
    assert_eq!(f.bytes_verified, expected);
    assert_eq!(f.bytes_echoed, expected);
    assert!(f.held >= 1 && f.held <= 20, "{f:?}");
    assert_eq!(f.mismatches, 0);
    row_ok(Scenario::Echo, echo::scenario);
}
