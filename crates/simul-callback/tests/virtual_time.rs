//! call_later under the virtual clock: the seeds' figures, exactly.

mod util;

use std::time::Duration;

use simul_callback::EventLoop;
use util::{Trace, secs, virtual_loop};

const MIN: u64 = 60;

/// Seed 002's cake, sequential: every step blocks the loop.
#[test]
fn cake_sequential_takes_80_minutes() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let t2 = t.clone();
    let _ = lp.call_soon(move |lp| {
        let m = |n| Duration::from_secs(n * MIN);
        lp.clock().block_for(m(15)); // dough
        lp.clock().block_for(m(45)); // oven, watched
        t2.log(format!("cake at {} min", secs(lp) / 60.0));
        lp.clock().block_for(m(20)); // groceries
        t2.log(format!("groceries at {} min", secs(lp) / 60.0));
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["cake at 60 min", "groceries at 80 min"]);
}

/// Seed 002's cake, cooperative: the dough is work (it blocks), the oven
/// and the shop are waits (callbacks later), so the shopping overlaps the
/// baking.
#[test]
fn cake_cooperative_takes_60_minutes_groceries_at_35() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let m = |n| Duration::from_secs(n * MIN);
    let t2 = t.clone();
    let _ = lp.call_soon(move |lp| {
        lp.clock().block_for(m(15)); // dough: hands busy
        t2.log(format!("dough at {} min", secs(lp) / 60.0));
        let _ = lp.call_later(m(45), move |lp| {
            t2.log(format!("cake at {} min", secs(lp) / 60.0));
        });
    });
    let t2 = t.clone();
    let _ = lp.call_soon(move |lp| {
        let _ = lp.call_later(m(20), move |lp| {
            t2.log(format!("groceries at {} min", secs(lp) / 60.0));
        });
    });
    lp.run_until(|_| t.len() == 3).unwrap();
    assert_eq!(t.take(), ["dough at 15 min", "groceries at 35 min", "cake at 60 min"]);
    assert_eq!(lp.time().since_origin(), m(60));
}

/// Seed 001's count: One One One Two Two Two, in exactly one second.
#[test]
fn count_cooperative_is_one_one_one_two_two_two_at_one_second() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    for _ in 0..3 {
        let t = t.clone();
        let _ = lp.call_soon(move |lp| {
            t.log(format!("One {}", secs(lp)));
            let _ =
                lp.call_later(Duration::from_secs(1), move |lp| t.log(format!("Two {}", secs(lp))));
        });
    }
    lp.run_until(|_| t.len() == 6).unwrap();
    assert_eq!(t.take(), ["One 0", "One 0", "One 0", "Two 1", "Two 1", "Two 1"]);
}

/// A loop with only timers pending never sleeps on the virtual clock: a
/// 10-year timer returns at once, and a 1 ms one beside it fires first.
#[test]
fn huge_and_zero_delays_are_fine() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    for (name, d) in [
        ("max", Duration::MAX),
        ("10y", Duration::from_secs(10 * 365 * 86400)),
        ("1ms", Duration::from_millis(1)),
        ("0", Duration::ZERO),
    ] {
        let t = t.clone();
        let _ = lp.call_later(d, move |_| t.log(name));
    }
    lp.run_until(|_| t.len() == 3).unwrap();
    assert_eq!(t.take(), ["0", "1ms", "10y"]);
    assert_eq!(lp.time().since_origin(), Duration::from_secs(10 * 365 * 86400));
}

/// The real clock: a timer never fires early (wide margins only).
#[test]
fn real_clock_timers_never_fire_early() {
    let mut lp = EventLoop::new().unwrap();
    let start = lp.time();
    let fired = std::rc::Rc::new(std::cell::Cell::new(None));
    let f = fired.clone();
    let _ = lp.call_later(Duration::from_millis(20), move |lp| {
        f.set(Some(lp.time()));
        lp.stop();
    });
    lp.run_forever().unwrap();
    let at = fired.get().unwrap();
    assert!(at - start >= Duration::from_millis(20));
}

/// Executor jobs take no virtual time: the 30 ms job's result arrives at
/// 0 s, before a timer an hour away, because the clock waits for jobs in
/// flight before it jumps.
#[test]
fn an_executor_job_takes_no_virtual_time() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let t1 = t.clone();
    lp.run_in_executor(
        || std::thread::sleep(Duration::from_millis(30)),
        move |lp, r| {
            r.unwrap();
            t1.log(format!("job done {}", secs(lp)));
        },
    )
    .unwrap();
    let t2 = t.clone();
    let _ = lp.call_later(Duration::from_secs(3600), move |lp| {
        t2.log(format!("timer {}", secs(lp)));
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["job done 0", "timer 3600"]);
}
