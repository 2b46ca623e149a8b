//! Echo round trips on loopback: the callback loop's transports against
//! tokio's current-thread runtime and a thread-per-connection blocking
//! server, all serving the same blocking client in the same run.
//!
//! * `echo/1conn/*`: one connection, one 64-byte message in flight.
//! * `echo/100conn/*`: 100 connections; the client writes 64 bytes to
//!   each, then reads each echo back (100 round trips in flight).
#![allow(missing_docs)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use simul_callback::{EventLoop, LoopHandle, Protocol, Transport};

const MSG: usize = 64;

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        let _ = t.write(data);
    }
}

/// A running echo server and how to stop it.
enum Server {
    Simul(LoopHandle, thread::JoinHandle<()>),
    Tokio(tokio::sync::oneshot::Sender<()>, thread::JoinHandle<()>),
    Threads,
}

fn start(kind: &str) -> (SocketAddr, Server) {
    match kind {
        "simul_callback" => {
            let (tx, rx) = mpsc::channel();
            let join = thread::spawn(move || {
                let mut lp = EventLoop::new().unwrap();
                let server = lp.create_server("127.0.0.1:0", || Box::new(Echo)).unwrap();
                tx.send((server.local_addr(), lp.handle())).unwrap();
                lp.run_forever().unwrap();
            });
            let (addr, handle) = rx.recv().unwrap();
            (addr, Server::Simul(handle, join))
        }
        "tokio_current_thread" => {
            let (tx, rx) = mpsc::channel();
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let join = thread::spawn(move || {
                let rt =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    tx.send(listener.local_addr().unwrap()).unwrap();
                    let accept = async {
                        loop {
                            let (mut s, _) = listener.accept().await.unwrap();
                            s.set_nodelay(true).unwrap();
                            tokio::spawn(async move {
                                let mut buf = vec![0; 4096];
                                loop {
                                    match s.read(&mut buf).await {
                                        Ok(0) | Err(_) => return,
                                        Ok(n) => {
                                            if s.write_all(&buf[..n]).await.is_err() {
                                                return;
                                            }
                                        }
                                    }
                                }
                            });
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = stop_rx => {}
                    }
                });
            });
            let addr = rx.recv().unwrap();
            (addr, Server::Tokio(stop_tx, join))
        }
        _ => {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            // Detached: its threads end when their clients disconnect.
            thread::spawn(move || {
                for s in listener.incoming() {
                    let Ok(mut s) = s else { return };
                    s.set_nodelay(true).unwrap();
                    thread::spawn(move || {
                        let mut buf = [0; 4096];
                        while let Ok(n) = s.read(&mut buf) {
                            if n == 0 || s.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    });
                }
            });
            (addr, Server::Threads)
        }
    }
}

fn stop(server: Server) {
    match server {
        Server::Simul(handle, join) => {
            handle.stop().unwrap();
            join.join().unwrap();
        }
        Server::Tokio(stop, join) => {
            let _ = stop.send(());
            join.join().unwrap();
        }
        Server::Threads => {}
    }
}

fn connect(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let s = TcpStream::connect(addr).unwrap();
            s.set_nodelay(true).unwrap();
            s
        })
        .collect()
}

/// `rounds` rounds: write a message to every connection, then read every
/// echo back.
fn run(conns: &mut [TcpStream], rounds: u64) -> Duration {
    let msg = [7u8; MSG];
    let mut back = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..rounds {
        for c in conns.iter_mut() {
            c.write_all(&msg).unwrap();
        }
        for c in conns.iter_mut() {
            c.read_exact(&mut back).unwrap();
        }
    }
    start.elapsed()
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_millis(500));
    for conns in [1usize, 100] {
        g.throughput(Throughput::Elements(conns as u64));
        for kind in ["simul_callback", "tokio_current_thread", "threads"] {
            let (addr, server) = start(kind);
            let mut clients = connect(addr, conns);
            g.bench_function(BenchmarkId::new(format!("{conns}conn"), kind), |b| {
                b.iter_custom(|rounds| run(&mut clients, rounds));
            });
            drop(clients);
            stop(server);
        }
    }
    g.finish();
}

criterion_group!(benches, echo);
criterion_main!(benches);
