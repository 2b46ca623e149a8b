//! What the callback loop costs, against the floor of doing the same with
//! no loop at all.
//!
//! * `dispatch/*/1000000`: schedule and run one million callbacks. The
//!   floor is pushing boxed closures on a `VecDeque<Box<dyn FnOnce()>>` and
//!   draining it; the loop does the same plus its bookkeeping (sequence
//!   numbers for handles, scheduling locations, one poll per iteration).
//! * `timers/*/100000`: schedule 100,000 timers with scattered delays and
//!   fire them all, under the virtual clock so that no time is slept. The
//!   floor is a `BinaryHeap` of `(deadline, seq)` keys with boxed closures.
#![allow(missing_docs)]

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simul_callback::EventLoop;
use simul_reactor::Clock;

thread_local! {
    /// What every benchmark callback adds to: the same body everywhere.
    static SUM: Cell<u64> = const { Cell::new(0) };
}

#[inline(never)]
fn work(i: u64) {
    SUM.with(|s| s.set(s.get().wrapping_add(i)));
}

fn dispatch(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut g = c.benchmark_group("dispatch");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));

    g.bench_function(BenchmarkId::new("vecdeque_floor", N), |b| {
        let mut q: VecDeque<Box<dyn FnOnce()>> = VecDeque::new();
        b.iter(|| {
            for i in 0..N {
                q.push_back(Box::new(move || work(black_box(i))));
            }
            while let Some(f) = q.pop_front() {
                f();
            }
        });
    });

    g.bench_function(BenchmarkId::new("call_soon", N), |b| {
        let mut lp = EventLoop::new().expect("loop");
        b.iter(|| {
            for i in 0..N {
                let _ = lp.call_soon(move |_| work(black_box(i)));
            }
            lp.stop();
            lp.run_forever().expect("run");
        });
    });
    g.finish();
}

fn timers(c: &mut Criterion) {
    const N: u64 = 100_000;
    // Scattered deadlines: a cheap LCG, the same sequence for both.
    let delays: Vec<u64> = (0..N)
        .scan(12345u64, |x, _| {
            *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Some((*x >> 33) % 10_000)
        })
        .collect();
    let mut g = c.benchmark_group("timers");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));

    g.bench_function(BenchmarkId::new("heap_floor", N), |b| {
        b.iter(|| {
            let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
            let mut fns: Vec<Option<Box<dyn FnOnce()>>> = Vec::with_capacity(N as usize);
            for (seq, &d) in delays.iter().enumerate() {
                heap.push(Reverse((d, seq as u64)));
                fns.push(Some(Box::new(move || work(black_box(d)))));
            }
            while let Some(Reverse((_, seq))) = heap.pop() {
                if let Some(f) = fns[seq as usize].take() {
                    f();
                }
            }
        });
    });

    g.bench_function(BenchmarkId::new("call_later_insert_fire", N), |b| {
        let mut lp = EventLoop::with_clock(Clock::new_virtual()).expect("loop");
        b.iter(|| {
            for &d in &delays {
                let _ = lp.call_later(Duration::from_millis(d), move |_| work(black_box(d)));
            }
            let _ = lp.call_later(Duration::from_millis(10_000), |lp| lp.stop());
            lp.run_forever().expect("run");
        });
    });
    g.finish();
}

criterion_group!(benches, dispatch, timers);
criterion_main!(benches);
