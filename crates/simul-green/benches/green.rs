//! Green-thread benchmarks, each beside the future executor's equivalent
//! (tokio's current-thread runtime) measured in the same run.
//!
//! * `switch_round_trip/{asm,ucontext}`: the bare context switch, no hub
//!   ([`Backend::measure_switch`]): one iteration is two switches.
//! * `yield_round_trip/{asm,ucontext,tokio}`: main and one green thread
//!   yield to each other; one iteration is two context switches plus two
//!   passes of the scheduler. tokio: two tasks doing `yield_now().await`.
//! * `spawn_join/100000/{green,tokio}`: spawn 100k trivial threads (tasks)
//!   and join them all.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use simul_green::{Backend, Hub};

/// Runs `iters` yield round trips between main and a partner thread.
fn green_round_trips(hub: &Hub, iters: u64) -> Duration {
    hub.run(|| {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let partner = simul_green::spawn(move || {
            while !s.get() {
                simul_green::yield_now().expect("yield in partner");
            }
        })
        .expect("spawn partner");
        simul_green::yield_now().expect("start partner");
        let start = Instant::now();
        for _ in 0..iters {
            simul_green::yield_now().expect("yield in main");
        }
        let elapsed = start.elapsed();
        stop.set(true);
        partner.join().expect("partner");
        elapsed
    })
    .expect("hub run")
}

fn tokio_round_trips(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        let stop = Rc::new(Cell::new(false));
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let s = stop.clone();
                let partner = tokio::task::spawn_local(async move {
                    while !s.get() {
                        tokio::task::yield_now().await;
                    }
                });
                tokio::task::yield_now().await;
                let start = Instant::now();
                for _ in 0..iters {
                    tokio::task::yield_now().await;
                }
                let elapsed = start.elapsed();
                stop.set(true);
                partner.await.expect("partner");
                elapsed
            })
            .await
    })
}

fn bare_switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("switch_round_trip");
    for (name, backend) in [("asm", Backend::Asm), ("ucontext", Backend::Ucontext)] {
        if backend.is_available() {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| backend.measure_switch(iters).expect("measure"))
            });
        }
    }
    group.finish();
}

fn switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_round_trip");
    for backend in [Backend::Asm, Backend::Ucontext] {
        if !backend.is_available() {
            continue;
        }
        let hub = Hub::builder().backend(backend).build().expect("hub");
        let name = if backend == Backend::Asm { "asm" } else { "ucontext" };
        group.bench_function(name, |b| b.iter_custom(|iters| green_round_trips(&hub, iters)));
    }
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio");
    group.bench_function("tokio", |b| b.iter_custom(|iters| tokio_round_trips(&rt, iters)));
    group.finish();
}

fn spawn_join(c: &mut Criterion) {
    const N: usize = 100_000;
    let mut group = c.benchmark_group("spawn_join");
    group.sample_size(10);
    let hub = Hub::new().expect("hub");
    group.bench_function(BenchmarkId::new("green", N), |b| {
        b.iter(|| {
            hub.run(|| {
                let handles: Vec<_> = (0..N)
                    .map(|i| simul_green::spawn(move || black_box(i)).expect("spawn"))
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.join().expect("join");
                }
                sum
            })
            .expect("run")
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio");
    group.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> =
                    (0..N).map(|i| tokio::spawn(async move { black_box(i) })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.expect("join");
                }
                sum
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bare_switch, switch, spawn_join
}
criterion_main!(benches);
