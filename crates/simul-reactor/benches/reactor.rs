//! Reactor costs, each beside the raw system call it wraps.
//!
//! * `empty_poll`: one non-blocking look with nothing ready, `Reactor::poll`
//!   vs a bare `epoll_wait(.., 0)` (the floor).
//! * `poll_ready/N`: one wait that returns N ready descriptors, vs the same
//!   `epoll_wait` on a raw edge-triggered epoll set. Only the wait is timed;
//!   the writes that make the descriptors ready and the reads that drain
//!   them are not.
//! * `notifier`: wake + poll on one thread, and a ping-pong between two
//!   threads, each blocked in its own reactor.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use simul_reactor::{Events, Instant, Interest, Reactor, Token};
use std::hint::black_box;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

fn empty_poll(c: &mut Criterion) {
    let mut g = c.benchmark_group("empty_poll");
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(64);
    g.bench_function("simul", |b| {
        b.iter(|| reactor.poll(black_box(&mut events), Some(Instant::ZERO)).unwrap())
    });
    #[cfg(target_os = "linux")]
    {
        let ep = raw::Epoll::new();
        let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; 64];
        g.bench_function("raw_epoll_wait", |b| b.iter(|| black_box(ep.wait(&mut buf))));
    }
    g.finish();
}

fn poll_ready(c: &mut Criterion) {
    let mut g = c.benchmark_group("poll_ready");
    for n in [1usize, 16, 256, 1024] {
        let pairs: Vec<_> = (0..n)
            .map(|_| {
                let (a, b) = UnixStream::pair().unwrap();
                b.set_nonblocking(true).unwrap();
                (a, b)
            })
            .collect();
        let mut reactor = Reactor::new().unwrap();
        for (i, (_, b)) in pairs.iter().enumerate() {
            reactor.register(b.as_raw_fd(), Token(i), Interest::READABLE).unwrap();
        }
        let mut events = Events::with_capacity(n);
        g.bench_with_input(BenchmarkId::new("simul", n), &n, |bch, &n| {
            bch.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    make_ready(&pairs);
                    let t = std::time::Instant::now();
                    reactor.poll(&mut events, None).unwrap();
                    total += t.elapsed();
                    assert_eq!(events.len(), n);
                    drain(&pairs);
                }
                total
            })
        });
        #[cfg(target_os = "linux")]
        {
            let ep = raw::Epoll::new();
            for (i, (_, b)) in pairs.iter().enumerate() {
                ep.add(b.as_raw_fd(), i as u64);
            }
            let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; n];
            g.bench_with_input(BenchmarkId::new("raw_epoll_wait", n), &n, |bch, &n| {
                bch.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        make_ready(&pairs);
                        let t = std::time::Instant::now();
                        let got = ep.wait(&mut buf);
                        total += t.elapsed();
                        assert_eq!(got, n);
                        drain(&pairs);
                    }
                    total
                })
            });
        }
    }
    g.finish();
}

fn make_ready(pairs: &[(UnixStream, UnixStream)]) {
    for (a, _) in pairs {
        (&*a).write_all(b"x").unwrap();
    }
}

fn drain(pairs: &[(UnixStream, UnixStream)]) {
    let mut buf = [0u8; 8];
    for (_, b) in pairs {
        while (&*b).read(&mut buf).is_ok() {}
    }
}

fn notifier(c: &mut Criterion) {
    let mut g = c.benchmark_group("notifier");
    let mut reactor = Reactor::new().unwrap();
    let n = reactor.notifier();
    let mut events = Events::with_capacity(8);
    g.bench_function("wake_then_poll", |b| {
        b.iter(|| {
            n.wake().unwrap();
            reactor.poll(&mut events, None).unwrap();
            assert!(events.woken());
        })
    });
    g.bench_function("ping_pong_threads", |b| {
        b.iter_custom(|iters| {
            let mut mine = Reactor::new().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let back = mine.notifier();
            let peer = std::thread::spawn(move || {
                let mut theirs = Reactor::new().unwrap();
                tx.send(theirs.notifier()).unwrap();
                let mut events = Events::with_capacity(8);
                for _ in 0..iters {
                    theirs.poll(&mut events, None).unwrap();
                    back.wake().unwrap();
                }
            });
            let to_peer = rx.recv().unwrap();
            let mut events = Events::with_capacity(8);
            let t = std::time::Instant::now();
            for _ in 0..iters {
                to_peer.wake().unwrap();
                mine.poll(&mut events, None).unwrap();
            }
            let elapsed = t.elapsed();
            peer.join().unwrap();
            elapsed
        })
    });
    g.finish();
}

/// A bare epoll set, for the floor. Not an abstraction: the point is to
/// call the system call with nothing around it.
#[cfg(target_os = "linux")]
mod raw {
    pub(crate) struct Epoll(i32);
    impl Epoll {
        pub(crate) fn new() -> Epoll {
            // SAFETY: plain system call with a flag argument.
            let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
            assert!(fd >= 0);
            Epoll(fd)
        }
        pub(crate) fn add(&self, fd: i32, token: u64) {
            let mut ev =
                libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLET) as u32, u64: token };
            // SAFETY: `ev` is valid for the call; `fd` is open.
            let r = unsafe { libc::epoll_ctl(self.0, libc::EPOLL_CTL_ADD, fd, &mut ev) };
            assert_eq!(r, 0);
        }
        pub(crate) fn wait(&self, buf: &mut [libc::epoll_event]) -> usize {
            // SAFETY: `buf` has room for `buf.len()` entries.
            let n = unsafe { libc::epoll_wait(self.0, buf.as_mut_ptr(), buf.len() as i32, 0) };
            assert!(n >= 0);
            n as usize
        }
    }
    impl Drop for Epoll {
        fn drop(&mut self) {
            // SAFETY: we own the descriptor and close it once.
            unsafe { libc::close(self.0) };
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = empty_poll, poll_ready, notifier
}
criterion_main!(benches);
