//! The `echo` example under a bounded load: every connection is held and
//! every byte of every round trip comes back exactly.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/echo_coro.rs"]
mod echo_coro;

use std::time::Duration;

use echo_coro::{Load, run};
use simul_scenario::params::echo::SIZE as MSG;

#[test]
fn forty_connections_make_fifty_verified_round_trips_each() {
    let load = Load { conns: 40, duration: Duration::from_secs(60), rounds: Some(50) };
    let (totals, _) = run(load).unwrap();
    assert!(totals.errors.borrow().is_empty(), "{:?}", totals.errors.borrow());
    assert_eq!(totals.connected.get(), 40);
    assert_eq!(totals.round_trips.get(), 40 * 50);
    assert_eq!(totals.bytes_verified.get(), 40 * 50 * MSG as u64);
}

#[test]
fn the_time_limit_ends_the_load_cleanly() {
    let load = Load { conns: 5, duration: Duration::from_millis(100), rounds: None };
    let (totals, elapsed) = run(load).unwrap();
    assert!(totals.errors.borrow().is_empty(), "{:?}", totals.errors.borrow());
    assert_eq!(totals.connected.get(), 5);
    assert!(totals.round_trips.get() > 0);
    assert_eq!(totals.bytes_verified.get(), totals.round_trips.get() * MSG as u64);
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
}
