//! Reliability item 9 for the callback style: sub-millisecond `call_later`
//! delays on the real clock. Every timer fires no earlier than asked,
//! measured both on the loop's own clock (`time()`) and on
//! `std::time::Instant`, and the waiting does not spin: 1,000 delays of
//! 50 to 900 µs (360 ms asked in all) cost the loop's thread under half
//! the CPU ticks that spinning through them would.
// The CPU measure reads /proc/thread-self/stat: Linux only.
#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_callback::EventLoop;

/// One delay: the loop's time and the std time when it was asked.
type Asked = (Duration, simul_reactor::Instant, Instant);

/// What the timers saw: (delay, waited on the loop's clock, waited on
/// `std::time::Instant`).
type Waits = Rc<RefCell<Vec<(Duration, Duration, Duration)>>>;

/// Schedules the delays one after another, each from inside the previous
/// timer's callback (as a sequence of sleeps would), and stops after the
/// last.
fn chain(lp: &mut EventLoop, mut delays: std::vec::IntoIter<Duration>, waits: Waits) {
    let Some(d) = delays.next() else {
        lp.stop();
        return;
    };
    let asked: Asked = (d, lp.time(), Instant::now());
    lp.call_later(d, move |lp| {
        let (d, at, std_at) = asked;
        // Both clocks read before anything else runs.
        let waited = lp.time() - at;
        let std_waited = std_at.elapsed();
        waits.borrow_mut().push((d, waited, std_waited));
        chain(lp, delays, waits);
    });
}

fn run(delays: Vec<Duration>) -> Vec<(Duration, Duration, Duration)> {
    let mut lp = EventLoop::new().unwrap();
    let waits: Waits = Rc::default();
    let n = delays.len();
    let w = waits.clone();
    lp.call_soon(move |lp| chain(lp, delays.into_iter(), w));
    lp.run_forever().unwrap();
    let waits = waits.take();
    assert_eq!(waits.len(), n, "every timer fired");
    for &(d, waited, std_waited) in &waits {
        assert!(waited >= d, "a {d:?} timer fired after {waited:?} on the loop's clock");
        assert!(std_waited >= d, "a {d:?} timer fired after {std_waited:?} by std's Instant");
    }
    waits
}

#[test]
fn sub_millisecond_timers_are_never_early() {
    let us = Duration::from_micros;
    run([0, 1, 10, 50, 100, 250, 500, 999, 1_000, 1_001, 1_500, 3_000].map(us).to_vec());
}

#[test]
fn a_thousand_sub_millisecond_timers_are_never_early_and_do_not_spin() {
    let delays: Vec<Duration> =
        (0..200).flat_map(|_| [50u64, 100, 250, 500, 900]).map(Duration::from_micros).collect();
    let asked: Duration = delays.iter().sum();
    let spin_ticks = (asked.as_millis() / 10) as u64;
    assert_eq!(spin_ticks, 36);
    let mut ticks = util::ThreadTicks::open();
    let before = ticks.now();
    let waits = run(delays);
    let used = ticks.now() - before;
    let late: Duration = waits.iter().map(|&(d, w, _)| w - d).sum();
    println!(
        "1,000 timers, {asked:?} asked: {used} CPU ticks (spinning: {spin_ticks}); \
         {:?} late on average",
        late / 1000
    );
    assert!(used < spin_ticks / 2, "{used} ticks of CPU for {asked:?} of timers: a busy loop");
}
