//! Every scenario through its example's `scenario()`, as the examples'
//! `main` and the tour run it: the figures agree with the seed's
//! (`Outcome::row().ok`), exactly on the virtual clock, and the
//! real-clock scenarios in their quick sizes.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/blocking_io_coro.rs"]
mod blocking_io_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/cake_coro.rs"]
mod cake_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/chess_coro.rs"]
mod chess_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/count_coro.rs"]
mod count_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/cpu_bound_coro.rs"]
mod cpu_bound_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/echo_coro.rs"]
mod echo_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/five_waits_coro.rs"]
mod five_waits_coro;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/nap_coro.rs"]
mod nap_coro;

use std::time::Duration;

use simul_scenario::params;
use simul_scenario::{Figures, Options, Outcome, Scenario, Style};

/// The scenario's defaults: the virtual clock where it has one, quick
/// sizes for the real-clock ones.
fn opts(scenario: Scenario) -> Options {
    Options { quick: true, ..Options::new(scenario) }
}

/// Runs it quietly and checks the row.
fn outcome(
    scenario: Scenario,
    f: fn(&Options) -> Result<Outcome, Box<dyn std::error::Error>>,
) -> Outcome {
    let out = simul_scenario::quietly(|| f(&opts(scenario))).unwrap();
    assert_eq!(out.style, Style::Coro);
    assert_eq!(out.figures.scenario(), scenario);
    let row = out.row();
    assert!(row.ok, "{scenario}: {row}");
    out
}

#[test]
fn count_overlaps_its_waits_exactly() {
    let out = outcome(Scenario::Count, count_coro::scenario);
    assert!(out.exact);
    let Figures::Count { cooperative, blocking } = out.figures else { unreachable!() };
    assert_eq!(cooperative.words, ["One", "One", "One", "Two", "Two", "Two"]);
    assert_eq!(cooperative.took, params::count::WAIT);
    assert_eq!(blocking.took, params::count::WAIT * 3);
}

#[test]
fn five_waits_starts_all_five_at_once() {
    let out = outcome(Scenario::FiveWaits, five_waits_coro::scenario);
    assert!(out.exact);
    let Figures::FiveWaits { cooperative, blocking } = out.figures else { unreachable!() };
    assert_eq!(cooperative.starts, [Duration::ZERO; 5]);
    assert_eq!(cooperative.took, params::five_waits::WAIT);
    assert_eq!(blocking.took, params::five_waits::WAIT * 5);
}

#[test]
fn nap_starves_the_notifier_only_when_blocking_in_one_piece() {
    let out = outcome(Scenario::Nap, nap_coro::scenario);
    assert!(out.exact);
    let Figures::Nap { blocking, friendly } = out.figures else { unreachable!() };
    assert_eq!((blocking.during_nap, friendly.during_nap), (0, params::nap::PARTS));
    assert_eq!(blocking.nap, params::nap::BLOCKING_NAP);
    assert_eq!(friendly.nap, params::nap::FRIENDLY_NAP + params::nap::PAUSE * params::nap::PARTS);
}

#[test]
fn cake_is_done_in_an_hour_with_the_groceries_at_thirty_five_minutes() {
    let out = outcome(Scenario::Cake, cake_coro::scenario);
    assert!(out.exact);
    let min = |m: u64| Duration::from_secs(m * 60);
    assert_eq!(
        out.figures,
        Figures::Cake { sequential: min(80), cooperative: min(60), groceries_done: min(35) }
    );
}

#[test]
fn chess_simul_takes_the_estimate_plus_the_last_reply() {
    let out = outcome(Scenario::Chess, chess_coro::scenario);
    assert!(out.exact);
    let sequential = Duration::from_secs(12 * 3600);
    assert_eq!(out.figures, Figures::Chess { sequential, simul: params::chess::EXACT });
}

#[test]
fn chess_on_a_scaled_real_clock_still_agrees() {
    // 13 simulated hours at scale 36 000: about 1.3 s of wall time.
    let o = Options { real: true, scale: Some(36_000), ..Options::new(Scenario::Chess) };
    let out = simul_scenario::quietly(|| chess_coro::scenario(&o)).unwrap();
    assert!(!out.exact);
    let Figures::Chess { sequential, simul } = out.figures else { unreachable!() };
    // Never early. A loaded machine makes both late, so the upper bound is
    // only the shape: the simul is far shorter than the sequential games.
    assert!(sequential >= Duration::from_secs(12 * 3600), "{sequential:?}");
    assert!(simul >= params::chess::EXACT, "{simul:?}");
    assert!(simul < sequential / 4, "{simul:?} against {sequential:?}");
}

#[test]
fn cpu_bound_starves_the_heartbeat_only_on_the_loop() {
    let out = outcome(Scenario::CpuBound, cpu_bound_coro::scenario);
    assert!(!out.exact, "CPU work runs on the real clock");
    let Figures::CpuBound { on_loop, with_yields, offloaded, .. } = out.figures else {
        unreachable!()
    };
    let answer = params::cpu_bound::work(params::cpu_bound::QUICK_UNITS);
    assert_eq!(on_loop.results, [answer; params::cpu_bound::JOBS as usize]);
    assert_eq!(offloaded.results, on_loop.results);
    assert_eq!(with_yields.results.len(), params::cpu_bound::JOBS as usize);
}

#[test]
fn blocking_io_fetches_together_only_with_the_loops_sockets() {
    let out = outcome(Scenario::BlockingIo, blocking_io_coro::scenario);
    let Figures::BlockingIo { servers, delay, blocking, non_blocking } = out.figures else {
        unreachable!()
    };
    assert_eq!((servers, delay), (params::blocking_io::SERVERS, params::blocking_io::QUICK_DELAY));
    assert_eq!((blocking.ok, non_blocking.ok), (servers, servers));
}

#[test]
fn echo_brings_every_byte_back() {
    let out = outcome(Scenario::Echo, echo_coro::scenario);
    let Figures::Echo { connections, held, round_trips, bytes, mismatches, .. } = out.figures
    else {
        unreachable!()
    };
    use params::echo::{CONNECTIONS, QUICK_ROUNDS, SIZE};
    assert_eq!((connections, held, mismatches), (CONNECTIONS, CONNECTIONS, 0));
    assert_eq!(round_trips, (CONNECTIONS * QUICK_ROUNDS) as u64);
    assert_eq!(bytes, round_trips * SIZE as u64);
}
