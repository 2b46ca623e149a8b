//! The `five_waits` scenario: five starts at once and 3 s in all, or
//! five starts 3 s apart and 15 s in all.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/five_waits_coro.rs"]
mod five_waits_coro;

use std::time::Duration;

use simul_reactor::Clock;
use simul_scenario::params::five_waits::WAIT;

#[test]
fn cooperative_starts_are_simultaneous_and_the_run_takes_three_seconds() {
    let (times, total) = five_waits_coro::run(Clock::new_virtual(), false, WAIT).unwrap();
    assert_eq!(times, [Duration::ZERO; 5]);
    assert_eq!(total, Duration::from_secs(3));
}

#[test]
fn blocking_starts_are_three_seconds_apart_and_the_run_takes_fifteen() {
    let (times, total) = five_waits_coro::run(Clock::new_virtual(), true, WAIT).unwrap();
    let expected: Vec<Duration> = (0..5).map(|i| Duration::from_secs(3 * i)).collect();
    assert_eq!(times, expected);
    assert_eq!(total, Duration::from_secs(15));
}
