//! A model test of the timer queue (RELIABILITY.md #8): long random
//! sequences of insert, cancel, reset, pop and clear, each applied both to
//! a `TimerQueue` and to a `BTreeMap<(Instant, u64), u64>` that is obviously
//! correct, comparing every answer.
//!
//! 1M operations per run (about 6 s in a debug build on a 2-core VM, well
//! under 1 s in release); `SIMUL_MODEL_OPS` overrides the count, e.g. to
//! run 100M overnight. The sequence holds up to about 2,000 timers at once,
//! with frequent ties, past deadlines and `Instant::MAX`.

use simul_reactor::{Instant, TimerKey, TimerQueue};
use std::collections::BTreeMap;

/// A tiny xorshift PRNG, so runs are reproducible without a crate.
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

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A live timer as the test tracks it: its key, and its key in the model.
#[derive(Copy, Clone)]
struct Live {
    key: TimerKey,
    order: (Instant, u64),
    /// Where the value sits in `Harness::live_values`.
    index: usize,
}

struct Harness {
    rng: XorShift,
    queue: TimerQueue<u64>,
    /// The model: (deadline, scheduling order) -> value.
    model: BTreeMap<(Instant, u64), u64>,
    /// Scheduling counter of the model; advances on insert and reset.
    seq: u64,
    /// Live timers, indexed by value (values count up from 0), and the
    /// live values in a vector for random picks.
    live: Vec<Option<Live>>,
    live_values: Vec<u64>,
    /// Keys of timers that fired or were cancelled (a bounded sample).
    stale: Vec<TimerKey>,
    next_value: u64,
    now: Instant,
    /// The most timers pending at once so far.
    max_len: usize,
}

impl Harness {
    fn new(seed: u64) -> Harness {
        Harness {
            rng: XorShift(seed),
            queue: TimerQueue::new(),
            model: BTreeMap::new(),
            seq: 0,
            live: Vec::new(),
            live_values: Vec::new(),
            stale: Vec::new(),
            next_value: 0,
            now: Instant::ZERO,
            max_len: 0,
        }
    }

    /// A deadline within 100 µs of `now` (ties are frequent), sometimes
    /// in the past, now and then far away or never.
    fn deadline(&mut self) -> Instant {
        match self.rng.below(100) {
            0 => Instant::MAX,
            1 => Instant::from_nanos(u64::MAX - 1 - self.rng.below(3)),
            2 => Instant::ZERO,
            3..=5 => Instant::from_nanos(self.now.as_nanos().saturating_sub(self.rng.below(50))),
            6..=15 => Instant::from_nanos(self.now.as_nanos() + self.rng.below(200)),
            // On a 64 ns grid, so that timers inserted at different times tie.
            _ => Instant::from_nanos((self.now.as_nanos() + self.rng.below(100_000)) & !63),
        }
    }

    fn retire(&mut self, value: u64) {
        let live = self.live[value as usize].take().expect("value is live");
        self.live_values.swap_remove(live.index);
        if let Some(&moved) = self.live_values.get(live.index) {
            self.live_mut(moved).index = live.index;
        }
        self.remember_stale(live.key);
    }

    fn remember_stale(&mut self, key: TimerKey) {
        if self.stale.len() < 1024 {
            self.stale.push(key);
        } else {
            let i = self.rng.below(1024) as usize;
            self.stale[i] = key;
        }
    }

    fn live(&self, value: u64) -> &Live {
        self.live[value as usize].as_ref().expect("value is live")
    }

    fn live_mut(&mut self, value: u64) -> &mut Live {
        self.live[value as usize].as_mut().expect("value is live")
    }

    fn random_live(&mut self) -> Option<u64> {
        if self.live_values.is_empty() {
            return None;
        }
        let i = self.rng.below(self.live_values.len() as u64) as usize;
        Some(self.live_values[i])
    }

    fn random_stale(&mut self) -> Option<TimerKey> {
        if self.stale.is_empty() {
            return None;
        }
        Some(self.stale[self.rng.below(self.stale.len() as u64) as usize])
    }

    fn insert(&mut self) {
        let deadline = self.deadline();
        let value = self.next_value;
        self.next_value += 1;
        let key = self.queue.insert(deadline, value);
        let order = (deadline, self.seq);
        self.seq += 1;
        self.model.insert(order, value);
        self.live.push(Some(Live { key, order, index: self.live_values.len() }));
        self.live_values.push(value);
    }

    fn cancel(&mut self) {
        let Some(value) = self.random_live() else { return };
        let Live { key, order, .. } = *self.live(value);
        assert_eq!(self.queue.cancel(key), Some(value));
        assert_eq!(self.model.remove(&order), Some(value));
        self.retire(value);
    }

    fn reset(&mut self) {
        let Some(value) = self.random_live() else { return };
        let deadline = self.deadline();
        let Live { key, order, .. } = *self.live(value);
        assert!(self.queue.reset(key, deadline));
        assert_eq!(self.model.remove(&order), Some(value));
        let order = (deadline, self.seq);
        self.seq += 1;
        self.model.insert(order, value);
        self.live_mut(value).order = order;
    }

    fn use_stale_key(&mut self) {
        let Some(key) = self.random_stale() else { return };
        match self.rng.below(3) {
            0 => assert_eq!(self.queue.cancel(key), None),
            1 => assert!(!self.queue.reset(key, Instant::ZERO)),
            _ => assert_eq!(self.queue.deadline(key), None),
        }
    }

    fn check_deadline(&mut self) {
        let Some(value) = self.random_live() else { return };
        let live = self.live(value);
        assert_eq!(self.queue.deadline(live.key), Some(live.order.0));
    }

    /// Moves time forward a little and pops what is due, as a loop does.
    fn advance_and_pop(&mut self) {
        self.now = Instant::from_nanos(self.now.as_nanos() + self.rng.below(40));
        let limit = self.rng.below(8);
        for _ in 0..limit {
            let want = match self.model.first_key_value() {
                Some((&(deadline, seq), &value)) if deadline <= self.now => {
                    self.model.remove(&(deadline, seq));
                    Some((deadline, value))
                }
                _ => None,
            };
            let got = self.queue.pop_due(self.now);
            assert_eq!(got, want, "pop_due({:?})", self.now);
            match got {
                Some((_, value)) => self.retire(value),
                None => break,
            }
        }
    }

    /// Once in a long while: pop at the end of time, which must drain even
    /// the `Instant::MAX` timers, or clear everything.
    fn drain_or_clear(&mut self) {
        if self.rng.below(2) == 0 {
            while let Some((deadline, value)) = self.queue.pop_due(Instant::MAX) {
                let (order, want) = self.model.pop_first().expect("model has it too");
                assert_eq!((deadline, value), (order.0, want));
                self.retire(value);
            }
        } else {
            self.queue.clear();
            self.model.clear();
            for value in std::mem::take(&mut self.live_values) {
                let live = self.live[value as usize].take().expect("value is live");
                self.remember_stale(live.key);
            }
        }
        assert!(self.model.is_empty());
    }

    fn step(&mut self) {
        match self.rng.below(1000) {
            0..=349 => self.insert(),
            350..=479 => self.cancel(),
            480..=609 => self.reset(),
            610..=659 => self.use_stale_key(),
            660..=699 => self.check_deadline(),
            700..=999 => self.advance_and_pop(),
            _ => unreachable!(),
        }
        if self.rng.below(50_000) == 0 {
            self.drain_or_clear();
        }
        assert_eq!(self.queue.len(), self.model.len());
        self.max_len = self.max_len.max(self.queue.len());
        assert_eq!(self.queue.is_empty(), self.model.is_empty());
        assert_eq!(self.queue.next_deadline(), self.model.keys().next().map(|k| k.0));
    }
}

fn operations() -> u64 {
    if let Some(n) = std::env::var("SIMUL_MODEL_OPS").ok().and_then(|s| s.parse().ok()) {
        return n;
    }
    1_000_000
}

#[test]
fn random_operations_match_a_sorted_map() {
    let ops = operations();
    let mut h = Harness::new(0x2545_F491_4F6C_DD1D);
    for _ in 0..ops {
        h.step();
    }
    // Sanity check that the sequence did reach interesting sizes, so the
    // test cannot pass by exercising an almost empty queue.
    assert!(h.next_value > ops / 4, "too few inserts");
    assert!(h.max_len >= 1_000, "the queue never grew deep: {} timers at most", h.max_len);
    // Drain the rest in order.
    h.now = Instant::MAX;
    while let Some((deadline, value)) = h.queue.pop_due(Instant::MAX) {
        let (order, want) = h.model.pop_first().expect("model has it too");
        assert_eq!((deadline, value), (order.0, want));
    }
    assert!(h.model.is_empty());
}

#[test]
fn a_growing_then_shrinking_queue_matches_a_sorted_map() {
    // Phases biased towards growth, then towards removal, so the heap goes
    // through many sizes and its deep levels are exercised.
    let mut rng = XorShift(7);
    let mut queue = TimerQueue::new();
    let mut model = BTreeMap::new();
    let mut keys: Vec<(TimerKey, (Instant, u64))> = Vec::new();
    let mut seq = 0;
    for phase in 0..6 {
        let growing = phase % 2 == 0;
        for _ in 0..20_000 {
            let r = rng.below(10);
            if (growing && r < 7) || (!growing && r < 2) || keys.is_empty() {
                let deadline = Instant::from_nanos(rng.below(1_000));
                let key = queue.insert(deadline, seq);
                model.insert((deadline, seq), seq);
                keys.push((key, (deadline, seq)));
                seq += 1;
            } else {
                let i = rng.below(keys.len() as u64) as usize;
                let (key, order) = keys.swap_remove(i);
                assert_eq!(queue.cancel(key), model.remove(&order));
            }
            assert_eq!(queue.next_deadline(), model.keys().next().map(|k| k.0));
        }
        assert_eq!(queue.len(), model.len());
    }
    let got: Vec<(Instant, u64)> = std::iter::from_fn(|| queue.pop_due(Instant::MAX)).collect();
    let want: Vec<(Instant, u64)> = model.into_iter().map(|((d, _), v)| (d, v)).collect();
    assert_eq!(got, want);
}
