//! Waking green threads from other OS threads: `Unparker` and `park`.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use simul_green::{Error, Hub, Unparker, Wait};
use simul_reactor::Clock;
use util::Log;

#[test]
fn unparker_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Unparker>();
}

#[test]
fn an_os_thread_wakes_a_parked_green_thread_while_others_run() {
    for clock in [Clock::real(), Clock::new_virtual()] {
        let hub = Hub::with_clock(clock).unwrap();
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let (tx, rx) = mpsc::channel::<Unparker>();
            // Unparks once it has been handed the handle and told to go.
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let os = std::thread::spawn(move || {
                let unparker = rx.recv().unwrap();
                go_rx.recv().unwrap();
                unparker.unpark().unwrap();
            });
            let l2 = l.clone();
            let parked = simul_green::spawn(move || {
                tx.send(simul_green::unparker().unwrap()).unwrap();
                l2.push("park");
                simul_green::park().unwrap();
                l2.push("unparked");
            })
            .unwrap();
            let l3 = l.clone();
            let other = simul_green::spawn(move || {
                // Runs while the first is parked; then lets the OS thread go.
                l3.push("other runs");
                go_tx.send(()).unwrap();
            })
            .unwrap();
            other.join().unwrap();
            parked.join().unwrap();
            os.join().unwrap();
        })
        .unwrap();
        assert_eq!(log.take(), ["park", "other runs", "unparked"]);
    }
}

#[test]
fn an_unpark_before_the_park_is_kept_once() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let unparker = simul_green::unparker().unwrap();
        let os = {
            let u = unparker.clone();
            std::thread::spawn(move || {
                // Several unparks before the park: one token, not three.
                for _ in 0..3 {
                    u.unpark().unwrap();
                }
            })
        };
        os.join().unwrap();
        simul_green::park().unwrap(); // takes the token at once
        let unparked = std::rc::Rc::new(std::cell::Cell::new(false));
        let u = unparked.clone();
        let parked_again = simul_green::spawn(move || {
            // Lets the hub poll (and drain the stale queue entry the
            // earlier unparks left) before it unparks main for real.
            simul_green::sleep(Duration::from_millis(5)).unwrap();
            u.set(true);
            unparker.unpark().unwrap();
        })
        .unwrap();
        // Not ended by the earlier unparks: it waits for this one.
        simul_green::park().unwrap();
        assert!(unparked.get(), "main's second park returned before its unpark");
        parked_again.join().unwrap();
    })
    .unwrap();
}

/// Many green threads park in a loop while several OS threads bump their
/// counters and unpark them, all at once. A lost wake-up would leave a
/// thread parked with its counter short and, once the OS threads (and
/// their unparkers) are gone, main's join would report a deadlock.
#[test]
fn many_threads_waking_at_once_lose_no_wake_up() {
    const GREEN: usize = 64;
    const OS: usize = 4;
    const ROUNDS: usize = 200;
    let hub = Hub::new().unwrap();
    let totals = hub
        .run(|| {
            let counters: Arc<Vec<AtomicUsize>> =
                Arc::new((0..GREEN).map(|_| AtomicUsize::new(0)).collect());
            let (tx, rx) = mpsc::channel::<(usize, Unparker)>();
            let greens: Vec<_> = (0..GREEN)
                .map(|i| {
                    let counters = counters.clone();
                    let tx = tx.clone();
                    simul_green::spawn(move || -> Result<usize, Error> {
                        tx.send((i, simul_green::unparker()?)).unwrap();
                        drop(tx);
                        let mut parks = 0;
                        // Every bump comes with an unpark after it: the
                        // target is reached with no unpark left unseen.
                        while counters[i].load(Ordering::Acquire) < OS * ROUNDS {
                            simul_green::park()?;
                            parks += 1;
                        }
                        Ok(parks)
                    })
                })
                .collect::<Result<_, _>>()
                .unwrap();
            drop(tx);
            // Let every green thread hand over its unparker.
            simul_green::yield_now().unwrap();
            let unparkers: Vec<(usize, Unparker)> = rx.try_iter().collect();
            assert_eq!(unparkers.len(), GREEN);
            let os: Vec<_> = (0..OS)
                .map(|_| {
                    let unparkers = unparkers.clone();
                    let counters = counters.clone();
                    std::thread::spawn(move || {
                        for _ in 0..ROUNDS {
                            for (i, u) in &unparkers {
                                counters[*i].fetch_add(1, Ordering::Release);
                                u.unpark().unwrap();
                            }
                        }
                    })
                })
                .collect();
            drop(unparkers);
            let parks: Vec<usize> =
                greens.into_iter().map(|g| g.join().unwrap().unwrap()).collect();
            for t in os {
                t.join().unwrap();
            }
            (parks, counters.iter().map(|c| c.load(Ordering::Relaxed)).collect::<Vec<_>>())
        })
        .unwrap();
    let (parks, counts) = totals;
    assert!(counts.iter().all(|&c| c == OS * ROUNDS), "{counts:?}");
    // Coalescing: never more returns from park than unparks.
    assert!(parks.iter().all(|&p| (1..=OS * ROUNDS).contains(&p)), "{parks:?}");
}

#[test]
fn unparking_a_finished_thread_wakes_nobody_else() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let old = simul_green::spawn(|| simul_green::unparker().unwrap()).unwrap();
        let old = old.join().unwrap(); // the thread is gone, its entry freed
        let (tx, rx) = mpsc::channel::<Unparker>();
        let woken = std::rc::Rc::new(std::cell::Cell::new(false));
        let w = woken.clone();
        // Takes the freed entry: the old unparker must not wake it.
        let new = simul_green::spawn(move || {
            tx.send(simul_green::unparker().unwrap()).unwrap();
            simul_green::park().unwrap();
            w.set(true);
        })
        .unwrap();
        simul_green::yield_now().unwrap(); // `new` parks
        let new_unparker = rx.recv().unwrap();
        std::thread::spawn(move || old.unpark()).join().unwrap().unwrap();
        // Long enough for the hub to poll and drain the old slot.
        simul_green::sleep(Duration::from_millis(20)).unwrap();
        assert!(!woken.get(), "a stale unparker woke another thread");
        std::thread::spawn(move || new_unparker.unpark()).join().unwrap().unwrap();
        new.join().unwrap();
        assert!(woken.get());
    })
    .unwrap();
}

#[test]
fn unparking_a_killed_thread_is_harmless() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let (tx, rx) = mpsc::channel::<Unparker>();
        let parked = simul_green::spawn(move || {
            tx.send(simul_green::unparker().unwrap()).unwrap();
            simul_green::park().unwrap();
            unreachable!("killed while parked");
        })
        .unwrap();
        simul_green::yield_now().unwrap();
        let unparker = rx.recv().unwrap();
        parked.kill().unwrap();
        assert!(matches!(parked.join(), Err(Error::Killed)));
        std::thread::spawn(move || unparker.unpark()).join().unwrap().unwrap();
        // The hub still works, and the stale wake-up wakes nobody.
        simul_green::sleep(Duration::from_millis(5)).unwrap();
        assert_eq!(simul_green::spawn(|| 7).unwrap().join().unwrap(), 7);
    })
    .unwrap();
}

#[test]
fn unparking_after_the_hub_is_dropped_reports_it() {
    let hub = Hub::new().unwrap();
    let unparker = hub.run(|| simul_green::unparker().unwrap()).unwrap();
    drop(hub);
    let e = std::thread::spawn(move || {
        let first = unparker.unpark().unwrap_err();
        let again = unparker.unpark().unwrap_err(); // every time, not just once
        assert_eq!(again.kind(), first.kind());
        first
    })
    .join()
    .unwrap();
    assert_eq!(e.kind(), std::io::ErrorKind::NotConnected);
}

#[test]
fn a_park_nobody_can_end_is_a_deadlock() {
    let hub = Hub::new().unwrap();
    let result = hub
        .run(|| {
            // No unparker exists for it: nothing can ever wake it.
            let t = simul_green::spawn_named("parker", simul_green::park).unwrap();
            t.join()
        })
        .unwrap();
    let Err(Error::Deadlock(report)) = result else { panic!("expected a deadlock: {result:?}") };
    let parker = &report.waiting()[1];
    assert_eq!(parker.name.as_deref(), Some("parker"));
    assert_eq!(parker.wait, Some(Wait::Unpark));
    assert!(report.to_string().contains("waits to be unparked"), "{report}");
}

#[test]
fn a_dropped_last_unparker_that_unparked_first_is_not_a_deadlock() {
    // The OS thread unparks and drops its handle; the hub must see the
    // queued wake-up before it concludes that nobody can wake main.
    for _ in 0..50 {
        let hub = Hub::new().unwrap();
        hub.run(|| {
            let unparker = simul_green::unparker().unwrap();
            let os = std::thread::spawn(move || unparker.unpark());
            simul_green::park().unwrap();
            os.join().unwrap().unwrap();
        })
        .unwrap();
    }
}

#[test]
fn outside_a_hub_it_is_an_error() {
    assert!(simul_green::unparker().is_err());
    assert!(matches!(simul_green::park(), Err(Error::Io(_))));
}
