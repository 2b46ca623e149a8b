//! Loom: the notifier's coalescing (`pending` over the OS waker) never
//! loses a wake, under every interleaving (issue 10; the "none lost" of
//! catalogue items 1 and 3, proved for a small model instead of sampled
//! by a stress test).
//!
//! Built only under `RUSTFLAGS="--cfg loom"` (`scripts/loom.sh`). The code
//! under test is the crate's own [`Notifier::wake`] and the reset that
//! `Reactor::poll` calls, with `pending` a loom atomic; only the OS object
//! is a fake (`simul_reactor::model::FakeFd`, an atomic count standing
//! for the eventfd's counter or kqueue's user event).
//!
//! **The model.** Two threads each publish an item (a `Relaxed` store, so
//! only the notifier's own orderings can make it visible) and call
//! `wake`. The reactor thread meanwhile polls twice: "does the wait report
//! the notifier (the fake fd)? then reset, then read the published items".
//! After both threads are joined:
//! - every item not yet seen by a poll that reported `woken` must find the
//!   fake fd signalled (a wait would return: the wake is pending), and one
//!   more poll must report `woken` and see it;
//! - the notifier is not stuck: a further publish and wake from the
//!   reactor's thread signals the fd and is seen.
//!
//! Loom runs this for both backends: eventfd (the wait leaves the count,
//! `reset` drains it) and kqueue (`EV_CLEAR`: the wait that returns the
//! event drains it, `reset` has nothing to do).
//!
//! **The bug it catches.** `Notifier::reset` drains the OS object, then
//! clears `pending`. The other order loses wakes: the reactor clears
//! `pending`; a thread publishes, finds `pending` clear, sets it and
//! writes the eventfd; the reactor now drains that write away. `pending`
//! is left set over an empty eventfd, so every later `wake` finds it set
//! and skips the system call, and the reactor sleeps forever over
//! published work. `clear_then_drain_loses_a_wake` runs the same model
//! with that order (`model::reset_clear_then_drain`, loom-only code over
//! the same fields) and expects the lost-wake assertion to fire.
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use simul_reactor::Notifier;
use simul_reactor::model::{self, Backend, FakeFd};

/// How many items the model publishes: one per waking thread, plus one
/// from the reactor's thread at the end.
const ITEMS: usize = 3;

/// Which reset the reactor side calls.
type Reset = fn(&Notifier) -> std::io::Result<()>;

/// The reactor side of one `Reactor::poll` with a zero timeout: if the wait
/// reports the notifier, reset it and read the published items. Returns
/// whether the poll reported `woken`.
fn poll(
    fd: &FakeFd,
    notifier: &Notifier,
    reset: Reset,
    items: &[AtomicBool],
    seen: &mut [bool],
) -> bool {
    if !fd.select() {
        return false;
    }
    reset(notifier).unwrap();
    // The scheduler looks at its queue after `poll` returned `woken`.
    for (seen, item) in seen.iter_mut().zip(items) {
        *seen |= item.load(Ordering::Relaxed);
    }
    true
}

fn check(backend: Backend, reset: Reset) {
    loom::model(move || {
        let (notifier, fd) = model::notifier(backend);
        let items: Arc<[AtomicBool; ITEMS]> =
            Arc::new(std::array::from_fn(|_| AtomicBool::new(false)));

        let wakers: Vec<_> = (0..2)
            .map(|i| {
                let notifier = notifier.clone();
                let items = items.clone();
                loom::thread::spawn(move || {
                    items[i].store(true, Ordering::Relaxed);
                    notifier.wake().unwrap();
                })
            })
            .collect();

        let mut seen = [false; ITEMS];
        for _ in 0..2 {
            poll(&fd, &notifier, reset, &items[..], &mut seen);
        }
        for t in wakers {
            t.join().unwrap();
        }

        // After the last wake: anything unseen must have its wake pending.
        if !seen[..2].iter().all(|&s| s) {
            assert!(
                fd.is_signalled(),
                "lost wake: an item was published and its wake returned, no poll that reported woken saw it, and no wait would return (seen {seen:?})"
            );
            assert!(
                poll(&fd, &notifier, reset, &items[..], &mut seen),
                "lost wake: the wait did not report the notifier"
            );
            assert!(
                seen[..2].iter().all(|&s| s),
                "a poll reported woken but an item published before its wake is unseen: {seen:?}"
            );
        }

        // Not stuck: a later wake still reaches the OS object.
        items[2].store(true, Ordering::Relaxed);
        notifier.wake().unwrap();
        assert!(
            fd.is_signalled(),
            "lost wake: `pending` stayed set over a drained waker, later wakes skip the system call"
        );
        assert!(poll(&fd, &notifier, reset, &items[..], &mut seen));
        assert!(seen[2]);
    });
}

#[test]
fn eventfd_drain_then_clear_never_loses_a_wake() {
    check(Backend::Eventfd, model::reset);
}

#[test]
fn kqueue_clear_on_return_never_loses_a_wake() {
    check(Backend::Kqueue, model::reset);
}

#[test]
#[should_panic(expected = "lost wake")]
fn clear_then_drain_loses_a_wake() {
    check(Backend::Eventfd, model::reset_clear_then_drain);
}
