//! The `cake` scenario: 80 min one after the other, 60 min together.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/cake_coro.rs"]
mod cake_coro;

use std::time::Duration;

use simul_reactor::{Clock, Instant};

fn min(m: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(m * 60)
}

#[test]
fn sequential_errands_take_eighty_minutes() {
    let (diary, total) = cake_coro::run(Clock::new_virtual(), true, 1).unwrap();
    assert_eq!(
        diary,
        [
            (min(15), "dough ready, cake in the oven"),
            (min(60), "cake baked"),
            (min(80), "groceries bought")
        ]
    );
    assert_eq!(total, Duration::from_secs(80 * 60));
}

#[test]
fn cooperative_errands_take_sixty_minutes_with_groceries_at_thirty_five() {
    let (diary, total) = cake_coro::run(Clock::new_virtual(), false, 1).unwrap();
    assert_eq!(
        diary,
        [
            (min(15), "dough ready, cake in the oven"),
            (min(35), "groceries bought"),
            (min(60), "cake baked")
        ]
    );
    assert_eq!(total, Duration::from_secs(60 * 60));
}
