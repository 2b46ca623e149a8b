//! Reliability item 23: a `Transport`, a `DatagramTransport` and a
//! `Server` kept after their loop was dropped. Every call that would do
//! I/O fails with an error (the loop closed their sockets), the others do
//! nothing, none panics, and no descriptor is left open.
//!
//! One test function: it counts descriptors, which other tests running in
//! parallel in this binary would disturb. It is also in
//! `scripts/valgrind.sh`, which would see the memory of a follow-up
//! queued by such a call and never freed.
#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{DatagramProtocol, DatagramTransport, EventLoop, Protocol, Transport};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks, open_fds};

/// Hands its transport out in `connection_made`.
struct Keep(Rc<RefCell<Option<Transport>>>);

impl Protocol for Keep {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        *self.0.borrow_mut() = Some(t.clone());
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
}

struct Quiet;

impl DatagramProtocol for Quiet {
    fn datagram_received(
        &mut self,
        _: &mut EventLoop,
        _: &DatagramTransport,
        _: &[u8],
        _: SocketAddr,
    ) {
    }
}

fn is_closed_error(r: io::Result<()>) -> bool {
    r.is_err_and(|e| e.kind() == ErrorKind::NotConnected)
}

#[test]
fn transports_kept_past_the_loop_fail_with_errors_and_do_not_panic() {
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let accepted = Rc::new(RefCell::new(None));
    let a = accepted.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Keep(a.clone()))).unwrap();
    let connected = Rc::new(RefCell::new(None));
    lp.create_connection(server.local_addr(), Keep(connected.clone())).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let endpoint = lp.create_datagram_endpoint(any, None, Quiet).unwrap();
    let to = endpoint.local_addr().unwrap();
    let (a, c) = (accepted.clone(), connected.clone());
    lp.run_until(move |_| a.borrow().is_some() && c.borrow().is_some()).unwrap();
    let accepted = accepted.borrow_mut().take().unwrap();
    let connected = connected.borrow_mut().take().unwrap();
    // One still has a read timeout running, the other bytes waiting.
    accepted.set_read_timeout(Some(Duration::from_secs(3600))).unwrap();
    connected.write(b"unread").unwrap();
    assert!(fds.len() < open_fds(), "the loop and its sockets hold descriptors");

    drop(lp);
    // The loop closed every socket it had.
    assert_no_leaks(&fds);

    for t in [&accepted, &connected] {
        assert!(is_closed_error(t.write(b"late")), "write after the loop");
        assert!(is_closed_error(t.write(b"")), "empty write after the loop");
        assert!(is_closed_error(t.write_eof()), "write_eof after the loop");
        assert!(t.is_closing());
        assert!(!t.is_reading());
        assert_eq!(t.write_buffer_size(), 0);
        assert_eq!(t.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        // These do nothing, and must not panic.
        t.pause_reading();
        t.resume_reading();
        t.set_write_buffer_limits(16, None);
        let _ = t.set_read_timeout(Some(Duration::from_secs(1)));
        t.close();
        t.abort();
        t.close();
    }
    assert!(is_closed_error(endpoint.sendto(b"late", Some(to))), "sendto after the loop");
    assert!(is_closed_error(endpoint.sendto(b"", Some(to))), "empty sendto after the loop");
    assert_eq!(endpoint.local_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    endpoint.close();
    endpoint.abort();
    endpoint.close();
    server.close();
    drop((accepted, connected, endpoint, server));
    assert_no_leaks(&fds);
}
