//! Reliability item 3 at the catalogue's size: notifier saturation. Many
//! wakes with no wait in between (from this thread and from others at
//! once) never fail or block, whatever the notifier's kernel object (an
//! eventfd's counter, a pipe's buffer) would do if each wake wrote to it;
//! they give one wake-up, and the notifier keeps working afterwards: the
//! next look finds nothing, and a later wake from another thread still
//! ends a blocking wait.
//!
//! CI size: 1,000,000 wakes per round. `SIMUL_FULL=1`: 10,000,000.

use std::time::Duration;

use simul_reactor::{Events, Instant, Reactor};

fn wakes() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000_000 } else { 1_000_000 }
}

#[test]
fn millions_of_wakes_without_a_wait_are_one_wake_up_and_later_wakes_still_work() {
    let n = wakes();
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(8);
    for round in 0..3 {
        // Half from this thread, half from two others, all before a wait.
        let others: Vec<_> = (0..2)
            .map(|_| {
                let notifier = reactor.notifier();
                std::thread::spawn(move || {
                    for _ in 0..n / 4 {
                        notifier.wake().unwrap();
                    }
                })
            })
            .collect();
        let notifier = reactor.notifier();
        for _ in 0..n / 2 {
            notifier.wake().unwrap();
        }
        for t in others {
            t.join().unwrap();
        }
        reactor.poll(&mut events, Some(Instant::ZERO)).unwrap();
        assert!(events.woken(), "round {round}: saturated wakes were lost");
        // Coalesced: one wake-up for them all.
        reactor.poll(&mut events, Some(Instant::ZERO)).unwrap();
        assert!(!events.woken(), "round {round}: a second wake-up");

        // A later wake still ends a wait that has no deadline.
        let late = reactor.notifier();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            late.wake().unwrap();
        });
        reactor.poll(&mut events, None).unwrap();
        assert!(events.woken(), "round {round}: the wake after saturation was lost");
        t.join().unwrap();
    }
}
