//! Panics stay inside their green thread and reach the joiner.

mod util;

use std::time::Duration;

use simul_green::{Error, Hub};
use util::{Log, virtual_hubs};

#[test]
fn a_panic_goes_to_the_joiner_and_others_keep_running() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let l1 = l.clone();
            let bad = simul_green::spawn(move || -> u32 {
                l1.push("bad starts");
                simul_green::yield_now().unwrap();
                panic!("bad thread failed: {}", 42);
            })
            .unwrap();
            let l2 = l.clone();
            let good = simul_green::spawn(move || {
                for i in 0..3 {
                    l2.push(format!("good {i}"));
                    simul_green::yield_now().unwrap();
                }
                "good result"
            })
            .unwrap();
            match bad.join() {
                Err(e @ Error::Panicked(_)) => {
                    assert_eq!(e.panic_message(), Some("bad thread failed: 42"));
                    l.push("joined bad: panicked");
                }
                other => panic!("unexpected {other:?}"),
            }
            assert_eq!(good.join().unwrap(), "good result");
        })
        .unwrap();
        assert_eq!(
            log.take(),
            ["bad starts", "good 0", "good 1", "joined bad: panicked", "good 2"],
            "{backend}"
        );
    }
}

#[test]
fn destructors_run_when_a_green_thread_panics() {
    struct Flag(Log);
    impl Drop for Flag {
        fn drop(&mut self) {
            // Waiting while unwinding is refused with an error, not a
            // switch (a switch mid-unwind would mix two threads' panics).
            let refused = simul_green::sleep(Duration::from_secs(1)).is_err();
            self.0.push(format!("dropped, sleep refused: {refused}"));
        }
    }
    let hub = Hub::new().unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let h = simul_green::spawn(move || {
            let _f = Flag(l);
            panic!("with a guard on the stack");
        })
        .unwrap();
        assert!(matches!(h.join(), Err(Error::Panicked(_))));
    })
    .unwrap();
    assert_eq!(log.take(), ["dropped, sleep refused: true"]);
}

#[test]
fn a_panic_with_a_non_string_payload() {
    let hub = Hub::new().unwrap();
    let payload = hub
        .run(|| match simul_green::spawn(|| std::panic::panic_any(17u8)).unwrap().join() {
            Err(Error::Panicked(p)) => *p.downcast::<u8>().unwrap(),
            other => panic!("unexpected {other:?}"),
        })
        .unwrap();
    assert_eq!(payload, 17);
}

#[test]
fn many_panics_in_a_row_leave_the_hub_healthy() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        for i in 0..200 {
            let h = simul_green::spawn(move || {
                if i % 2 == 0 {
                    panic!("even {i}");
                }
                i
            })
            .unwrap();
            match h.join() {
                Ok(v) => assert_eq!(v % 2, 1),
                Err(e) => assert_eq!(e.panic_message(), Some(format!("even {i}").as_str())),
            }
        }
    })
    .unwrap();
}

/// If main panics, the panic leaves `run`; green threads parked mid-call
/// cannot be unwound during that panic, so they stay suspended (their
/// stacks are never freed under live frames). The next `run` kills them
/// when it ends; dropping the hub instead leaks their stacks.
#[test]
fn a_panic_in_main_propagates_and_parked_threads_are_left_alone() {
    struct Flag(Log);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.push("sleeper unwound");
        }
    }
    let log = Log::default();
    let l = log.clone();
    let hub = Hub::new().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        hub.run(move || {
            let sleeper = simul_green::spawn(move || {
                let _f = Flag(l);
                simul_green::sleep(Duration::from_secs(3600))
            })
            .unwrap();
            simul_green::yield_now().unwrap();
            drop(sleeper);
            panic!("main gives up");
        })
    }));
    assert!(caught.is_err());
    assert!(log.take().is_empty(), "not unwound during main's panic");
    assert_eq!(hub.run(|| 5).unwrap(), 5);
    assert_eq!(log.take(), ["sleeper unwound"], "the next run's cleanup killed it");
    // A second sleeper left parked by a panic, then the hub dropped: leaked, no crash.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        hub.run(|| {
            drop(simul_green::spawn(|| simul_green::sleep(Duration::from_secs(1))).unwrap());
            simul_green::yield_now().unwrap();
            panic!("again");
        })
    }));
    drop(hub);
}

/// Threads spawned but never run are dropped with the hub, closures and all.
#[test]
fn dropping_a_hub_drops_unstarted_closures() {
    struct Flag(Log);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.push("closure dropped");
        }
    }
    let log = Log::default();
    let hub = Hub::new().unwrap();
    let f = Flag(log.clone());
    let h = hub.spawn(move || drop(f));
    drop(hub);
    assert_eq!(log.take(), ["closure dropped"]);
    match h.join() {
        Err(Error::Io(e)) => assert!(e.to_string().contains("gone"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
}

/// A value whose destructor panics, counting its drops.
struct Bomb(std::rc::Rc<std::cell::Cell<u32>>);
impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        panic!("bomb {} went off", self.0.get());
    }
}

#[test]
fn a_result_whose_drop_panics_is_dropped_once_and_no_panic_escapes() {
    let hub = Hub::new().unwrap();
    let drops = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let d = drops.clone();
    let seen = hub
        .run(move || {
            let mut seen = Vec::new();
            // Detached before it finishes: the hub drops the result, on
            // the thread's own stack (an unwind off it would abort).
            let d1 = d.clone();
            drop(simul_green::spawn(move || {
                simul_green::yield_now().unwrap();
                Bomb(d1)
            }));
            simul_green::yield_now().unwrap();
            simul_green::yield_now().unwrap();
            seen.push(d.get());
            // Finished, then the handle dropped unjoined: its drop drops
            // the result, and does not panic.
            let d2 = d.clone();
            let h = simul_green::spawn(move || Bomb(d2)).unwrap();
            simul_green::yield_now().unwrap();
            assert!(h.is_finished());
            drop(h);
            seen.push(d.get());
            // Killed before it started: its closure, holding a bomb, is
            // dropped by the kill; the joiner hears of the panic.
            let d3 = d.clone();
            let bomb = Bomb(d3);
            let h = simul_green::spawn(move || drop(bomb)).unwrap();
            h.kill().unwrap();
            seen.push(d.get());
            let e = h.join().unwrap_err();
            assert_eq!(e.panic_message(), Some("bomb 3 went off"), "{e:?}");
            // Left unstarted and detached when `run` ends: the kill of the
            // leftovers drops it, and `run` still returns.
            let d4 = d.clone();
            let bomb = Bomb(d4);
            drop(simul_green::spawn(move || drop(bomb)).unwrap());
            // The hub goes on.
            seen.push(simul_green::spawn(|| 5).unwrap().join().unwrap());
            seen
        })
        .unwrap();
    assert_eq!(seen, [1, 2, 3, 5]);
    assert_eq!(drops.get(), 4, "each result or closure dropped once");
}
