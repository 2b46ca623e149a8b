//! The timer queue's behaviour: ordering, cancellation, stale keys, resets,
//! extreme deadlines, and many timers with half of them cancelled or moved
//! (RELIABILITY.md #6 and #7, at the data-structure level).

use simul_reactor::{Instant, TimerKey, TimerQueue};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

fn t(nanos: u64) -> Instant {
    Instant::from_nanos(nanos)
}

/// Pops everything due at `now`, in order.
fn drain<T>(timers: &mut TimerQueue<T>, now: Instant) -> Vec<(Instant, T)> {
    std::iter::from_fn(|| timers.pop_due(now)).collect()
}

#[test]
fn earliest_first_and_ties_in_insertion_order() {
    let mut timers = TimerQueue::new();
    let trace = ["a", "b", "c", "d", "e", "f", "g"];
    // Deadlines:  30  10  30  20  10  30  20
    for (name, at) in trace.iter().zip([30, 10, 30, 20, 10, 30, 20]) {
        timers.insert(t(at), *name);
    }
    let order: Vec<&str> = drain(&mut timers, t(100)).into_iter().map(|(_, v)| v).collect();
    assert_eq!(order, ["b", "e", "d", "g", "a", "c", "f"]);
}

#[test]
fn many_ties_keep_insertion_order() {
    // Enough equal deadlines to fill several heap levels.
    let mut timers = TimerQueue::new();
    for i in 0..1000u32 {
        timers.insert(t(u64::from(i % 3)), i);
    }
    let got: Vec<u32> = drain(&mut timers, t(2)).into_iter().map(|(_, v)| v).collect();
    let mut want: Vec<u32> = (0..1000).collect();
    want.sort_by_key(|i| i % 3); // stable: insertion order within a deadline
    assert_eq!(got, want);
}

#[test]
fn nothing_is_popped_early() {
    let mut timers = TimerQueue::new();
    timers.insert(t(10), 'a');
    timers.insert(t(20), 'b');
    assert_eq!(timers.pop_due(t(9)), None);
    assert_eq!(timers.pop_due(t(10)), Some((t(10), 'a')));
    assert_eq!(timers.pop_due(t(19)), None);
    assert_eq!(timers.next_deadline(), Some(t(20)));
    assert_eq!(timers.pop_due(t(25)), Some((t(20), 'b')));
    assert_eq!(timers.pop_due(Instant::MAX), None);
    assert_eq!(timers.next_deadline(), None);
}

#[test]
fn cancel_before_fire_returns_the_value_and_it_never_fires() {
    let mut timers = TimerQueue::new();
    let a = timers.insert(t(10), "a");
    let b = timers.insert(t(20), "b");
    let c = timers.insert(t(30), "c");
    assert_eq!(timers.cancel(b), Some("b"));
    assert_eq!(timers.len(), 2);
    assert_eq!(timers.deadline(b), None);
    assert_eq!(timers.deadline(a), Some(t(10)));
    assert_eq!(timers.deadline(c), Some(t(30)));
    assert_eq!(drain(&mut timers, Instant::MAX), [(t(10), "a"), (t(30), "c")]);
}

#[test]
fn cancelling_the_earliest_moves_next_deadline() {
    let mut timers = TimerQueue::new();
    let first = timers.insert(t(5), ());
    timers.insert(t(7), ());
    assert_eq!(timers.next_deadline(), Some(t(5)));
    timers.cancel(first);
    assert_eq!(timers.next_deadline(), Some(t(7)));
}

#[test]
fn cancel_after_fire_is_none_and_harmless() {
    let mut timers = TimerQueue::new();
    let a = timers.insert(t(10), "a");
    timers.insert(t(20), "b");
    assert_eq!(timers.pop_due(t(10)), Some((t(10), "a")));
    assert_eq!(timers.cancel(a), None);
    assert!(!timers.reset(a, t(1)));
    assert_eq!(timers.deadline(a), None);
    assert_eq!(timers.len(), 1);
    assert_eq!(drain(&mut timers, Instant::MAX), [(t(20), "b")]);
}

#[test]
fn double_cancel_is_none_the_second_time() {
    let mut timers = TimerQueue::new();
    let a = timers.insert(t(10), 1);
    timers.insert(t(10), 2);
    assert_eq!(timers.cancel(a), Some(1));
    assert_eq!(timers.cancel(a), None);
    assert_eq!(timers.len(), 1);
    assert_eq!(drain(&mut timers, Instant::MAX), [(t(10), 2)]);
}

#[test]
fn stale_keys_never_touch_a_timer_that_reuses_their_slot() {
    let mut timers = TimerQueue::new();
    let old_fired = timers.insert(t(1), "fired");
    let old_cancelled = timers.insert(t(2), "cancelled");
    assert_eq!(timers.pop_due(t(1)), Some((t(1), "fired")));
    assert_eq!(timers.cancel(old_cancelled), Some("cancelled"));
    assert!(timers.is_empty());

    // Both slots are free; the next two timers reuse them.
    let new1 = timers.insert(t(50), "new1");
    let new2 = timers.insert(t(60), "new2");
    for stale in [old_fired, old_cancelled] {
        assert_ne!(stale, new1);
        assert_ne!(stale, new2);
        assert_eq!(timers.deadline(stale), None);
        assert!(!timers.reset(stale, t(0)));
        assert_eq!(timers.cancel(stale), None);
    }
    assert_eq!(timers.len(), 2);
    assert_eq!(timers.deadline(new1), Some(t(50)));
    assert_eq!(timers.deadline(new2), Some(t(60)));
    assert_eq!(drain(&mut timers, Instant::MAX), [(t(50), "new1"), (t(60), "new2")]);
}

#[test]
fn stale_keys_survive_many_reuses_of_one_slot() {
    let mut timers = TimerQueue::new();
    let mut stale: Vec<TimerKey> = Vec::new();
    for i in 0..10_000u64 {
        let key = timers.insert(t(i), i);
        if i % 2 == 0 {
            timers.cancel(key);
        } else {
            timers.pop_due(Instant::MAX);
        }
        stale.push(key);
    }
    let live = timers.insert(t(7), u64::MAX);
    for key in &stale {
        assert_eq!(timers.cancel(*key), None);
        assert!(!timers.reset(*key, t(0)));
    }
    assert_eq!(timers.deadline(live), Some(t(7)));
    assert_eq!(timers.cancel(live), Some(u64::MAX));
}

#[test]
fn keys_from_before_clear_are_stale() {
    let mut timers = TimerQueue::new();
    let before = timers.insert(t(1), "before");
    timers.clear();
    assert!(timers.is_empty());
    assert_eq!(timers.next_deadline(), None);
    let after = timers.insert(t(1), "after");
    assert_eq!(timers.cancel(before), None);
    assert!(!timers.reset(before, t(0)));
    assert_eq!(timers.deadline(after), Some(t(1)));
}

#[test]
fn reset_moves_a_timer_earlier_and_later() {
    let mut timers = TimerQueue::new();
    let a = timers.insert(t(10), "a");
    let b = timers.insert(t(20), "b");
    timers.insert(t(30), "c");
    assert!(timers.reset(b, t(5)));
    assert_eq!(timers.next_deadline(), Some(t(5)));
    assert!(timers.reset(a, t(40)));
    assert_eq!(timers.deadline(a), Some(t(40)));
    assert_eq!(drain(&mut timers, Instant::MAX), [(t(5), "b"), (t(30), "c"), (t(40), "a")]);
}

#[test]
fn reset_goes_after_timers_already_at_the_new_deadline() {
    let mut timers = TimerQueue::new();
    let early = timers.insert(t(10), "moved");
    timers.insert(t(20), "x");
    timers.insert(t(20), "y");
    let later = timers.insert(t(30), "moved back");
    assert!(timers.reset(early, t(20)));
    assert!(timers.reset(later, t(20)));
    // Resetting to the deadline it already has also re-queues it last.
    let z = timers.insert(t(20), "z");
    timers.insert(t(20), "w");
    assert!(timers.reset(z, t(20)));
    let order: Vec<&str> = drain(&mut timers, t(20)).into_iter().map(|(_, v)| v).collect();
    assert_eq!(order, ["x", "y", "moved", "moved back", "w", "z"]);
}

#[test]
fn reset_keeps_the_key() {
    let mut timers = TimerQueue::new();
    let key = timers.insert(t(10), "k");
    for i in 0..100 {
        assert!(timers.reset(key, t(100 - i)));
    }
    assert_eq!(timers.deadline(key), Some(t(1)));
    assert_eq!(timers.cancel(key), Some("k"));
}

#[test]
fn huge_and_zero_deadlines_beside_a_normal_one() {
    let now = Instant::from_nanos(1_000_000_000);
    let mut timers = TimerQueue::new();
    let never = timers.insert(now + Duration::MAX, "Duration::MAX");
    assert_eq!(timers.deadline(never), Some(Instant::MAX), "saturated, not wrapped");
    timers.insert(Instant::MAX, "Instant::MAX");
    timers.insert(now + Duration::from_secs(10 * 365 * 24 * 3600), "ten years");
    timers.insert(Instant::ZERO, "zero");
    timers.insert(now + Duration::ZERO, "now");
    timers.insert(now + Duration::from_millis(1), "1 ms");

    // The past and the present are due at once; nothing else is.
    let due: Vec<&str> = drain(&mut timers, now).into_iter().map(|(_, v)| v).collect();
    assert_eq!(due, ["zero", "now"]);
    assert_eq!(timers.next_deadline(), Some(now + Duration::from_millis(1)));
    assert_eq!(timers.pop_due(now + Duration::from_micros(999)), None);
    assert_eq!(
        timers.pop_due(now + Duration::from_millis(1)),
        Some((now + Duration::from_millis(1), "1 ms"))
    );
    // Up to the last nanosecond before "never", only the ten-year timer fires.
    let due = drain(&mut timers, Instant::from_nanos(u64::MAX - 1));
    assert_eq!(due, [(now + Duration::from_secs(10 * 365 * 24 * 3600), "ten years")]);
    assert_eq!(timers.len(), 2);
    // At Instant::MAX itself, the two "never" timers go, in insertion order.
    let due: Vec<&str> = drain(&mut timers, Instant::MAX).into_iter().map(|(_, v)| v).collect();
    assert_eq!(due, ["Duration::MAX", "Instant::MAX"]);
}

#[test]
fn reset_to_and_from_instant_max() {
    let mut timers = TimerQueue::new();
    let a = timers.insert(t(5), "a");
    timers.insert(t(6), "b");
    assert!(timers.reset(a, Instant::MAX));
    assert_eq!(drain(&mut timers, t(1_000_000)), [(t(6), "b")]);
    assert!(timers.reset(a, Instant::ZERO));
    assert_eq!(drain(&mut timers, Instant::ZERO), [(Instant::ZERO, "a")]);
}

/// A tiny xorshift PRNG, so the test is reproducible without a crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// 100k timers, half of them cancelled or reset: exactly the survivors fire,
/// in (deadline, insertion-or-reset) order, and none before its deadline.
#[test]
fn hundred_thousand_timers_half_cancelled_or_reset() {
    const N: u64 = 100_000;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut timers = TimerQueue::new();
    // What must fire: (deadline, order of scheduling, value).
    let mut expected: Vec<(Instant, u64, u64)> = Vec::new();
    let mut keys = Vec::new();
    let mut order = 0;
    for value in 0..N {
        // Deadlines over 10 ms with 1 µs resolution: many ties.
        let deadline = t(rng.next() % 10_000 * 1_000);
        keys.push((timers.insert(deadline, value), deadline, order));
        order += 1;
    }
    for (value, (key, deadline, inserted)) in keys.iter().enumerate() {
        match rng.next() % 4 {
            0 => assert_eq!(timers.cancel(*key), Some(value as u64)),
            1 => {
                let moved = t(rng.next() % 10_000 * 1_000);
                assert!(timers.reset(*key, moved));
                expected.push((moved, order, value as u64));
                order += 1;
            }
            _ => expected.push((*deadline, *inserted, value as u64)),
        }
    }
    expected.sort_unstable();
    assert_eq!(timers.len(), expected.len());

    // Fire them in 100 µs steps, as a loop would after each wait.
    let mut fired = Vec::new();
    let mut now = Instant::ZERO;
    loop {
        while let Some((deadline, value)) = timers.pop_due(now) {
            assert!(deadline <= now, "fired early: {deadline:?} at {now:?}");
            assert!(now - deadline < Duration::from_micros(100), "missed a turn");
            fired.push((deadline, value));
        }
        if timers.is_empty() {
            break;
        }
        now = now + Duration::from_micros(100);
    }
    let want: Vec<(Instant, u64)> = expected.iter().map(|&(d, _, v)| (d, v)).collect();
    assert_eq!(fired.len(), want.len());
    assert!(fired == want, "survivors fired in the wrong order");
    // Every key is now stale.
    for (key, _, _) in &keys {
        assert_eq!(timers.cancel(*key), None);
    }
}

/// Timers cancelled and reset from inside the firing loop, as callbacks
/// do: each fired timer cancels one other timer and pushes another back.
/// What fires must match a sorted map that received the same changes.
#[test]
fn timers_changed_while_others_fire() {
    const N: usize = 20_000;
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let mut timers = TimerQueue::new();
    let mut model = std::collections::BTreeMap::new();
    let mut keys = Vec::with_capacity(N);
    let mut order = Vec::with_capacity(N);
    let mut seq = 0u64;
    for value in 0..N {
        let deadline = t(rng.next() % 1_000 * 1_000);
        keys.push(timers.insert(deadline, value));
        model.insert((deadline, seq), value);
        order.push((deadline, seq));
        seq += 1;
    }
    let mut now = Instant::ZERO;
    let mut fired = 0;
    while !timers.is_empty() {
        while let Some((deadline, value)) = timers.pop_due(now) {
            let (want_order, want) = model.pop_first().expect("the model agrees");
            assert_eq!((deadline, value), (want_order.0, want));
            assert!(deadline <= now, "fired early");
            fired += 1;
            // The "callback": cancel one timer, push another back.
            let victim = rng.next() as usize % N;
            let cancelled = timers.cancel(keys[victim]);
            assert_eq!(cancelled, model.remove(&order[victim]));
            let moved = rng.next() as usize % N;
            let later = now + Duration::from_micros(rng.next() % 500);
            let was_pending = model.remove(&order[moved]).is_some();
            assert_eq!(timers.reset(keys[moved], later), was_pending);
            if was_pending {
                order[moved] = (later, seq);
                model.insert((later, seq), moved);
                seq += 1;
            }
        }
        assert_eq!(timers.next_deadline(), model.keys().next().map(|k| k.0));
        now = now + Duration::from_micros(10);
    }
    assert!(model.is_empty());
    assert!(fired > N / 4, "only {fired} fired: the test would prove little");
}

#[test]
fn memory_is_reused_across_cycles() {
    let mut timers = TimerQueue::new();
    let mut rng = XorShift(42);
    // Warm up to 1000 pending timers, then cycle: each round inserts and
    // fires or cancels 1000, keeping about 1000 pending.
    let mut keys: Vec<TimerKey> =
        (0..1000).map(|i| timers.insert(t(rng.next() % 1_000_000), i)).collect();
    let capacity = timers.capacity();
    for round in 0..200 {
        for i in 0..1000 {
            let slot = (rng.next() % 1000) as usize;
            // Cancel (if that key has not fired yet) or fire one.
            if round % 2 == 1 || timers.cancel(keys[slot]).is_none() {
                assert!(timers.pop_due(Instant::MAX).is_some());
            }
            keys[slot] = timers.insert(t(rng.next() % 1_000_000), i);
        }
        assert_eq!(timers.len(), 1000);
        assert_eq!(timers.capacity(), capacity, "grew in round {round}");
    }
    // After a drain, shrink_to_fit gives the memory back.
    timers.clear();
    timers.shrink_to_fit();
    assert_eq!(timers.capacity(), 0);
    // And the queue still works, with old keys stale.
    let k = timers.insert(t(3), 3);
    assert_eq!(timers.cancel(keys[0]), None);
    assert_eq!(timers.cancel(k), Some(3));
}

#[test]
fn shrink_to_fit_keeps_pending_timers_and_reuses_holes() {
    let mut timers = TimerQueue::new();
    let keys: Vec<TimerKey> = (0..100).map(|i| timers.insert(t(i), i)).collect();
    // Free everything except slots 10 and 20.
    for (i, key) in keys.iter().enumerate() {
        if i != 10 && i != 20 {
            timers.cancel(*key);
        }
    }
    timers.shrink_to_fit();
    assert_eq!(timers.len(), 2);
    assert_eq!(timers.deadline(keys[10]), Some(t(10)));
    assert_eq!(timers.deadline(keys[20]), Some(t(20)));
    let more: Vec<TimerKey> = (0..30).map(|i| timers.insert(t(100 + i), 100 + i)).collect();
    assert_eq!(timers.len(), 32);
    for (i, key) in more.iter().enumerate() {
        assert_eq!(timers.deadline(*key), Some(t(100 + i as u64)));
    }
    let fired: Vec<u64> = drain(&mut timers, Instant::MAX).into_iter().map(|(_, v)| v).collect();
    let want: Vec<u64> = [10, 20].into_iter().chain(100..130).collect();
    assert_eq!(fired, want);
}

/// Counts drops, to check that each value is dropped exactly once.
struct DropCounter(Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn every_value_is_dropped_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let mut timers = TimerQueue::new();
    let mut keys = Vec::new();
    for i in 0..100 {
        keys.push(timers.insert(t(i), DropCounter(drops.clone())));
    }
    // 10 fired, 10 cancelled, 80 dropped with the queue; 10 more cleared.
    for _ in 0..10 {
        drop(timers.pop_due(Instant::MAX));
    }
    for key in &keys[50..60] {
        drop(timers.cancel(*key));
    }
    assert_eq!(drops.get(), 20);
    for key in &keys[50..60] {
        assert!(timers.cancel(*key).is_none());
    }
    assert_eq!(drops.get(), 20);
    let mut second = TimerQueue::new();
    for i in 0..10 {
        second.insert(t(i), DropCounter(drops.clone()));
    }
    second.clear();
    assert_eq!(drops.get(), 30);
    drop(timers);
    assert_eq!(drops.get(), 110);
}
