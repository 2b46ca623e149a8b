//! Reliability item 17. Out of descriptors while accepting: the server
//! reports it once per back-off, keeps serving the connections it has,
//! does not spin, and accepts again when descriptors are free (asyncio's
//! accept back-off).
//!
//! Alone in its file: exhausting the process's descriptors would break
//! tests running beside it.
#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{EventLoop, Protocol, Transport};

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        t.write(data).unwrap();
    }
}

/// Round trip on a blocking client while the loop runs on this thread:
/// the client writes first, then the loop runs until the echo is readable.
fn round_trip(lp: &mut EventLoop, client: &mut TcpStream, msg: &[u8]) {
    client.write_all(msg).unwrap();
    client.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 64];
    lp.run_until(|_| {
        match client.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        got.len() == msg.len()
    })
    .unwrap();
    assert_eq!(got, msg);
    client.set_nonblocking(false).unwrap();
}

/// Wakes the loop every 10 ms, so that conditions on the blocking
/// clients (which the loop does not watch) are checked regularly.
fn tick(lp: &mut EventLoop) {
    let _ = lp.call_later(Duration::from_millis(10), tick);
}

/// The back-off after a failed accept (the server's `ACCEPT_RETRY_DELAY`).
const RETRY_DELAY: Duration = Duration::from_secs(1);

#[test]
fn emfile_on_accept_backs_off_and_recovers() {
    let mut lp = EventLoop::new().unwrap();
    tick(&mut lp);
    // When each failure was reported, on the loop's clock.
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    lp.set_exception_handler(move |lp, ctx| {
        assert!(ctx.message.contains("accept failed"), "{ctx}");
        r.borrow_mut().push(lp.time());
    });
    let server = lp.create_server("127.0.0.1:0", || Box::new(Echo)).unwrap();
    let addr = server.local_addr();
    let mut a = TcpStream::connect(addr).unwrap();
    round_trip(&mut lp, &mut a, b"before");

    let mut ticks = util::ThreadTicks::open();
    // Use up every descriptor but one, which the next client takes.
    let mut hog = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(f) => hog.push(f),
            Err(e) => {
                assert!(e.raw_os_error().is_some(), "{e}");
                break;
            }
        }
    }
    hog.pop();
    let ticks_before = ticks.now();
    let mut b = TcpStream::connect(addr).unwrap();
    b.write_all(b"queued").unwrap();
    // The server cannot accept `b`; it says so and pauses, and `a` is
    // still served.
    round_trip(&mut lp, &mut a, b"during");
    // Half a second more out of descriptors: the server neither retries
    // accept in a loop (the CPU time of this thread, where the loop runs,
    // stays low: a spinning loop burns about 50 ticks of 10 ms here) nor
    // reports more than once per back-off (timers are never early, so the
    // reports' spacing on the loop's clock is a fact, not a race).
    let _ = lp.call_later(Duration::from_millis(500), |lp| lp.stop());
    lp.run_forever().unwrap();
    let ticks = ticks.now() - ticks_before;
    assert!(ticks < 15, "{ticks} ticks of CPU while out of descriptors: the loop spins");
    let seen = reports.borrow().clone();
    assert!(!seen.is_empty(), "the failure was reported");
    for pair in seen.windows(2) {
        let gap = pair[1].saturating_duration_since(pair[0]);
        assert!(gap >= RETRY_DELAY, "reported again after {gap:?}: {seen:?}");
    }

    // Descriptors come back; within the back-off `b` is accepted.
    drop(hog);
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = [0; 6];
    b.set_nonblocking(true).unwrap();
    let mut n = 0;
    lp.run_until(|_| {
        match b.read(&mut got[n..]) {
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        n == got.len()
    })
    .unwrap();
    assert_eq!(&got, b"queued");
    assert_eq!(*reports.borrow(), seen, "no failure once descriptors are back");
    round_trip(&mut lp, &mut a, b"after");
}
