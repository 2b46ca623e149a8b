//! The executor against tokio's current-thread runtime, in the same run.
//!
//! Each benchmark does the same work on both runtimes with the same
//! future code; read the ratio `simul / tokio` from the two lines.
//!
//! * `spawn_join/<rt>/N`: spawn N trivial tasks, then await each handle.
//! * `yield/<rt>/N`: one task yielding N times.
//! * `handoff/<rt>/N`: two tasks passing a turn back and forth N times.
//! * `sleepers/<rt>/N`: N tasks sleeping at once (1 to 10 ms), all joined.
//! * `echo_round_trips/<rt>/N`: N 64-byte round trips over one loopback
//!   TCP connection to an echo task on the same runtime.
//! * `sleep_lateness/<rt>/<µs>`: one sleep of 1000 µs or 100 µs, with
//!   `std::thread::sleep` as the floor (`thread`). The time per iteration
//!   minus the duration asked for is the lateness; compare the medians.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn spawn_join(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut g = c.benchmark_group("spawn_join");
    g.sample_size(10).measurement_time(Duration::from_secs(5)).throughput(Throughput::Elements(N));
    let mut simul = simul_future::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("simul", N), |b| {
        b.iter(|| {
            simul
                .block_on(async {
                    let handles: Vec<_> =
                        (0..N).map(|i| simul_future::spawn(async move { black_box(i) })).collect();
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await.unwrap();
                    }
                    sum
                })
                .unwrap()
        })
    });
    let tokio = tokio_rt();
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let handles: Vec<_> =
                    (0..N).map(|i| tokio::spawn(async move { black_box(i) })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                sum
            })
        })
    });
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut g = c.benchmark_group("yield");
    g.sample_size(10).measurement_time(Duration::from_secs(5)).throughput(Throughput::Elements(N));
    let mut simul = simul_future::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("simul", N), |b| {
        b.iter(|| {
            simul
                .block_on(async {
                    simul_future::spawn(async {
                        for _ in 0..N {
                            simul_future::yield_now().await;
                        }
                    })
                    .await
                })
                .unwrap()
        })
    });
    let tokio = tokio_rt();
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                tokio::spawn(async {
                    for _ in 0..N {
                        tokio::task::yield_now().await;
                    }
                })
                .await
            })
        })
    });
    g.finish();
}

/// Two tasks taking turns: the state both see.
struct Turns {
    /// Whose turn it is: 0 or 1.
    turn: Cell<usize>,
    /// Turns taken so far.
    count: Cell<u64>,
    /// Each side's waker, kept while it waits.
    wakers: [RefCell<Option<Waker>>; 2],
}

/// An `Rc` the benchmark may hand to tokio's `spawn`, which wants `Send`.
struct Local(Rc<Turns>);

// SAFETY: both runtimes here are current-thread: every task, and so every
// clone of the `Rc`, stays on the benchmark's thread.
unsafe impl Send for Local {}

impl Local {
    /// The shared state (a method, so closures capture the whole `Local`).
    fn get(&self) -> &Turns {
        &self.0
    }
}

/// Side `me` of the handoff: waits for its turn, takes it, wakes the
/// other side, until `n` turns have been taken in all.
fn side(shared: Local, me: usize, n: u64) -> impl Future<Output = ()> + Send {
    poll_fn(move |cx| {
        let s = shared.get();
        loop {
            if s.count.get() >= n {
                if let Some(w) = s.wakers[1 - me].borrow_mut().take() {
                    w.wake();
                }
                return Poll::Ready(());
            }
            if s.turn.get() != me {
                let mut slot = s.wakers[me].borrow_mut();
                if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *slot = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            s.count.set(s.count.get() + 1);
            s.turn.set(1 - me);
            if let Some(w) = &*s.wakers[1 - me].borrow() {
                w.wake_by_ref();
            }
        }
    })
}

fn turns() -> Rc<Turns> {
    Rc::new(Turns {
        turn: Cell::new(0),
        count: Cell::new(0),
        wakers: [RefCell::new(None), RefCell::new(None)],
    })
}

fn handoff(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut g = c.benchmark_group("handoff");
    g.sample_size(10).measurement_time(Duration::from_secs(5)).throughput(Throughput::Elements(N));
    let mut simul = simul_future::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("simul", N), |b| {
        b.iter(|| {
            let t = turns();
            simul
                .block_on(async {
                    let a = simul_future::spawn(side(Local(t.clone()), 0, N));
                    let b = simul_future::spawn(side(Local(t.clone()), 1, N));
                    a.await.unwrap();
                    b.await.unwrap();
                })
                .unwrap();
            assert!(t.count.get() >= N);
        })
    });
    let tokio = tokio_rt();
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| {
            let t = turns();
            tokio.block_on(async {
                let a = tokio::spawn(side(Local(t.clone()), 0, N));
                let b = tokio::spawn(side(Local(t.clone()), 1, N));
                a.await.unwrap();
                b.await.unwrap();
            });
            assert!(t.count.get() >= N);
        })
    });
    g.finish();
}

fn sleepers(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut g = c.benchmark_group("sleepers");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(N));
    let ms = |i: u64| Duration::from_millis(1 + i % 10);
    let mut simul = simul_future::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("simul", N), |b| {
        b.iter(|| {
            simul
                .block_on(async {
                    let handles: Vec<_> =
                        (0..N).map(|i| simul_future::spawn(simul_future::sleep(ms(i)))).collect();
                    for h in handles {
                        h.await.unwrap();
                    }
                })
                .unwrap()
        })
    });
    let tokio = tokio_rt();
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let handles: Vec<_> =
                    (0..N).map(|i| tokio::spawn(tokio::time::sleep(ms(i)))).collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

fn echo_round_trips(c: &mut Criterion) {
    use simul_future::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const N: u64 = 10_000;
    let mut g = c.benchmark_group("echo_round_trips");
    g.sample_size(10).measurement_time(Duration::from_secs(5)).throughput(Throughput::Elements(N));
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut simul = simul_future::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("simul", N), |b| {
        b.iter(|| {
            simul
                .block_on(async {
                    let listener = simul_future::TcpListener::bind(any).unwrap();
                    let addr = listener.local_addr().unwrap();
                    let server = simul_future::spawn(async move {
                        let (mut conn, _) = listener.accept().await.unwrap();
                        conn.set_nodelay(true).unwrap();
                        let mut buf = [0u8; 64];
                        for _ in 0..N {
                            conn.read_exact(&mut buf).await.unwrap();
                            conn.write_all(&buf).await.unwrap();
                        }
                    });
                    let mut conn = simul_future::TcpStream::connect(addr).await.unwrap();
                    conn.set_nodelay(true).unwrap();
                    let mut buf = [7u8; 64];
                    for _ in 0..N {
                        conn.write_all(&buf).await.unwrap();
                        conn.read_exact(&mut buf).await.unwrap();
                    }
                    server.await.unwrap();
                })
                .unwrap()
        })
    });
    let tokio = tokio_rt();
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let listener = tokio::net::TcpListener::bind(any).await.unwrap();
                let addr = listener.local_addr().unwrap();
                let server = tokio::spawn(async move {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    conn.set_nodelay(true).unwrap();
                    let mut buf = [0u8; 64];
                    for _ in 0..N {
                        conn.read_exact(&mut buf).await.unwrap();
                        conn.write_all(&buf).await.unwrap();
                    }
                });
                let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
                conn.set_nodelay(true).unwrap();
                let mut buf = [7u8; 64];
                for _ in 0..N {
                    conn.write_all(&buf).await.unwrap();
                    conn.read_exact(&mut buf).await.unwrap();
                }
                server.await.unwrap();
            })
        })
    });
    g.finish();
}

fn sleep_lateness(c: &mut Criterion) {
    let mut g = c.benchmark_group("sleep_lateness");
    g.sample_size(30)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300));
    let mut simul = simul_future::Runtime::new().unwrap();
    let tokio = tokio_rt();
    for micros in [1000u64, 100] {
        let d = Duration::from_micros(micros);
        g.bench_function(BenchmarkId::new("thread", micros), |b| {
            b.iter(|| std::thread::sleep(black_box(d)))
        });
        g.bench_function(BenchmarkId::new("simul", micros), |b| {
            b.iter(|| simul.block_on(simul_future::sleep(black_box(d))).unwrap())
        });
        g.bench_function(BenchmarkId::new("tokio", micros), |b| {
            b.iter(|| tokio.block_on(async { tokio::time::sleep(black_box(d)).await }))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    spawn_join,
    yield_many,
    handoff,
    sleepers,
    echo_round_trips,
    sleep_lateness
);
criterion_main!(benches);
