//! The timer queue against the standard library's ordered structures.
//!
//! Each benchmark schedules `n` timers with random deadlines over one
//! second (sleeping tasks with assorted timeouts), then either fires them
//! all in order or cancels them all, in insertion order, which removes
//! them from random positions. Throughput is per timer: the reported time
//! divided by `n` is the cost of one timer's whole life.
//!
//! * `timer_insert_fire/n`, `timer_insert_cancel/n`: [`TimerQueue`].
//! * `binaryheap_insert_pop/n`: `BinaryHeap<Reverse<(u64, u64)>>`, a plain
//!   binary heap of `(deadline, seq)` with no values and no cancellation:
//!   the floor of what any heap-based queue can cost.
//! * `btreemap_insert_fire/n`, `btreemap_insert_cancel/n`:
//!   `BTreeMap<(u64, u64), u64>`, the obvious ordered map with exact
//!   cancellation.
//!
//! Every structure is reused across iterations, as a scheduler reuses its
//! queue, so the steady state is measured rather than first growth.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use simul_reactor::{Instant, TimerKey, TimerQueue};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// Random deadlines within one second, from a fixed xorshift sequence.
fn deadlines(n: usize) -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 1_000_000_000
        })
        .collect()
}

/// Runs `workload` as `name/n` for every size in [`SIZES`], per timer.
///
/// `workload(n)` builds the structure once (reused across iterations, as a
/// scheduler reuses its queue) and returns the closure one iteration runs
/// over the deadlines.
fn bench_sizes<W, F>(c: &mut Criterion, name: &str, mut workload: W)
where
    W: FnMut(usize) -> F,
    F: FnMut(&[u64]),
{
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat);
    for n in SIZES {
        let due = deadlines(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &due, |b, due| {
            let mut one_iteration = workload(n);
            b.iter(|| one_iteration(due));
        });
    }
    group.finish();
}

fn insert_fire(c: &mut Criterion) {
    bench_sizes(c, "timer_insert_fire", |n| {
        let mut timers = TimerQueue::with_capacity(n);
        move |due| {
            for (i, &d) in due.iter().enumerate() {
                timers.insert(Instant::from_nanos(d), i as u32);
            }
            while let Some(fired) = timers.pop_due(Instant::MAX) {
                black_box(fired);
            }
        }
    });
}

fn insert_cancel(c: &mut Criterion) {
    bench_sizes(c, "timer_insert_cancel", |n| {
        let mut timers = TimerQueue::with_capacity(n);
        let mut keys: Vec<TimerKey> = Vec::with_capacity(n);
        move |due| {
            for (i, &d) in due.iter().enumerate() {
                keys.push(timers.insert(Instant::from_nanos(d), i as u32));
            }
            for key in keys.drain(..) {
                black_box(timers.cancel(key));
            }
        }
    });
}

fn binary_heap_insert_pop(c: &mut Criterion) {
    bench_sizes(c, "binaryheap_insert_pop", |n| {
        let mut heap = BinaryHeap::with_capacity(n);
        move |due| {
            for (i, &d) in due.iter().enumerate() {
                heap.push(Reverse((d, i as u64)));
            }
            while let Some(fired) = heap.pop() {
                black_box(fired);
            }
        }
    });
}

fn btree_insert_fire(c: &mut Criterion) {
    bench_sizes(c, "btreemap_insert_fire", |_| {
        let mut map = BTreeMap::new();
        move |due| {
            for (i, &d) in due.iter().enumerate() {
                map.insert((d, i as u64), i as u32);
            }
            while let Some(fired) = map.pop_first() {
                black_box(fired);
            }
        }
    });
}

fn btree_insert_cancel(c: &mut Criterion) {
    bench_sizes(c, "btreemap_insert_cancel", |_| {
        let mut map = BTreeMap::new();
        move |due| {
            for (i, &d) in due.iter().enumerate() {
                map.insert((d, i as u64), i as u32);
            }
            for (i, &d) in due.iter().enumerate() {
                black_box(map.remove(&(d, i as u64)));
            }
        }
    });
}

criterion_group!(
    benches,
    insert_fire,
    insert_cancel,
    binary_heap_insert_pop,
    btree_insert_fire,
    btree_insert_cancel
);
criterion_main!(benches);
