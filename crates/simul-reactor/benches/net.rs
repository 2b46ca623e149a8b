//! Loopback TCP round trips through `simul_reactor::net`.
//!
//! One client sends a message and waits for the echo, over and over. The
//! echo side is the same blocking `std` thread for every contender, so
//! only the client differs:
//!
//! * `simul`: a non-blocking [`TcpStream`] and a [`Reactor`]: write, read
//!   until `WouldBlock`, poll, read again (the edge-triggered rule);
//! * `std_blocking`: a blocking `std::net::TcpStream` (the raw syscall
//!   loop: the thread sleeps inside `read`);
//! * `tokio`: `tokio::net::TcpStream` on a current-thread runtime.
//!
//! A round trip includes waking the echo thread and being woken back, so
//! absolute figures depend on the scheduler; compare the columns.

use std::hint::black_box;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simul_reactor::net::TcpStream;
use simul_reactor::{Events, Interest, Reactor, Token};

/// Starts a blocking echo server (one thread per connection) and returns
/// its address. The threads end when their client disconnects.
fn echo_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            conn.set_nodelay(true).expect("nodelay");
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A connected simul stream, with its connect finished through the reactor.
fn simul_client(addr: SocketAddr, reactor: &mut Reactor) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    reactor.register(stream.as_raw_fd(), Token(0), Interest::BOTH).expect("register");
    let mut events = Events::with_capacity(4);
    loop {
        reactor.poll(&mut events, None).expect("poll");
        if let Some(e) = stream.take_error().expect("SO_ERROR") {
            panic!("connect failed: {e}");
        }
        if stream.peer_addr().is_ok() {
            break;
        }
    }
    reactor.reregister(stream.as_raw_fd(), Token(0), Interest::READABLE).expect("reregister");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

fn round_trips(c: &mut Criterion) {
    let addr = echo_server();
    let mut group = c.benchmark_group("tcp_round_trip");
    group.sample_size(30).warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));

    for size in [64usize, 4096] {
        let message = vec![0x5a_u8; size];
        let mut buf = vec![0u8; size];
        group.throughput(Throughput::Bytes(size as u64));

        let mut reactor = Reactor::new().expect("reactor");
        let stream = simul_client(addr, &mut reactor);
        let mut events = Events::with_capacity(4);
        group.bench_with_input(BenchmarkId::new("simul", size), &size, |b, &size| {
            b.iter(|| {
                // A few KiB always fit an empty send buffer.
                (&stream).write_all(black_box(&message)).expect("write");
                let mut got = 0;
                while got < size {
                    match (&stream).read(&mut buf[got..]) {
                        Ok(0) => panic!("echo server hung up"),
                        Ok(n) => got += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            reactor.poll(&mut events, None).expect("poll");
                        }
                        Err(e) => panic!("read: {e}"),
                    }
                }
                black_box(&buf);
            })
        });
        drop(stream);

        let mut blocking = std::net::TcpStream::connect(addr).expect("connect");
        blocking.set_nodelay(true).expect("nodelay");
        group.bench_with_input(BenchmarkId::new("std_blocking", size), &size, |b, _| {
            b.iter(|| {
                blocking.write_all(black_box(&message)).expect("write");
                blocking.read_exact(&mut buf).expect("read");
                black_box(&buf);
            })
        });
        drop(blocking);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("tokio runtime");
        let mut tokio_stream =
            runtime.block_on(tokio::net::TcpStream::connect(addr)).expect("connect");
        tokio_stream.set_nodelay(true).expect("nodelay");
        group.bench_with_input(BenchmarkId::new("tokio", size), &size, |b, _| {
            b.iter(|| {
                runtime.block_on(async {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    tokio_stream.write_all(black_box(&message)).await.expect("write");
                    tokio_stream.read_exact(&mut buf).await.expect("read");
                });
                black_box(&buf);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
