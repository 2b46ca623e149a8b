//! The `chess` scenario: the sequential exhibition and the simul, exact.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/chess_coro.rs"]
mod chess_coro;

use std::time::Duration;

use chess_coro::{Exhibition, SEED};
use simul_reactor::{Clock, Instant};

#[test]
fn sequential_exhibition_takes_twelve_hours_exactly() {
    let elapsed = chess_coro::sequential(Clock::new_virtual(), SEED).unwrap();
    assert_eq!(elapsed, Duration::from_secs(12 * 3600));
}

#[test]
fn simul_takes_one_hour_and_fifty_five_seconds_exactly() {
    let (elapsed, ends) = chess_coro::simul(Clock::new_virtual(), SEED).unwrap();
    // Judit's 720 moves end at 30 rounds x 120 s = 3600 s (the seeds' 1 h);
    // the last board's opponent then answers her last move: + 55 s.
    assert_eq!(elapsed, Duration::from_secs(3655));
    // Board b (0-based) gets Judit's last move at 29 x 120 + 5 b .. + 5 s;
    // its opponent answers 55 s later, at 3540 + 5 b. The game's coroutine
    // sees that answer only when the loop (Judit) is free, and she is busy
    // until her last move ends at 3600 s: boards 0..=12 end at 3600 s, then
    // one every 5 s.
    let expected: Vec<Instant> =
        (0..24u64).map(|b| Instant::ZERO + Duration::from_secs((3540 + 5 * b).max(3600))).collect();
    assert_eq!(ends, expected);
}

#[test]
fn when_opponents_are_slower_than_a_round_judit_waits_for_them() {
    // 4 boards x 5 s = 20 s per round < 5 + 55 s: now the opponents are the
    // bottleneck and each game takes its full sequential length, 30 x 60 s,
    // shifted by its starting board.
    let ex = Exhibition { boards: 4, ..SEED };
    let (elapsed, ends) = chess_coro::simul(Clock::new_virtual(), ex).unwrap();
    assert_eq!(elapsed, Duration::from_secs(30 * 60 + 3 * 5));
    let expected: Vec<Instant> =
        (0..4u64).map(|b| Instant::ZERO + Duration::from_secs(30 * 60 + 5 * b)).collect();
    assert_eq!(ends, expected);
}
