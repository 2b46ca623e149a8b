//! Green-thread benchmarks, each beside the same work on simul's future
//! executor (`simul_future`, written as `async`) and on tokio's
//! current-thread runtime, measured in the same run: stackful against
//! stackless on one reactor, and against the reference runtime.
//!
//! * `switch_round_trip/{asm,ucontext}`: the bare context switch, no hub
//!   ([`Backend::measure_switch`]): one iteration is two switches.
//! * `yield_round_trip/{asm,ucontext,future,tokio}`: main and one green
//!   thread yield to each other; one iteration is two context switches
//!   plus two passes of the scheduler. future and tokio: two tasks doing
//!   `yield_now().await`.
//! * `spawn_join/100000/{green,future,tokio}`: spawn 100k trivial threads
//!   (tasks) and join them all.
//! * `park_wake/10000/{green,future,tokio}`: 10k threads (tasks) park on
//!   an event (a semaphore for tokio), then all are woken and joined.
//!   Before timing, the resident memory each parked green thread costs is
//!   printed (from `/proc/self/statm`, Linux only).
//! * `echo_round_trip/{green,future,tokio}`: a 64-byte ping-pong over one
//!   loopback TCP connection, written as blocking-looking code (green) and
//!   as `async` (future, tokio).

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

fn future_round_trips(rt: &mut simul_future::Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let partner = simul_future::spawn(async move {
            while !s.get() {
                simul_future::yield_now().await;
            }
        });
        simul_future::yield_now().await;
        let start = Instant::now();
        for _ in 0..iters {
            simul_future::yield_now().await;
        }
        let elapsed = start.elapsed();
        stop.set(true);
        partner.await.expect("partner");
        elapsed
    })
    .expect("future runtime")
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
    let mut fut = simul_future::Runtime::new().expect("future runtime");
    group.bench_function("future", |b| b.iter_custom(|iters| future_round_trips(&mut fut, iters)));
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
    let mut fut = simul_future::Runtime::new().expect("future runtime");
    group.bench_function(BenchmarkId::new("future", N), |b| {
        b.iter(|| {
            fut.block_on(async {
                let handles: Vec<_> =
                    (0..N).map(|i| simul_future::spawn(async move { black_box(i) })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.expect("join");
                }
                sum
            })
            .expect("future runtime")
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

/// Resident set size in bytes (Linux), or `None`.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn green_park_wake(hub: &Hub, n: usize, report: bool) {
    hub.run(|| {
        let event = simul_green::Event::new();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let e = event.clone();
                simul_green::spawn(move || e.wait().expect("wait")).expect("spawn")
            })
            .collect();
        let before = rss();
        simul_green::yield_now().expect("let them all park");
        if let (true, Some(b), Some(a)) = (report, before, rss()) {
            eprintln!("rss per parked green thread: {} bytes", a.saturating_sub(b) / n as u64);
        }
        event.set();
        for h in handles {
            h.join().expect("join");
        }
    })
    .expect("run");
}

fn tokio_park_wake(rt: &tokio::runtime::Runtime, n: usize, report: bool) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    rt.block_on(async {
        // A semaphore with no permits: every task parks in `acquire` until
        // main adds them, whatever order the tasks first run in.
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let parked = Arc::new(AtomicUsize::new(0));
        let before = rss();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (g, p) = (gate.clone(), parked.clone());
                tokio::spawn(async move {
                    p.fetch_add(1, Ordering::Relaxed);
                    drop(g.acquire().await.expect("acquire"));
                })
            })
            .collect();
        while parked.load(Ordering::Relaxed) < n {
            tokio::task::yield_now().await;
        }
        if let (true, Some(b), Some(a)) = (report, before, rss()) {
            // Tasks live on the heap, which reuses what earlier benchmarks
            // freed without growing RSS; stacks are fresh mappings. The
            // fair per-unit figures come from fresh child processes.
            eprintln!(
                "rss growth per parked tokio task: {} bytes (heap reused from earlier \
                 benchmarks does not show; `cargo run --release --example bench_report` \
                 measures every style in a fresh process)",
                a.saturating_sub(b) / n as u64
            );
        }
        gate.add_permits(n);
        for h in handles {
            h.await.expect("join");
        }
    });
}

fn future_park_wake(rt: &mut simul_future::Runtime, n: usize) {
    rt.block_on(async {
        // An event nobody has set: every task parks in `wait` until main
        // sets it, whatever order the tasks first run in.
        let gate = simul_future::Event::new();
        let parked = Rc::new(Cell::new(0));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (g, p) = (gate.clone(), parked.clone());
                simul_future::spawn(async move {
                    p.set(p.get() + 1);
                    g.wait().await;
                })
            })
            .collect();
        while parked.get() < n {
            simul_future::yield_now().await;
        }
        gate.set();
        for h in handles {
            h.await.expect("join");
        }
    })
    .expect("future runtime");
}

fn park_wake(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut group = c.benchmark_group("park_wake");
    group.sample_size(10);
    let hub = Hub::new().expect("hub");
    green_park_wake(&hub, N, true);
    group.bench_function(BenchmarkId::new("green", N), |b| {
        b.iter(|| green_park_wake(&hub, N, false))
    });
    let mut fut = simul_future::Runtime::new().expect("future runtime");
    group.bench_function(BenchmarkId::new("future", N), |b| {
        b.iter(|| future_park_wake(&mut fut, N))
    });
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio");
    tokio_park_wake(&rt, N, true);
    group.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| tokio_park_wake(&rt, N, false))
    });
    group.finish();
}

fn green_echo(hub: &Hub, iters: u64) -> Duration {
    use simul_green::net::{TcpListener, TcpStream};
    use std::io::{Read, Write};
    hub.run(|| {
        let listener = TcpListener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = simul_green::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            conn.set_nodelay(true).expect("nodelay");
            let mut buf = [0u8; 64];
            while conn.read_exact(&mut buf).is_ok() {
                conn.write_all(&buf).expect("echo");
            }
        })
        .expect("spawn");
        let mut client = TcpStream::connect(addr).expect("connect");
        client.set_nodelay(true).expect("nodelay");
        let mut buf = [7u8; 64];
        let start = Instant::now();
        for _ in 0..iters {
            client.write_all(&buf).expect("send");
            client.read_exact(&mut buf).expect("receive");
        }
        let elapsed = start.elapsed();
        drop(client);
        server.join().expect("server");
        elapsed
    })
    .expect("run")
}

fn future_echo(rt: &mut simul_future::Runtime, iters: u64) -> Duration {
    use simul_future::{AsyncReadExt, AsyncWriteExt, TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = simul_future::spawn(async move {
            let (mut conn, _) = listener.accept().await.expect("accept");
            conn.set_nodelay(true).expect("nodelay");
            let mut buf = [0u8; 64];
            while conn.read_exact(&mut buf).await.is_ok() {
                conn.write_all(&buf).await.expect("echo");
            }
        });
        let mut client = TcpStream::connect(addr).await.expect("connect");
        client.set_nodelay(true).expect("nodelay");
        let mut buf = [7u8; 64];
        let start = Instant::now();
        for _ in 0..iters {
            client.write_all(&buf).await.expect("send");
            client.read_exact(&mut buf).await.expect("receive");
        }
        let elapsed = start.elapsed();
        drop(client);
        server.await.expect("server");
        elapsed
    })
    .expect("future runtime")
}

fn tokio_echo(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.expect("accept");
            conn.set_nodelay(true).expect("nodelay");
            let mut buf = [0u8; 64];
            while conn.read_exact(&mut buf).await.is_ok() {
                conn.write_all(&buf).await.expect("echo");
            }
        });
        let mut client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        client.set_nodelay(true).expect("nodelay");
        let mut buf = [7u8; 64];
        let start = Instant::now();
        for _ in 0..iters {
            client.write_all(&buf).await.expect("send");
            client.read_exact(&mut buf).await.expect("receive");
        }
        let elapsed = start.elapsed();
        drop(client);
        server.await.expect("server");
        elapsed
    })
}

fn echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("echo_round_trip");
    let hub = Hub::new().expect("hub");
    group.bench_function("green", |b| b.iter_custom(|iters| green_echo(&hub, iters)));
    let mut fut = simul_future::Runtime::new().expect("future runtime");
    group.bench_function("future", |b| b.iter_custom(|iters| future_echo(&mut fut, iters)));
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("tokio");
    group.bench_function("tokio", |b| b.iter_custom(|iters| tokio_echo(&rt, iters)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bare_switch, switch, spawn_join, park_wake, echo
}
criterion_main!(benches);
