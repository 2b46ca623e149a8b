//! A transport ends a read burst at a short read (no extra read that
//! would return `WouldBlock`), and loses no edge by it: bytes trickling in
//! arrive byte-exact, ping-pong never stalls, and end-of-file queued
//! behind a short read still reaches `eof_received`.
//!
//! A lost edge shows up as a stall: every test arms a generous deadline
//! (a loop timer, a read timeout on the blocking peer) that turns a stall
//! into a failure instead of a hang.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use simul_callback::{EventLoop, Protocol, Transport};

/// Far longer than any of these exchanges takes on a loaded machine.
const LIMIT: Duration = Duration::from_secs(20);

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add((i >> 8) as u8)).collect()
}

/// A blocking peer that cannot hang the test.
fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s
}

/// What a connection saw.
#[derive(Default)]
struct Seen {
    bytes: Vec<u8>,
    eof: bool,
    lost: bool,
}

/// Records what arrives, optionally echoes it, and can block the loop
/// once (after the first data) to let later arrivals pile up.
struct Recorder {
    seen: Rc<RefCell<Seen>>,
    echo: bool,
    stall_after_first: Option<(Duration, mpsc::Sender<()>)>,
}

impl Protocol for Recorder {
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        self.seen.borrow_mut().bytes.extend_from_slice(data);
        if self.echo {
            t.write(data).unwrap();
        }
        if let Some((pause, go)) = self.stall_after_first.take() {
            go.send(()).unwrap();
            // Deliberately block the loop while the peer's next bytes and
            // its FIN land, so one event reports them together.
            thread::sleep(pause);
        }
    }
    fn eof_received(&mut self, _: &mut EventLoop, _: &Transport) -> bool {
        self.seen.borrow_mut().eof = true;
        false
    }
    fn connection_lost(&mut self, _: &mut EventLoop, _: Option<std::io::Error>) {
        self.seen.borrow_mut().lost = true;
    }
}

/// Runs `lp` until the connection is gone or `LIMIT` passes.
fn run_to_end(lp: &mut EventLoop, seen: &Rc<RefCell<Seen>>) {
    let timed_out = Rc::new(RefCell::new(false));
    let t = timed_out.clone();
    lp.call_later(LIMIT, move |_| *t.borrow_mut() = true);
    let s = seen.clone();
    let t = timed_out.clone();
    lp.run_until(move |_| s.borrow().lost || *t.borrow()).unwrap();
    assert!(!*timed_out.borrow(), "the connection stalled (a lost edge?)");
}

#[test]
fn trickled_bytes_arrive_exact() {
    const LEN: usize = 96 * 1024;
    let mut lp = EventLoop::new().unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let s = seen.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Recorder { seen: s.clone(), echo: false, stall_after_first: None })
        })
        .unwrap();
    let addr = server.local_addr();
    let writer = thread::spawn(move || {
        let mut s = connect(addr);
        let data = pattern(LEN);
        let (mut at, mut step) = (0, 0);
        while at < LEN {
            // 1 to 97 bytes per write, with pauses, so arrivals land both
            // while the loop reads and while it waits.
            let end = (at + 1 + step % 97).min(LEN);
            s.write_all(&data[at..end]).unwrap();
            at = end;
            step += 1;
            if step % 64 == 0 {
                thread::sleep(Duration::from_micros(200));
            } else {
                thread::yield_now();
            }
        }
    });
    run_to_end(&mut lp, &seen);
    writer.join().unwrap();
    let seen = seen.borrow();
    assert!(seen.eof);
    assert_eq!(seen.bytes.len(), LEN);
    assert!(seen.bytes == pattern(LEN), "bytes differ");
}

#[test]
fn ping_pong_with_short_reads_never_stalls() {
    const ROUNDS: usize = 3000;
    let mut lp = EventLoop::new().unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let s = seen.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Recorder { seen: s.clone(), echo: true, stall_after_first: None })
        })
        .unwrap();
    let addr = server.local_addr();
    let peer = thread::spawn(move || {
        let mut s = connect(addr);
        let data = pattern(200);
        let mut back = [0u8; 200];
        for i in 0..ROUNDS {
            let len = 1 + i % 199;
            s.write_all(&data[..len]).unwrap();
            s.read_exact(&mut back[..len]).unwrap();
            assert_eq!(back[..len], data[..len], "round {i}");
        }
    });
    run_to_end(&mut lp, &seen);
    peer.join().unwrap();
    let total: usize = (0..ROUNDS).map(|i| 1 + i % 199).sum();
    assert_eq!(seen.borrow().bytes.len(), total);
}

#[test]
fn end_of_file_behind_a_short_read_is_seen() {
    let mut lp = EventLoop::new().unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (go_tx, go_rx) = mpsc::channel();
    let go = RefCell::new(Some(go_tx));
    let s = seen.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            let stall = go.borrow_mut().take().map(|tx| (Duration::from_millis(100), tx));
            Box::new(Recorder { seen: s.clone(), echo: false, stall_after_first: stall })
        })
        .unwrap();
    let addr = server.local_addr();
    let peer = thread::spawn(move || {
        let mut s = connect(addr);
        s.write_all(b"hello").unwrap();
        go_rx.recv().unwrap();
        s.write_all(b"abc").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut rest = [0u8; 1];
        let _ = s.read(&mut rest); // until the server closes
    });
    run_to_end(&mut lp, &seen);
    peer.join().unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.bytes, b"helloabc");
    assert!(seen.eof, "end-of-file behind the short read was never read");
}
