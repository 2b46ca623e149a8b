//! The `count` scenario: cooperative waits overlap, blocking ones queue.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/count_coro.rs"]
mod count_coro;

use std::time::Duration;

use simul_reactor::{Clock, Instant};
use simul_scenario::params::count::WAIT;

fn at(nanos: u64) -> Instant {
    Instant::from_nanos(nanos)
}

#[test]
fn cooperative_count_prints_one_one_one_two_two_two_at_exactly_one_second() {
    let (lines, elapsed) = count_coro::run(Clock::new_virtual(), false, WAIT).unwrap();
    let second = 1_000_000_000;
    assert_eq!(
        lines,
        [
            (at(0), "One"),
            (at(0), "One"),
            (at(0), "One"),
            (at(second), "Two"),
            (at(second), "Two"),
            (at(second), "Two"),
        ]
    );
    assert_eq!(elapsed, Duration::from_secs(1));
}

#[test]
fn blocking_count_prints_one_two_three_times_in_three_seconds() {
    let (lines, elapsed) = count_coro::run(Clock::new_virtual(), true, WAIT).unwrap();
    let s = |n: u64| at(n * 1_000_000_000);
    assert_eq!(
        lines,
        [(s(0), "One"), (s(1), "Two"), (s(1), "One"), (s(2), "Two"), (s(2), "One"), (s(3), "Two"),]
    );
    assert_eq!(elapsed, Duration::from_secs(3));
}

#[test]
fn cooperative_count_on_the_real_clock_takes_about_one_second() {
    let (lines, elapsed) = count_coro::run(Clock::real(), false, WAIT).unwrap();
    let words: Vec<&str> = lines.iter().map(|(_, w)| *w).collect();
    assert_eq!(words, ["One", "One", "One", "Two", "Two", "Two"]);
    // Never early; generous margin for a loaded machine.
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}
