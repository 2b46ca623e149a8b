//! What a resume, a scheduler round, a spawn+join and an echo round trip
//! cost, beside the closest equivalents measured in the same run: a
//! hand-written `Future` polled by hand, an `async` block on simul-future's
//! `yield_now`, simul-future's executor, and tokio's current-thread runtime.
//!
//! ```text
//! cargo bench -p simul-coro --bench coro
//! ```
//!
//! Measured once on the 2-core development VM while other builds were
//! running (medians, per element; absolute figures are 2-4x the quiet
//! ones, read the ratios within a row):
//!
//! | bench | simul-coro | simul-future | tokio 1.54 current-thread |
//! | --- | --- | --- | --- |
//! | `resume` (one step) | 17.9 ns | 64.9 ns (`async` block poll); hand-written `Future::poll`: 53.4 ns | |
//! | `scheduler_round/1000` (per round) | 369 ns | 599 ns | 1.16 µs |
//! | `scheduler_round/1000000` | 341 ns | 511 ns | 2.31 µs |
//! | `spawn_join/1000` (per task) | 1.06 µs | 0.67 µs | 2.98 µs |
//! | `spawn_join/1000000` | 1.82 µs | 1.86 µs | 3.28 µs |
//! | `echo_round_trip/2000` (64 B, loopback) | 57.8 µs | 41.4 µs | 38.3 µs |
//!
//! The echo row again, after the `net` sockets became registered once
//! (2026-12-02, same VM, other helpers building; one run, all four lines
//! in it, per round trip): `simul_coro` (registered sockets) 17.1 µs,
//! `simul_coro_plain_fd` (per-wait registration, the old path) 23.7 µs,
//! simul-future 16.4 µs, tokio 16.7 µs. Registered is 1.39x the plain
//! path and within 5% of the future executors.
//!
//! The trampoline's round is the cheapest: a `YieldNow` is a value
//! returned and a queue push, where a future's yield is a `wake_by_ref`
//! through the waker and a re-poll. Spawn+join is a tie with simul-future
//! at scale (both allocate a task and a result slot). In the echo
//! ping-pong the difference is what is kept per descriptor: a wait on a
//! plain descriptor registers and deregisters it (two `epoll_ctl` calls,
//! `simul_coro_plain_fd`), while `simul_coro::net` sockets stay registered
//! with their readiness kept by the scheduler, as the future executors'
//! sockets do (`simul_coro`).
//! tokio's tasks also carry what neither simul executor does: `Send`
//! wakers usable from any thread and cooperative budgeting.

use std::future::Future;
use std::hint::black_box;
use std::io::{self, Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simul_coro::{Coroutine, CoroutineState, Countdown, Reply, Resume, Scheduler, Trap};
use simul_reactor::net::{TcpListener, TcpStream};

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
    // The compiler-made coroutine: an `async` block suspended at
    // simul-future's `yield_now`; each poll is one resume (one Pending).
    g.bench_function("async_block_simul_future_poll", |b| {
        let mut fut = Box::pin(async {
            loop {
                simul_future::yield_now().await;
            }
        });
        let mut cx = Context::from_waker(Waker::noop());
        b.iter(|| black_box(fut.as_mut().poll(&mut cx)))
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
        g.bench_with_input(BenchmarkId::new("simul_future", n), &n, |b, &n| {
            let mut rt = simul_future::Runtime::new().expect("runtime");
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let elapsed = rt
                        .block_on(async {
                            let handles: Vec<_> = (0..n)
                                .map(|_| {
                                    simul_future::spawn(async {
                                        // Park until timing starts, like the
                                        // spawned-but-not-run coroutines.
                                        simul_future::yield_now().await;
                                        for _ in 0..ROUNDS {
                                            simul_future::yield_now().await;
                                        }
                                    })
                                })
                                .collect();
                            let start = Instant::now();
                            for h in handles {
                                h.await.expect("join");
                            }
                            start.elapsed()
                        })
                        .expect("run");
                    total += elapsed;
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
        g.bench_with_input(BenchmarkId::new("simul_future", n), &n, |b, &n| {
            let mut rt = simul_future::Runtime::new().expect("runtime");
            b.iter(|| {
                rt.block_on(async {
                    let handles: Vec<_> =
                        (0..n).map(|i| simul_future::spawn(async move { i })).collect();
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await.expect("join");
                    }
                    black_box(sum)
                })
                .expect("run")
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

const MSG: usize = 64;

/// The socket under a [`PingPong`]: a plain reactor stream (every wait
/// registers and deregisters its descriptor) or a `simul_coro::net`
/// stream (registered once, readiness kept by the scheduler).
enum Stream {
    Plain(TcpStream),
    Owned(simul_coro::net::TcpStream),
}

impl Stream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => (&*s).read(buf),
            Stream::Owned(s) => s.try_read(buf),
        }
    }
    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => (&*s).write(buf),
            Stream::Owned(s) => s.try_write(buf),
        }
    }
    fn fd(&self) -> std::os::fd::RawFd {
        match self {
            Stream::Plain(s) => s.as_raw_fd(),
            Stream::Owned(s) => s.as_raw_fd(),
        }
    }
}

/// One side of a ping-pong over TCP: writes `MSG` bytes, reads `MSG`
/// bytes, `left` times (the client), or reads then writes back until EOF
/// (the server, `client == false`). Every `WouldBlock` yields a wait.
struct PingPong {
    stream: Rc<Stream>,
    client: bool,
    left: u64,
    writing: bool,
    done_bytes: usize,
    buf: [u8; MSG],
}

impl PingPong {
    fn new(stream: Stream, client: bool, left: u64) -> PingPong {
        PingPong {
            stream: Rc::new(stream),
            client,
            left,
            writing: client,
            done_bytes: 0,
            buf: [7; MSG],
        }
    }
}

impl Coroutine<Reply<u64>> for PingPong {
    type Yield = Trap<u64>;
    type Return = u64;

    fn resume(&mut self, _: Reply<u64>) -> Resume<Trap<u64>, u64> {
        let fd = self.stream.fd();
        loop {
            if self.client && self.left == 0 {
                return Ok(CoroutineState::Complete(0));
            }
            let r = if self.writing {
                self.stream.write(&self.buf[self.done_bytes..])
            } else {
                self.stream.read(&mut self.buf[self.done_bytes..])
            };
            match r {
                Ok(0) if !self.writing => return Ok(CoroutineState::Complete(0)), // EOF
                Ok(n) => {
                    self.done_bytes += n;
                    if self.done_bytes == MSG {
                        self.done_bytes = 0;
                        if self.client && !self.writing {
                            self.left -= 1;
                        }
                        self.writing = !self.writing;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let trap = if self.writing { Trap::Writable(fd) } else { Trap::Readable(fd) };
                    return Ok(CoroutineState::Yielded(trap));
                }
                Err(e) => panic!("ping-pong: {e}"),
            }
        }
    }
}

fn echo_round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo_round_trip");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    let n: u64 = 2_000;
    g.throughput(Throughput::Elements(n));
    for (name, owned) in [("simul_coro", true), ("simul_coro_plain_fd", false)] {
        g.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
            b.iter(|| {
                let listener =
                    TcpListener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
                let client =
                    TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
                // Loopback: the connection is accepted as soon as the kernel
                // has it; poll accept until then (outside any scheduler).
                let server = loop {
                    match listener.accept() {
                        Ok((s, _)) => break s,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                        Err(e) => panic!("accept: {e}"),
                    }
                };
                let mut s = Scheduler::<u64>::new().expect("scheduler");
                let (server, client) = if owned {
                    let io = s.io_handle();
                    let own =
                        |t| simul_coro::net::TcpStream::from_reactor(&io, t).expect("register");
                    (Stream::Owned(own(server)), Stream::Owned(own(client)))
                } else {
                    (Stream::Plain(server), Stream::Plain(client))
                };
                s.spawn(PingPong::new(server, false, 0));
                black_box(s.run(PingPong::new(client, true, n)).expect("run"))
            })
        });
    }
    g.bench_with_input(BenchmarkId::new("simul_future", n), &n, |b, &n| {
        use simul_future::{AsyncReadExt, AsyncWriteExt};
        let mut rt = simul_future::Runtime::new().expect("runtime");
        b.iter(|| {
            rt.block_on(async {
                let any = "127.0.0.1:0".parse().expect("addr");
                let listener = simul_future::TcpListener::bind(any).expect("bind");
                let addr = listener.local_addr().expect("addr");
                let server = simul_future::spawn(async move {
                    let (mut s, _) = listener.accept().await.expect("accept");
                    let mut buf = [0u8; MSG];
                    while s.read_exact(&mut buf).await.is_ok() {
                        s.write_all(&buf).await.expect("write");
                    }
                });
                let mut c = simul_future::TcpStream::connect(addr).await.expect("connect");
                let mut buf = [7u8; MSG];
                for _ in 0..n {
                    c.write_all(&buf).await.expect("write");
                    c.read_exact(&mut buf).await.expect("read");
                }
                drop(c);
                server.await.expect("server");
            })
            .expect("run")
        })
    });
    g.bench_with_input(BenchmarkId::new("tokio_current_thread", n), &n, |b, &n| {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("rt");
        b.iter(|| {
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let addr = listener.local_addr().expect("addr");
                let server = tokio::spawn(async move {
                    let (mut s, _) = listener.accept().await.expect("accept");
                    let mut buf = [0u8; MSG];
                    while s.read_exact(&mut buf).await.is_ok() {
                        s.write_all(&buf).await.expect("write");
                    }
                });
                let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
                let mut buf = [7u8; MSG];
                for _ in 0..n {
                    c.write_all(&buf).await.expect("write");
                    c.read_exact(&mut buf).await.expect("read");
                }
                drop(c);
                server.await.expect("server");
            })
        })
    });
    g.finish();
}

criterion_group!(benches, resume, scheduler_round, spawn_join, echo_round_trip);
criterion_main!(benches);
