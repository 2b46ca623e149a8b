//! What a resume, a scheduler round and a spawn+join cost, beside the
//! closest equivalent measured in the same run: a hand-written `Future`
//! polled by hand, and tokio's current-thread runtime.
//!
//! ```text
//! cargo bench -p simul-coro --bench coro
//! ```

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simul_coro::{Coroutine, CoroutineState, Countdown, Reply, Resume, Scheduler, Trap};

/// The same state machine as `Countdown`, as a `Future` that is pending
/// `n` times: one `poll` is the future style's equivalent of one `resume`.
struct PendingCountdown {
    n: u64,
}

impl Future for PendingCountdown {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.n == 0 {
            Poll::Ready("liftoff")
        } else {
            self.n -= 1;
            Poll::Pending
        }
    }
}

fn resume(c: &mut Criterion) {
    let mut g = c.benchmark_group("resume");
    g.throughput(Throughput::Elements(1));
    g.bench_function("countdown_coroutine", |b| {
        let mut co = Countdown::new(u64::MAX);
        b.iter(|| black_box(black_box(&mut co).resume(())))
    });
    g.bench_function("countdown_future_poll", |b| {
        let mut fut = PendingCountdown { n: u64::MAX };
        let mut cx = Context::from_waker(Waker::noop());
        b.iter(|| black_box(Pin::new(black_box(&mut fut)).poll(&mut cx)))
    });
    g.finish();
}

/// Yields `YieldNow` `rounds` times, then completes: one round is one trip
/// through the run queue (yield, requeue, resume).
enum Yielder {
    Running { left: u32 },
    Done,
}

impl Coroutine<Reply<()>> for Yielder {
    type Yield = Trap<()>;
    type Return = ();
    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match self {
            Yielder::Running { left: 0 } => {
                *self = Yielder::Done;
                Ok(CoroutineState::Complete(()))
            }
            Yielder::Running { left } => {
                *left -= 1;
                Ok(CoroutineState::Yielded(Trap::YieldNow))
            }
            Yielder::Done => Err(simul_coro::ResumeError::AfterCompletion),
        }
    }
}

const ROUNDS: u32 = 3;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime")
}

fn scheduler_round(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler_round");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    for n in [1_000u64, 1_000_000] {
        g.throughput(Throughput::Elements(n * u64::from(ROUNDS)));
        // Spawning is outside the timed part; only the rounds are timed.
        g.bench_with_input(BenchmarkId::new("simul_coro", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut s = Scheduler::<()>::new().expect("scheduler");
                    for _ in 0..n {
                        s.spawn(Yielder::Running { left: ROUNDS });
                    }
                    let start = Instant::now();
                    s.run_all().expect("run");
                    total += start.elapsed();
                }
                total
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio_current_thread", n), &n, |b, &n| {
            let rt = tokio_runtime();
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let elapsed = rt.block_on(async {
                        let handles: Vec<_> = (0..n)
                            .map(|_| {
                                tokio::spawn(async {
                                    // Park until timing starts, like the
                                    // spawned-but-not-run coroutines.
                                    tokio::task::yield_now().await;
                                    for _ in 0..ROUNDS {
                                        tokio::task::yield_now().await;
                                    }
                                })
                            })
                            .collect();
                        let start = Instant::now();
                        for h in handles {
                            h.await.expect("join");
                        }
                        start.elapsed()
                    });
                    total += elapsed;
                }
                total
            })
        });
    }
    g.finish();
}

/// A task that completes at once with its input.
fn trivial(i: u64) -> simul_coro::Task<u64> {
    Box::new(simul_coro::from_fn(move |_: Reply<u64>| Ok(CoroutineState::Complete(i))))
}

/// Spawns `n` trivial tasks, then joins them all, summing their results.
fn spawn_join_main(n: u64) -> impl Coroutine<Reply<u64>, Yield = Trap<u64>, Return = u64> {
    let mut spawned = 0;
    let mut ids = Vec::with_capacity(n as usize);
    let mut sum = 0;
    simul_coro::from_fn(move |r: Reply<u64>| {
        match r {
            Reply::Spawned(id) => ids.push(id),
            Reply::Joined(Ok(v)) => sum += v,
            _ => {}
        }
        if spawned < n {
            spawned += 1;
            return Ok(CoroutineState::Yielded(Trap::Spawn(trivial(spawned))));
        }
        match ids.pop() {
            Some(id) => Ok(CoroutineState::Yielded(Trap::Join(id))),
            None => Ok(CoroutineState::Complete(sum)),
        }
    })
}

fn spawn_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    for n in [1_000u64, 1_000_000] {
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new("simul_coro", n), &n, |b, &n| {
            b.iter(|| {
                let mut s = Scheduler::<u64>::new().expect("scheduler");
                black_box(s.run(spawn_join_main(n)).expect("run"))
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio_current_thread", n), &n, |b, &n| {
            let rt = tokio_runtime();
            b.iter(|| {
                rt.block_on(async {
                    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await.expect("join");
                    }
                    black_box(sum)
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, resume, scheduler_round, spawn_join);
criterion_main!(benches);
