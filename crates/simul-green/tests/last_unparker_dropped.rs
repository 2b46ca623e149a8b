//! A green thread parked in [`simul_green::park`] whose last [`Unparker`]
//! is dropped on another OS thread, unused, while the hub waits in its
//! poll: nobody can wake it any more, so the hub reports a deadlock to
//! main, as documented, instead of waiting forever. (It waited forever:
//! the hub went to sleep in its poll while the handle lived, and the drop
//! did not wake it to look again. Fixed: dropping the last handle rings
//! the hub's notifier.) Part of items 1-3: a wake-up, here the deadlock
//! report, that must not be lost.
//!
//! Each case runs its hub on an OS thread of its own, watched: a hang
//! fails the test after 30 s instead of stalling the suite.

use std::sync::mpsc;
use std::time::Duration;

use simul_green::{Error, Hub, Unparker};

/// Runs `case` on a fresh hub on its own OS thread; fails if it takes
/// more than 30 s (the thread is then left behind, blocked).
fn watched<R: Send + 'static>(case: fn() -> R) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(case()).unwrap());
    rx.recv_timeout(Duration::from_secs(30)).expect("the hub hung instead of reporting a deadlock")
}

/// Hands `u` to an OS thread that drops it after a while, unused.
fn drop_later(u: Unparker) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        drop(u);
    })
}

#[test]
fn main_parked_when_its_last_unparker_is_dropped_elsewhere_gets_a_deadlock() {
    let result = watched(|| {
        Hub::new()
            .unwrap()
            .run(|| {
                let dropper = drop_later(simul_green::unparker().unwrap());
                let r = simul_green::park();
                dropper.join().unwrap();
                r.map_err(|e| e.to_string())
            })
            .unwrap()
    });
    let e = result.unwrap_err();
    assert!(e.contains("waits to be unparked"), "{e}");
}

#[test]
fn a_thread_parked_when_its_last_unparker_is_dropped_elsewhere_deadlocks_its_joiner() {
    let joined = watched(|| {
        Hub::new()
            .unwrap()
            .run(|| {
                let (tx, rx) = mpsc::channel();
                let parked = simul_green::spawn_named("parked", move || {
                    tx.send(drop_later(simul_green::unparker().unwrap())).unwrap();
                    simul_green::park()
                })
                .unwrap();
                let r = parked.join();
                rx.recv().unwrap().join().unwrap();
                matches!(r, Err(Error::Deadlock(_)))
            })
            .unwrap()
    });
    assert!(joined, "main's join did not report the deadlock");
}

#[test]
fn a_clone_dropped_elsewhere_while_another_lives_is_not_a_deadlock() {
    // The drop rings the hub only for the last handle; with one left the
    // hub keeps waiting, and that one still wakes the thread.
    watched(|| {
        Hub::new()
            .unwrap()
            .run(|| {
                let u = simul_green::unparker().unwrap();
                let dropper = drop_later(u.clone());
                let waker = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(150));
                    u.unpark().unwrap();
                });
                simul_green::park().unwrap();
                dropper.join().unwrap();
                waker.join().unwrap();
            })
            .unwrap()
    });
}
