//! Joining: results, errors, detached threads, misuse.

mod util;

use std::io::ErrorKind;

use simul_green::{Error, Hub};
use util::{Log, virtual_hubs};

#[test]
fn join_returns_each_value_in_any_order() {
    for (backend, hub) in virtual_hubs() {
        let out = hub
            .run(|| {
                let hs: Vec<_> =
                    (0..5).map(|i| simul_green::spawn(move || i * 10).unwrap()).collect();
                // Join in reverse: results do not depend on join order.
                hs.into_iter().rev().map(|h| h.join().unwrap()).collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(out, [40, 30, 20, 10, 0], "{backend}");
    }
}

#[test]
fn green_threads_join_each_other() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let l1 = l.clone();
            let inner = simul_green::spawn(move || {
                simul_green::sleep(std::time::Duration::from_secs(1)).unwrap();
                l1.push("inner done");
                7
            })
            .unwrap();
            let l2 = l.clone();
            let outer = simul_green::spawn(move || {
                let v = inner.join().unwrap();
                l2.push("outer joined");
                v + 1
            })
            .unwrap();
            assert_eq!(outer.join().unwrap(), 8);
        })
        .unwrap();
        assert_eq!(log.take(), ["inner done", "outer joined"], "{backend}");
    }
}

#[test]
fn detached_threads_still_run_and_free_their_entries() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            for i in 0..100 {
                let l = l.clone();
                drop(simul_green::spawn(move || l.push(format!("{i}"))).unwrap());
            }
            simul_green::sleep(std::time::Duration::from_millis(1)).unwrap();
        })
        .unwrap();
        assert_eq!(log.take().len(), 100, "{backend}");
    }
}

#[test]
fn join_after_finish_and_is_finished() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let h = simul_green::spawn(|| "done").unwrap();
        assert!(!h.is_finished());
        simul_green::yield_now().unwrap();
        assert!(h.is_finished());
        assert_eq!(h.join().unwrap(), "done");
    })
    .unwrap();
}

#[test]
fn outside_a_hub_everything_says_so() {
    for e in [
        simul_green::spawn(|| ()).map(drop).unwrap_err(),
        simul_green::yield_now().unwrap_err(),
        simul_green::sleep(std::time::Duration::from_secs(1)).unwrap_err(),
        simul_green::now().map(drop).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(e.to_string().contains("not inside a simul-green hub"), "{e}");
    }
    // A handle taken out of its hub: its result, if there, is still given.
    let hub = Hub::new().unwrap();
    let (done, pending) = hub
        .run(|| {
            let done = simul_green::spawn(|| 1).unwrap();
            simul_green::yield_now().unwrap();
            // Not started when run ends: killed by run's cleanup.
            let pending = simul_green::spawn(|| 2).unwrap();
            (done, pending)
        })
        .unwrap();
    assert_eq!(done.join().unwrap(), 1);
    assert!(matches!(pending.join(), Err(Error::Killed)));
}

#[test]
fn handles_used_in_another_run_or_hub() {
    let a = Hub::new().unwrap();
    let b = Hub::new().unwrap();
    let h = a.spawn(|| 3);
    let err = b.run(|| h.join()).unwrap();
    match err {
        Err(Error::Io(e)) => assert!(e.to_string().contains("not inside"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
    // h was consumed by the failed join; spawn another on `a` and join there.
    let h = a.spawn(|| 4);
    assert_eq!(a.run(|| h.join().unwrap()).unwrap(), 4);
}

#[test]
fn nested_run_is_refused() {
    let hub = Hub::new().unwrap();
    let other = Hub::new().unwrap();
    let inner = hub.run(|| other.run(|| ()).map_err(|e| e.to_string())).unwrap();
    assert!(inner.unwrap_err().contains("already running"));
}

#[test]
fn self_join_is_a_deadlock_not_a_hang() {
    let hub = Hub::new().unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let cell: std::rc::Rc<std::cell::RefCell<Option<simul_green::JoinHandle<()>>>> =
            Default::default();
        let c = cell.clone();
        let h = simul_green::spawn(move || {
            let me = c.borrow_mut().take().unwrap();
            match me.join() {
                Err(Error::Deadlock(d)) => l.push(d.to_string()),
                other => l.push(format!("unexpected {other:?}")),
            }
        })
        .unwrap();
        let id = h.id();
        *cell.borrow_mut() = Some(h);
        simul_green::yield_now().unwrap();
        id
    })
    .unwrap();
    let log = log.take();
    assert_eq!(log.len(), 1);
    assert!(log[0].contains("#1 waits to join #1"), "{}", log[0]);
}

#[test]
fn stack_mapping_failure_reaches_the_joiner() {
    // A stack larger than the address space cannot be mapped.
    let hub = Hub::builder().stack_size(usize::MAX / 2).build().unwrap();
    let err = hub.run(|| simul_green::spawn(|| ()).unwrap().join()).unwrap();
    match err {
        Err(Error::Io(e)) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
        other => panic!("unexpected {other:?}"),
    }
}
