//! Reliability item 14 for green threads: 10,000 failed connects to a
//! refused port, one after the other and from 100 green threads at once.
//! Each is `ConnectionRefused`, the hub goes on, and no descriptor is
//! left behind.
//!
//! One test function, so the descriptor count sees only this test.

use std::io::ErrorKind;
use std::net::SocketAddr;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

const CONNECTS: usize = 10_000;

/// A loopback port that was just bound and released: nobody listens.
fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

#[test]
fn ten_thousand_refused_connects_are_errors_and_leak_nothing() {
    let refused = closed_port();
    let fds = FdSnapshot::take();
    let hub = Hub::new().unwrap();
    let kinds = hub
        .run(move || -> std::io::Result<Vec<ErrorKind>> {
            let mut kinds = Vec::with_capacity(CONNECTS);
            for _ in 0..CONNECTS / 2 {
                kinds.push(TcpStream::connect(refused).unwrap_err().kind());
            }
            let threads: Vec<_> = (0..100)
                .map(|_| {
                    simul_green::spawn(move || {
                        (0..CONNECTS / 200)
                            .map(|_| TcpStream::connect(refused).unwrap_err().kind())
                            .collect::<Vec<_>>()
                    })
                })
                .collect::<Result<_, _>>()?;
            for t in threads {
                kinds.extend(t.join().map_err(std::io::Error::from)?);
            }
            // The hub still connects where someone listens.
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
            let ok = TcpStream::connect(listener.local_addr()?);
            assert!(ok.is_ok(), "{ok:?}");
            Ok(kinds)
        })
        .unwrap()
        .unwrap();
    assert_eq!(kinds.len(), CONNECTS);
    assert!(kinds.iter().all(|&k| k == ErrorKind::ConnectionRefused), "other kinds seen");
    drop(hub);
    assert_no_leaks(&fds);
}
