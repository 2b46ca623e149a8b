//! Reliability item 14 for coroutines: 10,000 connects to a refused port
//! through the `Connect` coroutine. Each is `ConnectionRefused`, the
//! scheduler goes on, and no descriptor is left behind.
//!
//! One test function, so the descriptor count sees only this test.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;

use simul_coro::Scheduler;
use simul_coro::net::{Connect, TcpStream};
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
    {
        let mut s = Scheduler::<io::Result<TcpStream>>::new().unwrap();
        let io = s.io_handle();
        for i in 0..CONNECTS {
            let err = s.run(Connect::new(&io, refused)).unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "connect {i}: {err}");
        }
        // The scheduler still connects where someone listens.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ok = s.run(Connect::new(&io, listener.local_addr().unwrap())).unwrap();
        assert!(ok.is_ok(), "{ok:?}");
    }
    assert_no_leaks(&fds);
}
