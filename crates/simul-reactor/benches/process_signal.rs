//! What the fd-per-event design costs for signals and child exits.
//!
//! * `signal_roundtrip/*`: raise a signal and see it through the reactor
//!   (handler, self-pipe write, epoll/kqueue wake, drain), against the
//!   floor of the same path without the signal: a raw byte written into a
//!   registered socket pair and read back.
//! * `child_exit/*`: spawn `true` and collect its status through the exit
//!   descriptor and the reactor, against std's blocking `Command::status`
//!   (which freezes the loop's thread, but is the cost baseline).

use std::hint::black_box;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use simul_reactor::{Child, Events, Interest, Reactor, Signal, Signals, Token};

fn signal_roundtrip(c: &mut Criterion) {
    let mut group = c.benchmark_group("signal_roundtrip");
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(8);

    let signals = Signals::new(&[Signal::USR1]).unwrap();
    reactor.register(signals.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    group.bench_function(BenchmarkId::new("simul_signals", "usr1"), |b| {
        b.iter(|| {
            Signal::USR1.raise().unwrap();
            reactor.poll(&mut events, None).unwrap();
            black_box(signals.pending().unwrap())
        })
    });
    reactor.deregister(signals.as_raw_fd()).unwrap();

    let (mut tx, mut rx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    reactor.register(rx.as_raw_fd(), Token(2), Interest::READABLE).unwrap();
    let mut buf = [0u8; 64];
    group.bench_function(BenchmarkId::new("raw_byte_wakeup", "usr1"), |b| {
        b.iter(|| {
            tx.write_all(&[10]).unwrap();
            reactor.poll(&mut events, None).unwrap();
            black_box(rx.read(&mut buf).unwrap())
        })
    });
    reactor.deregister(rx.as_raw_fd()).unwrap();
    group.finish();
}

fn child_exit(c: &mut Criterion) {
    let mut group = c.benchmark_group("child_exit");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(8);
    group.bench_function(BenchmarkId::new("simul_exit_fd", "true"), |b| {
        b.iter(|| {
            let mut child = Child::spawn(&mut Command::new("true")).unwrap();
            reactor.register(child.exit_fd(), Token(1), Interest::READABLE).unwrap();
            let status = loop {
                if let Some(s) = child.try_wait().unwrap() {
                    break s;
                }
                reactor.poll(&mut events, None).unwrap();
            };
            reactor.deregister(child.exit_fd()).unwrap();
            black_box(status)
        })
    });
    group.bench_function(BenchmarkId::new("std_blocking_status", "true"), |b| {
        b.iter(|| black_box(Command::new("true").status().unwrap()))
    });
    group.finish();
}

criterion_group!(benches, signal_roundtrip, child_exit);
criterion_main!(benches);
