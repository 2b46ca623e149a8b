//! Half-close, peer reset (and no `SIGPIPE`), writes after the peer
//! closed, refused connections and pause_reading.

mod util;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use simul_callback::{EventLoop, Protocol, Transport};
use simul_reactor::{Signal, Signals};
use util::Trace;

/// Logs every callback to a trace.
struct Logger {
    trace: Trace,
    keep_open_on_eof: bool,
    reply_on_eof: Option<&'static [u8]>,
}

impl Protocol for Logger {
    fn connection_made(&mut self, _: &mut EventLoop, _: &Transport) {
        self.trace.log("made");
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.trace.log(format!("data {}", String::from_utf8_lossy(data)));
    }
    fn eof_received(&mut self, _: &mut EventLoop, t: &Transport) -> bool {
        self.trace.log("eof");
        if let Some(reply) = self.reply_on_eof {
            t.write(reply).unwrap();
            t.close();
        }
        self.keep_open_on_eof
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        self.trace.log(format!("lost {:?}", error.map(|e| e.kind())));
    }
}

#[test]
fn half_close_eof_stays_eof_and_writing_back_still_works() {
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Logger {
                trace: t.clone(),
                keep_open_on_eof: true,
                reply_on_eof: Some(b"bye"),
            })
        })
        .unwrap();
    let addr = server.local_addr();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"hi").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).unwrap();
        reply
    });
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 4).unwrap();
    assert_eq!(client.join().unwrap(), b"bye");
    assert_eq!(trace.take(), ["made", "data hi", "eof", "lost None"]);
}

#[test]
fn eof_closes_by_default() {
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Logger { trace: t.clone(), keep_open_on_eof: false, reply_on_eof: None })
        })
        .unwrap();
    let addr = server.local_addr();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap(); // the server closes: EOF here
        rest.len()
    });
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 3).unwrap();
    assert_eq!(client.join().unwrap(), 0);
    assert_eq!(trace.take(), ["made", "eof", "lost None"]);
}

/// The client closes with unread data in its receive buffer, so its
/// kernel answers with a reset; the server's next writes fail, and the
/// protocol hears ConnectionReset or BrokenPipe. The process does not die
/// of SIGPIPE.
#[test]
fn a_peer_reset_reaches_connection_lost_as_an_error() {
    struct Flood(Trace);
    impl Protocol for Flood {
        fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
            let t = t.clone();
            fn again(lp: &mut EventLoop, t: Transport) {
                if t.write(&[7u8; 64 * 1024]).is_ok() && t.write_buffer_size() < 4 << 20 {
                    let _ = lp.call_later(Duration::from_millis(1), move |lp| again(lp, t));
                }
            }
            again(lp, t);
        }
        fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
        fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
            self.0.log(format!("{:?}", error.map(|e| e.kind())));
        }
    }
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Flood(t.clone()))).unwrap();
    let addr = server.local_addr();
    let client = thread::spawn(move || {
        let s = TcpStream::connect(addr).unwrap();
        thread::sleep(Duration::from_millis(50)); // let data arrive unread
        drop(s);
    });
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    client.join().unwrap();
    let got = trace.take();
    assert!(got == ["Some(ConnectionReset)"] || got == ["Some(BrokenPipe)"], "unexpected: {got:?}");
}

/// A server protocol that, once started (in `connection_made`, or on the
/// peer's end of file), writes two lines every millisecond until a write
/// is refused because the connection ended; at most `WRITES` times. Two:
/// on loopback the reset that answers the first usually arrives while it
/// is being sent, so the second meets `EPIPE` in the write itself, before
/// any event reports the reset; the write path is what could raise
/// `SIGPIPE`.
struct KeepWriting {
    trace: Trace,
    on_eof: bool,
}

const WRITES: u32 = 2_000;

fn keep_writing(lp: &mut EventLoop, t: Transport, left: u32, trace: Trace) {
    if left == 0 {
        trace.log("gave up: every write succeeded");
    } else if t.write(b"are you there?\n").is_ok() && t.write(b"hello?\n").is_ok() {
        if t.is_closing() {
            eprintln!("DEBUG: a write found the error, {left} left");
        }
        let _ = lp.call_later(Duration::from_millis(1), move |lp| {
            keep_writing(lp, t, left - 1, trace);
        });
    }
}

impl Protocol for KeepWriting {
    fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
        self.trace.log("made");
        if !self.on_eof {
            keep_writing(lp, t.clone(), WRITES, self.trace.clone());
        }
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
    fn eof_received(&mut self, lp: &mut EventLoop, t: &Transport) -> bool {
        self.trace.log("eof");
        keep_writing(lp, t.clone(), WRITES, self.trace.clone());
        true // half-open: keep writing to a peer that has gone
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        self.trace.log(match error.map(|e| e.kind()) {
            Some(io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset) => {
                "lost BrokenPipe or ConnectionReset".to_string()
            }
            other => format!("lost {other:?}"),
        });
    }
}

/// Reliability item 12. A `SIGPIPE` listener is held throughout, so a
/// write that raised the signal (instead of failing with `EPIPE`) would be
/// seen, where Rust's default (the signal ignored) would hide it.
///
/// * A peer that closes with unread data resets the connection: the
///   protocol gets `connection_lost(Some(ConnectionReset | BrokenPipe))`.
/// * A peer that closes normally (end of file, then its socket is gone):
///   the protocol sees the end of file, keeps the connection half-open and
///   writes on; the peer's kernel answers with a reset, and the protocol
///   gets `connection_lost(Some(BrokenPipe | ConnectionReset))`.
///
/// No `SIGPIPE` arrives, and one raised on purpose afterwards does.
#[test]
fn resets_and_writes_after_close_are_errors_and_raise_no_sigpipe() {
    let sigpipe = Signals::new(&[Signal::PIPE]).unwrap();
    for on_eof in [false, true] {
        let mut lp = EventLoop::new().unwrap();
        let trace = Trace::new();
        let t = trace.clone();
        let server = lp
            .create_server("127.0.0.1:0", move || {
                Box::new(KeepWriting { trace: t.clone(), on_eof })
            })
            .unwrap();
        let client = TcpStream::connect(server.local_addr()).unwrap();
        if on_eof {
            // An ordinary close: FIN, and the socket is gone.
            client.shutdown(Shutdown::Write).unwrap();
            drop(client);
        } else {
            let t = trace.clone();
            lp.run_until(move |_| t.len() == 1).unwrap();
            // Wait until the server's first line has arrived (retrying
            // the EINTR that scripts/eintr.sh injects into std's recv),
            // then close with it unread: the kernel sends a reset.
            let mut first = [0u8; 1];
            while let Err(e) = client.peek(&mut first) {
                assert_eq!(e.kind(), io::ErrorKind::Interrupted, "{e}");
            }
            drop(client);
        }
        let lost = "lost BrokenPipe or ConnectionReset";
        let expected: &[&str] = if on_eof { &["made", "eof", lost] } else { &["made", lost] };
        let t = trace.clone();
        lp.run_until(move |_| t.len() == expected.len()).unwrap();
        assert_eq!(trace.take(), expected, "on_eof: {on_eof}");
        server.close();
    }
    assert_eq!(sigpipe.pending().unwrap(), [], "a write raised SIGPIPE");
    // The listener works: a SIGPIPE raised on purpose is seen.
    Signal::PIPE.raise().unwrap();
    assert_eq!(sigpipe.pending().unwrap(), [Signal::PIPE]);
}

#[test]
fn a_refused_connection_gets_only_connection_lost() {
    let mut lp = EventLoop::new().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // closed again
    let trace = Trace::new();
    lp.create_connection(
        port,
        Logger { trace: trace.clone(), keep_open_on_eof: false, reply_on_eof: None },
    )
    .unwrap();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    assert_eq!(trace.take(), ["lost Some(ConnectionRefused)"]);
}

#[test]
fn pause_reading_holds_data_until_resume() {
    struct Paused(Trace, Rc<RefCell<Option<Transport>>>);
    impl Protocol for Paused {
        fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
            t.pause_reading();
            assert!(!t.is_reading());
            *self.1.borrow_mut() = Some(t.clone());
            self.0.log("made, paused");
        }
        fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
            self.0.log(format!("data {}", data.len()));
        }
    }
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let slot = Rc::new(RefCell::new(None));
    let (t, s) = (trace.clone(), slot.clone());
    let server =
        lp.create_server("127.0.0.1:0", move || Box::new(Paused(t.clone(), s.clone()))).unwrap();
    let addr = server.local_addr();
    let h = lp.handle();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"0123456789").unwrap();
        h.call_soon_threadsafe(|_| {}).unwrap();
        thread::sleep(Duration::from_millis(200));
        drop(s);
    });
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    // Give the data time to arrive: paused, it must not be delivered.
    let _ = lp.call_later(Duration::from_millis(50), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(trace.take(), ["made, paused"]);
    slot.borrow().as_ref().unwrap().resume_reading();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    assert_eq!(trace.take(), ["data 10"]);
    client.join().unwrap();
}
