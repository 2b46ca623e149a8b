//! The seed scenarios, green style: the tests run the examples' own
//! functions (each example file is included as a module), not a copy of
//! them. Virtual-clock scenarios are asserted exactly; the real-clock ones
//! (cpu_bound, blocking_io, echo) with small sizes, for completion and
//! byte-exactness, never for speed.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

#[path = "../examples/count_green.rs"]
mod count;

#[path = "../examples/five_waits_green.rs"]
mod five_waits;

#[test]
fn count_one_one_one_two_two_two_in_one_second() {
    let (words, took) = count::run(false, false).unwrap();
    assert_eq!(words, ["One", "One", "One", "Two", "Two", "Two"]);
    assert_eq!(took, Duration::from_secs(1));
    let (words, took) = count::run(true, false).unwrap();
    assert_eq!(words, ["One", "Two", "One", "Two", "One", "Two"]);
    assert_eq!(took, Duration::from_secs(3));
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
}
