//! The seed scenarios' figures, exactly, under the virtual clock. The
//! tests run the examples' own functions (the example files are included
//! as modules), not a copy of them.
#![allow(dead_code)]

use std::time::Duration;

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

#[test]
fn count_one_one_one_two_two_two_in_one_second() {
    let (words, took) = count::cooperative(false).unwrap();
    assert_eq!(words, ["One", "One", "One", "Two", "Two", "Two"]);
    assert_eq!(took, Duration::from_secs(1));
    let (words, took) = count::blocking(false).unwrap();
    assert_eq!(words, ["One", "Two", "One", "Two", "One", "Two"]);
    assert_eq!(took, Duration::from_secs(3));
}

#[test]
fn five_waits_three_seconds_versus_fifteen() {
    assert_eq!(five_waits::run(false, false).unwrap(), Duration::from_secs(3));
    assert_eq!(five_waits::run(true, false).unwrap(), Duration::from_secs(15));
}

#[test]
fn cake_eighty_minutes_versus_sixty_groceries_at_thirty_five() {
    assert_eq!(cake::sequential(cake::Run::new(false, 1.0).unwrap()).unwrap(), 80.0);
    let run = cake::Run::new(false, 1.0).unwrap();
    let log = run.log.clone();
    assert_eq!(cake::cooperative(run).unwrap(), 60.0);
    let log: Vec<(String, f64)> = log.borrow().clone();
    let at = |what: &str| log.iter().find(|(w, _)| w == what).map(|(_, at)| *at);
    assert_eq!(at("groceries bought"), Some(35.0));
    assert_eq!(at("cake baked"), Some(60.0));
}

#[test]
fn chess_twelve_hours_versus_3655_seconds() {
    assert_eq!(chess::sequential(), Duration::from_secs(12 * 3600));
    assert_eq!(chess::simul().unwrap(), Duration::from_secs(3655));
}

#[test]
fn nap_blocking_starves_the_notifier_friendly_does_not() {
    assert_eq!(nap::run(false, false).unwrap(), 0);
    assert_eq!(nap::run(true, false).unwrap(), 4);
}
