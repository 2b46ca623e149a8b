//! Reliability item 14: 10,000 connects to a port nobody listens on,
//! about 100 in flight at a time. Each protocol hears only
//! `connection_lost(Some(ConnectionRefused))` (never `connection_made` nor
//! data), no descriptor is left behind, and a later connect to a live
//! server works. (TCP only: the loop has no Unix-socket connections.)
//!
//! The catalogue's full size by default: 10,000 take well under a second,
//! also in a debug build.
//!
//! One test function: it counts descriptors, which other tests running in
//! parallel in this binary would disturb.
#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;

use simul_callback::{Deferred, EventLoop, Protocol, Transport};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Connects made in all.
const CONNECTS: usize = 10_000;

/// Connects in flight at once.
const IN_FLIGHT: usize = 100;

#[derive(Default)]
struct Tally {
    /// Connects started.
    started: usize,
    /// `connection_lost(Some(ConnectionRefused))`.
    refused: usize,
    /// Anything else a protocol heard, or a connect that failed at once.
    unexpected: Vec<String>,
}

/// Starts the next connect, if any are left.
fn start_one(lp: &mut EventLoop, tally: &Rc<RefCell<Tally>>, to: SocketAddr, total: usize) {
    if tally.borrow().started == total {
        return;
    }
    tally.borrow_mut().started += 1;
    if let Err(e) = lp.create_connection(to, Refused { tally: tally.clone(), to, total }) {
        tally.borrow_mut().unexpected.push(format!("create_connection failed at once: {e}"));
    }
}

/// A client protocol that expects to be refused; each refusal starts the
/// next connect, so about `IN_FLIGHT` stay in flight.
struct Refused {
    tally: Rc<RefCell<Tally>>,
    to: SocketAddr,
    total: usize,
}

impl Protocol for Refused {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        self.tally.borrow_mut().unexpected.push("connection_made".into());
        t.abort();
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.tally.borrow_mut().unexpected.push(format!("{} bytes", data.len()));
    }
    fn eof_received(&mut self, _: &mut EventLoop, _: &Transport) -> bool {
        self.tally.borrow_mut().unexpected.push("eof_received".into());
        false
    }
    fn connection_lost(&mut self, lp: &mut EventLoop, error: Option<io::Error>) {
        match error.map(|e| e.kind()) {
            Some(ErrorKind::ConnectionRefused) => self.tally.borrow_mut().refused += 1,
            other => self.tally.borrow_mut().unexpected.push(format!("connection_lost({other:?})")),
        }
        start_one(lp, &self.tally, self.to, self.total);
    }
}

/// Connects, says hello, and reports what came back.
struct Hello(Deferred<(Vec<u8>, Option<ErrorKind>)>, Vec<u8>);

impl Protocol for Hello {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        t.write(b"hello").unwrap();
        t.write_eof().unwrap();
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.1.extend_from_slice(data);
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        let _ = self.0.set_result((std::mem::take(&mut self.1), error.map(|e| e.kind())));
    }
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        t.write(data).unwrap();
    }
}

#[test]
fn ten_thousand_refused_connects_are_errors_and_leak_nothing() {
    let total = CONNECTS;
    let baseline = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let with_loop = FdSnapshot::take();
    // A port that was just free: bound, then closed again.
    let refused = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let tally = Rc::new(RefCell::new(Tally::default()));
    for _ in 0..IN_FLIGHT {
        start_one(&mut lp, &tally, refused, total);
    }
    let t = tally.clone();
    lp.run_until(move |_| {
        let t = t.borrow();
        t.refused + t.unexpected.len() == total
    })
    .unwrap();
    {
        let t = tally.borrow();
        assert_eq!(t.unexpected, Vec::<String>::new());
        assert_eq!((t.started, t.refused), (total, total));
    }
    // Refused connects left no descriptors open: the loop's are all there is.
    assert_no_leaks(&with_loop);

    // The loop still connects where someone listens.
    let server = lp.create_server("127.0.0.1:0", || Box::new(Echo)).unwrap();
    let reply = Deferred::new();
    lp.create_connection(server.local_addr(), Hello(reply.clone(), Vec::new())).unwrap();
    assert_eq!(lp.run_until_complete(&reply).unwrap(), (b"hello".to_vec(), None));
    server.close();
    drop(server);
    drop(lp);
    assert_no_leaks(&baseline);
}
