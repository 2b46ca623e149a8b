//! Sleeping: exact under the virtual clock, never early under the real one.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::Hub;
use simul_reactor::{Clock, Instant};
use util::{Log, virtual_hubs};

#[test]
fn sleepers_wake_in_deadline_order_at_exact_instants() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let hs: Vec<_> = [3u64, 1, 2, 1]
                .into_iter()
                .enumerate()
                .map(|(i, secs)| {
                    let l = l.clone();
                    simul_green::spawn(move || {
                        simul_green::sleep(Duration::from_secs(secs)).unwrap();
                        l.push(format!("t{i} at {}", simul_green::now().unwrap()));
                    })
                    .unwrap()
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        })
        .unwrap();
        // Equal deadlines keep spawn order (t1 before t3).
        assert_eq!(
            log.take(),
            ["t1 at 1.000000s", "t3 at 1.000000s", "t2 at 2.000000s", "t0 at 3.000000s"],
            "{backend}"
        );
        assert_eq!(hub.now(), Instant::ZERO + Duration::from_secs(3));
    }
}

/// The `five_waits` seed: five tasks started in a loop, each waits 3 s.
/// Cooperative: 3 s in total, the starts at the same instant.
#[test]
fn five_waits_take_three_seconds_not_fifteen() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let hs: Vec<_> = (0..5)
            .map(|i| {
                let l = l.clone();
                let h =
                    simul_green::spawn(move || simul_green::sleep(Duration::from_secs(3)).unwrap())
                        .unwrap();
                l.push(format!("time passed after iter {i} is {}", simul_green::now().unwrap()));
                h
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    })
    .unwrap();
    assert_eq!(log.take().last().unwrap(), "time passed after iter 4 is 0.000000s");
    assert_eq!(hub.now().since_origin(), Duration::from_secs(3));
}

#[test]
fn main_can_sleep_and_extreme_durations_do_not_panic() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    hub.run(|| {
        simul_green::sleep(Duration::ZERO).unwrap();
        assert_eq!(simul_green::now().unwrap(), Instant::ZERO);
        simul_green::sleep(Duration::from_nanos(1)).unwrap();
        assert_eq!(simul_green::now().unwrap().as_nanos(), 1);
        // Threads sleeping "forever" and ten years beside a short sleep:
        // the short one fires exactly on time, the long ones never return
        // (they are killed when run ends).
        let woke = Rc::new(Cell::new(0u32));
        let w = woke.clone();
        let forever = simul_green::spawn(move || {
            let r = simul_green::sleep(Duration::MAX);
            w.set(w.get() + 1);
            r
        })
        .unwrap();
        let w = woke.clone();
        let decade = simul_green::spawn(move || {
            let r = simul_green::sleep(Duration::from_secs(10 * 365 * 24 * 3600));
            w.set(w.get() + 1);
            r
        })
        .unwrap();
        simul_green::sleep(Duration::from_millis(1)).unwrap();
        assert_eq!(simul_green::now().unwrap().as_nanos(), 1_000_001);
        assert_eq!(woke.get(), 0);
        assert!(!forever.is_finished() && !decade.is_finished());
        // Both are parked on their timers, not spinning: another short
        // sleep is again exact.
        simul_green::sleep(Duration::from_millis(1)).unwrap();
        assert_eq!(simul_green::now().unwrap().as_nanos(), 2_000_001);
        drop((forever, decade));
        woke
    })
    .map(|woke| assert_eq!(woke.get(), 0, "a long sleep returned"))
    .unwrap();
    // Ending the run killed them without advancing the clock to them.
    assert_eq!(hub.now().as_nanos(), 2_000_001);
}

#[test]
fn a_yielding_thread_does_not_starve_a_sleeper() {
    // Real clock: the sleeper must wake although another thread is always
    // runnable (the fairness check fires timers every few passes).
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let stop = std::rc::Rc::new(std::cell::Cell::new(false));
        let s = stop.clone();
        let spinner = simul_green::spawn(move || {
            let mut spins = 0u64;
            while !s.get() {
                simul_green::yield_now().unwrap();
                spins += 1;
            }
            spins
        })
        .unwrap();
        let sleeper = simul_green::spawn(move || {
            simul_green::sleep(Duration::from_millis(5)).unwrap();
            stop.set(true);
        })
        .unwrap();
        sleeper.join().unwrap();
        assert!(spinner.join().unwrap() > 0);
    })
    .unwrap();
}

#[test]
fn real_clock_sleep_is_never_early() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let start = std::time::Instant::now();
        let hs: Vec<_> = (1..=3u64)
            .map(|ms| {
                simul_green::spawn(move || {
                    simul_green::sleep(Duration::from_millis(ms * 10)).unwrap();
                    start.elapsed()
                })
                .unwrap()
            })
            .collect();
        for (i, h) in hs.into_iter().enumerate() {
            let took = h.join().unwrap();
            let asked = Duration::from_millis((i as u64 + 1) * 10);
            assert!(took >= asked, "woke after {took:?}, asked {asked:?}");
            assert!(took < asked + Duration::from_secs(5), "took {took:?}: wide margin exceeded");
        }
    })
    .unwrap();
}

#[test]
fn ten_thousand_sleepers_all_finish() {
    let hub = Hub::builder().clock(Clock::new_virtual()).stack_size(16 * 1024).build().unwrap();
    let total = hub
        .run(|| {
            let hs: Vec<_> = (0..10_000u64)
                .map(|i| {
                    simul_green::spawn(move || {
                        simul_green::sleep(Duration::from_millis(i % 97)).unwrap();
                        simul_green::now().unwrap().as_nanos() / 1_000_000
                    })
                    .unwrap()
                })
                .collect();
            hs.into_iter().enumerate().all(|(i, h)| h.join().unwrap() == i as u64 % 97)
        })
        .unwrap();
    assert!(total, "every sleeper woke at exactly its deadline");
}
