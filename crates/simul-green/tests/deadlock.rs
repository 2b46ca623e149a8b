//! Deadlock detection: main waits and nothing can ever run.

use simul_green::{Error, Event, GreenId, Hub, Wait};

#[test]
fn report_lists_who_waits_on_what() {
    let hub = Hub::new().unwrap();
    let (report, a, b) = hub
        .run(|| {
            let never = Event::new();
            let inner = never.clone();
            let a = simul_green::spawn_named("waiter", move || inner.wait()).unwrap();
            let a_id = a.id();
            let b = simul_green::spawn_named("joiner", move || a.join()).unwrap();
            let b_id = b.id();
            let result = b.join();
            // The hub is fine afterwards: set the event and all finish.
            never.set();
            (result, a_id, b_id)
        })
        .unwrap();
    let Err(Error::Deadlock(report)) = report else {
        panic!("expected a deadlock, got {report:?}")
    };
    let lines: Vec<_> = report.waiting().iter().map(|w| (w.id, w.name.clone(), w.wait)).collect();
    assert_eq!(
        lines,
        [
            (GreenId::MAIN, None, Some(Wait::Join(b))),
            (a, Some("waiter".to_owned()), Some(Wait::Event)),
            (b, Some("joiner".to_owned()), Some(Wait::Join(a))),
        ]
    );
    let text = report.to_string();
    assert!(text.starts_with("deadlock: every green thread waits"), "{text}");
    assert!(text.contains("main waits to join #2"), "{text}");
    assert!(text.contains("#1 (\"waiter\") waits for an Event to be set"), "{text}");
}

#[test]
fn after_a_deadlock_the_waiters_can_still_be_released() {
    let hub = Hub::new().unwrap();
    let value = hub
        .run(|| {
            let gate = Event::new();
            let g = gate.clone();
            let h = simul_green::spawn(move || {
                g.wait().unwrap();
                "released"
            })
            .unwrap();
            assert!(matches!(gate.wait(), Err(Error::Deadlock(_))));
            gate.set();
            h.join().unwrap()
        })
        .unwrap();
    assert_eq!(value, "released");
}

#[test]
fn a_pending_timer_is_not_a_deadlock() {
    let hub = Hub::with_clock(simul_reactor::Clock::new_virtual()).unwrap();
    let r = hub
        .run(|| {
            let ev = Event::new();
            let e = ev.clone();
            drop(
                simul_green::spawn(move || {
                    simul_green::sleep(std::time::Duration::from_secs(5)).unwrap();
                    e.set();
                })
                .unwrap(),
            );
            ev.wait()
        })
        .unwrap();
    assert!(r.is_ok());
    assert_eq!(hub.now().since_origin(), std::time::Duration::from_secs(5));
}
