//! Context switches: order of execution, and that registers and stack
//! contents survive a switch, on every backend.

mod util;

use simul_green::{GreenId, Outcome, TraceEvent, Wait};
use util::{Log, backends, virtual_hubs};

#[test]
fn yields_alternate_round_robin() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let handles: Vec<_> = ["a", "b", "c"]
                .into_iter()
                .map(|name| {
                    let l = l.clone();
                    simul_green::spawn(move || {
                        for i in 1..=3 {
                            l.push(format!("{name}{i}"));
                            simul_green::yield_now().unwrap();
                        }
                    })
                    .unwrap()
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
        })
        .unwrap();
        assert_eq!(log.take(), ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"], "{backend}");
    }
}

#[test]
fn trace_records_every_step_in_order() {
    for (backend, b) in backends() {
        let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = events.clone();
        let hub = simul_green::Hub::builder()
            .backend(b)
            .clock(simul_reactor::Clock::new_virtual())
            .trace(move |e| sink.borrow_mut().push(*e))
            .build()
            .unwrap();
        let (a, c) = hub
            .run(|| {
                let a = simul_green::spawn(|| simul_green::yield_now().unwrap()).unwrap();
                let c = simul_green::spawn(|| ()).unwrap();
                let ids = (a.id(), c.id());
                a.join().unwrap();
                c.join().unwrap();
                ids
            })
            .unwrap();
        let main = GreenId::MAIN;
        assert_eq!(
            *events.borrow(),
            [
                TraceEvent::Spawn { id: a },
                TraceEvent::Spawn { id: c },
                TraceEvent::Park { id: main, wait: Wait::Join(a) },
                TraceEvent::Switch { from: main, to: a },
                TraceEvent::Yield { id: a },
                TraceEvent::Switch { from: a, to: c },
                TraceEvent::Finish { id: c, outcome: Outcome::Returned },
                TraceEvent::Switch { from: c, to: a },
                TraceEvent::Finish { id: a, outcome: Outcome::Returned },
                TraceEvent::Switch { from: a, to: main },
            ],
            "{backend}"
        );
    }
}

/// Values kept in callee-saved registers (integers and floats) and on the
/// stack survive many switches with other threads that clobber theirs.
#[test]
fn registers_and_stack_survive_switches() {
    fn work(seed: u64) -> (u64, f64) {
        let mut acc = seed;
        let mut f = seed as f64 * 0.5;
        let mut buf = [0u64; 64];
        for i in 0..200u64 {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(i);
            f = f * 1.000001 + (i as f64).sqrt();
            buf[(i % 64) as usize] ^= acc;
            simul_green::yield_now().unwrap();
        }
        (acc ^ buf.iter().fold(0, |x, y| x ^ y), f)
    }
    fn expected(seed: u64) -> (u64, f64) {
        let mut acc = seed;
        let mut f = seed as f64 * 0.5;
        let mut buf = [0u64; 64];
        for i in 0..200u64 {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(i);
            f = f * 1.000001 + (i as f64).sqrt();
            buf[(i % 64) as usize] ^= acc;
        }
        (acc ^ buf.iter().fold(0, |x, y| x ^ y), f)
    }
    for (backend, hub) in virtual_hubs() {
        let results = hub
            .run(|| {
                let hs: Vec<_> =
                    (1..=8).map(|s| simul_green::spawn(move || work(s)).unwrap()).collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
            })
            .unwrap();
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r, expected(i as u64 + 1), "{backend} thread {i}");
        }
    }
}

/// Threads that go deep into recursion before switching keep their frames.
#[test]
fn switch_from_deep_recursion() {
    fn descend(depth: u32) -> u32 {
        if depth == 0 {
            simul_green::yield_now().unwrap();
            return 0;
        }
        let local = [depth; 8];
        descend(depth - 1) + local.iter().sum::<u32>() / 8
    }
    for (backend, hub) in virtual_hubs() {
        let sums = hub
            .run(|| {
                let hs: Vec<_> =
                    (0..4).map(|_| simul_green::spawn(|| descend(500)).unwrap()).collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(sums, [125250; 4], "{backend}");
    }
}

/// The hub is reusable: several runs in a row, and many threads through
/// the stack pool.
#[test]
fn many_threads_and_runs() {
    for (backend, hub) in virtual_hubs() {
        for round in 0..3u64 {
            let total = hub
                .run(|| {
                    let hs: Vec<_> = (0..2000u64)
                        .map(|i| {
                            simul_green::spawn(move || {
                                simul_green::yield_now().unwrap();
                                i
                            })
                            .unwrap()
                        })
                        .collect();
                    hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
                })
                .unwrap();
            assert_eq!(total, 1999 * 2000 / 2, "{backend} round {round}");
        }
    }
}
