//! A private timer queue: deadline order, ties in insertion order, O(1)
//! cancellation.
//!
//! This is the minimum the loop needs until `simul_reactor::TimerQueue`
//! lands on `main`; it has the same shape (`insert`, `cancel`,
//! `next_deadline`, `pop_due`) so swapping it out touches one `use`.
//!
//! A binary heap of `(deadline, sequence)` keys with *lazy deletion*:
//! cancelling a timer empties its slot at once (so the callback and what
//! it captured are dropped at once) and leaves the heap key behind, to be
//! thrown away when it reaches the top. This is exactly what asyncio does
//! with its `heapq` and `TimerHandle._cancelled`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use simul_reactor::Instant;

/// The name of a timer in a [`TimerQueue`], returned by `insert`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// Index into `TimerQueue::slots`.
    slot: u32,
    /// The slot's generation when the timer was inserted.
    generation: u32,
}

/// One slot of the queue's slab.
struct Slot<T> {
    /// Bumped whenever the slot's timer leaves (fires or is cancelled), so
    /// that old keys and old heap entries stop matching.
    generation: u32,
    /// The timer's value while it is pending.
    value: Option<T>,
}

/// Pending timers in deadline order.
pub(crate) struct TimerQueue<T> {
    /// `(deadline, insertion sequence, slot, generation)`, smallest first.
    /// # Invariant
    /// Every pending timer has exactly one live entry here; entries whose
    /// generation no longer matches their slot are dead and skipped.
    heap: BinaryHeap<Reverse<(Instant, u64, u32, u32)>>,
    /// The timers' values, indexed by `TimerKey::slot`.
    slots: Vec<Slot<T>>,
    /// Slots free for reuse.
    free: Vec<u32>,
    /// Next insertion sequence number: breaks deadline ties in FIFO order.
    seq: u64,
    /// Number of pending timers.
    len: usize,
}

impl<T> TimerQueue<T> {
    /// An empty queue.
    pub(crate) fn new() -> TimerQueue<T> {
        TimerQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0, len: 0 }
    }

    /// Number of pending timers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds a timer that becomes due at `deadline`.
    pub(crate) fn insert(&mut self, deadline: Instant, value: T) -> TimerKey {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot { generation: 0, value: None });
                // The loop cannot hold 4 billion timers in memory anyway.
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let s = &mut self.slots[slot as usize];
        s.value = Some(value);
        let generation = s.generation;
        self.heap.push(Reverse((deadline, self.seq, slot, generation)));
        self.seq += 1;
        self.len += 1;
        TimerKey { slot, generation }
    }

    /// Removes a pending timer and returns its value; `None` when it has
    /// fired or was cancelled already.
    pub(crate) fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let s = self.slots.get_mut(key.slot as usize)?;
        if s.generation != key.generation {
            return None;
        }
        let value = s.value.take()?;
        self.retire(key.slot);
        Some(value)
    }

    /// The earliest pending deadline.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        self.skip_dead();
        self.heap.peek().map(|Reverse((deadline, ..))| *deadline)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, T)> {
        self.skip_dead();
        let &Reverse((deadline, _, slot, _)) = self.heap.peek()?;
        if deadline > now {
            return None;
        }
        self.heap.pop();
        let value = self.slots[slot as usize].value.take()?;
        self.retire(slot);
        Some((deadline, value))
    }

    fn retire(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.generation = s.generation.wrapping_add(1);
        self.free.push(slot);
        self.len -= 1;
        // Dead heap entries are bounded by live ones: when they dominate,
        // rebuild so memory follows the number of pending timers.
        if self.heap.len() > 64 && self.heap.len() > 4 * self.len.max(1) {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, _, slot, generation))| {
                let s = &slots[*slot as usize];
                s.generation == *generation && s.value.is_some()
            });
        }
    }

    fn skip_dead(&mut self) {
        while let Some(&Reverse((_, _, slot, generation))) = self.heap.peek() {
            let s = &self.slots[slot as usize];
            if s.generation == generation && s.value.is_some() {
                return;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_order_ties_fifo_and_cancel() {
        let mut q = TimerQueue::new();
        let t = |n| Instant::from_nanos(n);
        q.insert(t(5), "c");
        let b = q.insert(t(3), "b");
        q.insert(t(3), "b2");
        q.insert(t(1), "a");
        assert_eq!(q.cancel(b), Some("b"));
        assert_eq!(q.cancel(b), None);
        assert_eq!(q.next_deadline(), Some(t(1)));
        assert_eq!(q.pop_due(t(0)), None);
        let mut out = Vec::new();
        while let Some((_, v)) = q.pop_due(t(10)) {
            out.push(v);
        }
        assert_eq!(out, ["a", "b2", "c"]);
        assert_eq!(q.len(), 0);
        // A reused slot does not answer to an old key.
        let k = q.insert(t(1), "d");
        assert_eq!(q.cancel(b), None);
        assert_eq!(q.cancel(k), Some("d"));
    }
}
