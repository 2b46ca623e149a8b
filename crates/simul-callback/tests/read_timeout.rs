//! Read timeouts (RELIABILITY.md #21): a slow client is closed, a client
//! that keeps talking is served to the end.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant as StdInstant};

use simul_callback::{EventLoop, Protocol, Transport};
use util::{Trace, secs, virtual_loop};

const SEC: Duration = Duration::from_secs(1);

/// Server side: echoes, and logs data and the end with the loop time.
struct Echo {
    name: &'static str,
    trace: Trace,
    /// `set_read_timeout` in `connection_made`, when `Some`.
    own_timeout: Option<Option<Duration>>,
    /// `pause_reading` in `connection_made`, `resume_reading` at this time.
    resume_at: Option<Duration>,
}

impl Protocol for Echo {
    fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
        if let Some(timeout) = self.own_timeout {
            t.set_read_timeout(timeout).unwrap();
        }
        if let Some(at) = self.resume_at {
            t.pause_reading();
            let t = t.clone();
            let _ = lp.call_later(at, move |_| t.resume_reading());
        }
    }
    fn data_received(&mut self, lp: &mut EventLoop, t: &Transport, data: &[u8]) {
        self.trace.log(format!("{} data {} at {}", self.name, data.len(), secs(lp)));
        t.write(data).unwrap();
    }
    fn connection_lost(&mut self, lp: &mut EventLoop, error: Option<io::Error>) {
        let kind = error.map(|e| e.kind());
        self.trace.log(format!("{} lost {kind:?} at {}", self.name, secs(lp)));
    }
}

fn server_protocol(trace: &Trace, name: &'static str) -> Echo {
    Echo { name, trace: trace.clone(), own_timeout: None, resume_at: None }
}

/// Client side: sends `chunks` (each after `gap`, the first after
/// `first`), then half-closes unless `silent`; collects what comes back.
struct Talker {
    name: &'static str,
    trace: Trace,
    first: Duration,
    gap: Duration,
    chunks: Vec<Vec<u8>>,
    /// Never half-closes: stays connected, saying nothing more.
    silent: bool,
    echoed: Rc<RefCell<Vec<u8>>>,
    lost: Rc<Cell<bool>>,
}

impl Talker {
    fn send(
        lp: &mut EventLoop,
        t: Transport,
        mut chunks: Vec<Vec<u8>>,
        gap: Duration,
        silent: bool,
    ) {
        if t.is_closing() {
            return;
        }
        if chunks.is_empty() {
            if !silent {
                t.write_eof().unwrap();
            }
            return;
        }
        let chunk = chunks.remove(0);
        t.write(&chunk).unwrap();
        let _ = lp.call_later(gap, move |lp| Talker::send(lp, t, chunks, gap, silent));
    }
}

impl Protocol for Talker {
    fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
        let (t, chunks, gap, silent) =
            (t.clone(), std::mem::take(&mut self.chunks), self.gap, self.silent);
        let _ = lp.call_later(self.first, move |lp| Talker::send(lp, t, chunks, gap, silent));
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.echoed.borrow_mut().extend_from_slice(data);
    }
    fn eof_received(&mut self, lp: &mut EventLoop, _: &Transport) -> bool {
        self.trace.log(format!("{} eof at {}", self.name, secs(lp)));
        false
    }
    fn connection_lost(&mut self, lp: &mut EventLoop, error: Option<io::Error>) {
        let kind = error.map(|e| e.kind());
        self.trace.log(format!("{} lost {kind:?} at {}", self.name, secs(lp)));
        self.lost.set(true);
    }
}

fn talker(trace: &Trace, name: &'static str, first: Duration, gap: Duration) -> Talker {
    Talker {
        name,
        trace: trace.clone(),
        first,
        gap,
        chunks: Vec::new(),
        silent: false,
        echoed: Rc::default(),
        lost: Rc::default(),
    }
}

/// Ten distinct 1 KiB chunks, so that an echo that loses or reorders a
/// byte is caught.
fn payload() -> Vec<Vec<u8>> {
    (0..10u8).map(|i| (0..1024u32).map(|j| (j as u8).wrapping_mul(31) ^ i).collect()).collect()
}

/// The lines of `log` that start with `prefix`.
fn lines(log: &[String], prefix: &str) -> Vec<String> {
    log.iter().filter(|l| l.starts_with(prefix)).cloned().collect()
}

#[test]
fn a_slow_client_is_closed_at_the_deadline_and_a_steady_one_is_served_to_the_end() {
    let mut lp = virtual_loop();
    let trace = Trace::new();
    // Loopback connects complete, and are accepted, in the order made.
    let names = Rc::new(RefCell::new(vec!["server steady", "server slow"]));
    let (t, n) = (trace.clone(), names.clone());
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(server_protocol(&t, n.borrow_mut().pop().expect("two connections")))
        })
        .unwrap();
    server.set_read_timeout(Some(2 * SEC)).unwrap();
    let addr = server.local_addr();

    // One byte every 3 s, the first after 1 s: the read at 1 s moves the
    // deadline from 2 s to 3 s, and nothing comes by then.
    let mut slow = talker(&trace, "client slow", SEC, 3 * SEC);
    slow.chunks = vec![b"x".to_vec(); 5];
    let slow_lost = slow.lost.clone();
    lp.create_connection(addr, slow).unwrap();
    // 1 KiB every second for ten seconds: never two seconds without data.
    let mut steady = talker(&trace, "client steady", Duration::ZERO, SEC);
    steady.chunks = payload();
    let (steady_echoed, steady_lost) = (steady.echoed.clone(), steady.lost.clone());
    lp.create_connection(addr, steady).unwrap();

    lp.run_until(|_| slow_lost.get() && steady_lost.get()).unwrap();
    let log = trace.take();
    assert_eq!(
        lines(&log, "server slow"),
        ["server slow data 1 at 1", "server slow lost Some(TimedOut) at 3"]
    );
    assert_eq!(lines(&log, "client slow"), ["client slow eof at 3", "client slow lost None at 3"]);
    let mut want: Vec<String> =
        (0..10).map(|i| format!("server steady data 1024 at {i}")).collect();
    want.push("server steady lost None at 10".into());
    assert_eq!(lines(&log, "server steady"), want);
    assert_eq!(
        lines(&log, "client steady"),
        ["client steady eof at 10", "client steady lost None at 10"]
    );
    assert_eq!(*steady_echoed.borrow(), payload().concat());
}

/// A server-side protocol `f` configures, against a client that connects
/// and sends `chunks` (the first after `first`, then every `gap`), then
/// half-closes unless `silent`; returns the server's log once the
/// client's connection ended or at `limit`.
fn run_against(
    f: impl Fn(&mut Echo) + 'static,
    server_timeout: Option<Duration>,
    first: Duration,
    gap: Duration,
    chunks: Vec<Vec<u8>>,
    silent: bool,
    limit: Duration,
) -> Vec<String> {
    let mut lp = virtual_loop();
    let trace = Trace::new();
    let t = trace.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            let mut p = server_protocol(&t, "server");
            f(&mut p);
            Box::new(p)
        })
        .unwrap();
    server.set_read_timeout(server_timeout).unwrap();
    let mut client = talker(&trace, "client", first, gap);
    client.chunks = chunks;
    client.silent = silent;
    let lost = client.lost.clone();
    lp.create_connection(server.local_addr(), client).unwrap();
    let _ = lp.call_later(limit, |lp| lp.stop());
    let _ = lp.run_until(|_| lost.get());
    lines(&trace.take(), "server")
}

#[test]
fn a_protocol_can_turn_the_servers_timeout_off() {
    // Silent for 100 s against the server's 2 s: still open.
    let log = run_against(
        |p| p.own_timeout = Some(None),
        Some(2 * SEC),
        Duration::ZERO,
        SEC,
        Vec::new(),
        true,
        100 * SEC,
    );
    assert_eq!(log, Vec::<String>::new());
}

#[test]
fn a_raised_timeout_counts_from_the_last_data() {
    // 10 s instead of the server's 2: bytes at 1 and 4, then the client
    // half-closes (at 7): end-of-file ends the timeout, and the default
    // protocol closes.
    let log = run_against(
        |p| p.own_timeout = Some(Some(10 * SEC)),
        Some(2 * SEC),
        SEC,
        3 * SEC,
        vec![b"a".to_vec(), b"b".to_vec()],
        false,
        100 * SEC,
    );
    assert_eq!(log, ["server data 1 at 1", "server data 1 at 4", "server lost None at 7"]);
    // Bytes at 1 and 9 (8 s apart: the server's 2 s would have closed it),
    // then silence: closed 10 s after the last byte.
    let log = run_against(
        |p| p.own_timeout = Some(Some(10 * SEC)),
        Some(2 * SEC),
        SEC,
        8 * SEC,
        vec![b"a".to_vec(), b"b".to_vec()],
        true,
        100 * SEC,
    );
    assert_eq!(
        log,
        ["server data 1 at 1", "server data 1 at 9", "server lost Some(TimedOut) at 19"]
    );
}

#[test]
fn a_lowered_timeout_applies_to_the_current_period() {
    // 1 s set in connection_made, on a server without one: the byte at
    // 0.5 s restarts it, the next comes too late (at 100.5 s).
    let log = run_against(
        |p| p.own_timeout = Some(Some(SEC)),
        None,
        SEC / 2,
        100 * SEC,
        vec![b"a".to_vec(), b"b".to_vec()],
        true,
        150 * SEC,
    );
    assert_eq!(log, ["server data 1 at 0.5", "server lost Some(TimedOut) at 1.5"]);
}

#[test]
fn the_timeout_is_suspended_while_reading_is_paused() {
    // Paused from the start until 5 s, timeout 2 s. The byte sent at 1 s
    // waits in the kernel; the resume at 5 s reads it (a new period), and
    // nothing follows: closed at 7 s, not at 2 s.
    let log = run_against(
        |p| p.resume_at = Some(5 * SEC),
        Some(2 * SEC),
        SEC,
        100 * SEC,
        vec![b"a".to_vec(), b"b".to_vec()],
        true,
        150 * SEC,
    );
    assert_eq!(log, ["server data 1 at 5", "server lost Some(TimedOut) at 7"]);
    // Paused until 5 s and silent: the resume starts the period.
    let log = run_against(
        |p| p.resume_at = Some(5 * SEC),
        Some(2 * SEC),
        SEC,
        SEC,
        Vec::new(),
        true,
        150 * SEC,
    );
    assert_eq!(log, ["server lost Some(TimedOut) at 7"]);
}

#[test]
fn bad_timeouts_are_refused() {
    let mut lp = virtual_loop();
    let server =
        lp.create_server("127.0.0.1:0", || Box::new(server_protocol(&Trace::new(), "s"))).unwrap();
    let e = server.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(server.read_timeout(), None);

    /// Checks its transport's setter in `connection_made`, then closes.
    struct Check(Rc<RefCell<Vec<io::ErrorKind>>>);
    impl Protocol for Check {
        fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
            let mut got = self.0.borrow_mut();
            got.push(t.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind());
            assert_eq!(t.read_timeout(), None);
            t.set_read_timeout(Some(SEC)).unwrap();
            assert_eq!(t.read_timeout(), Some(SEC));
            t.close();
            got.push(t.set_read_timeout(Some(SEC)).unwrap_err().kind());
        }
        fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
        fn connection_lost(&mut self, lp: &mut EventLoop, _: Option<io::Error>) {
            lp.stop();
        }
    }
    let got = Rc::new(RefCell::new(Vec::new()));
    lp.create_connection(server.local_addr(), Check(got.clone())).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*got.borrow(), [io::ErrorKind::InvalidInput, io::ErrorKind::NotConnected]);
    // Closed by the client, not timed out: nothing waited a whole second.
    assert!(lp.time().since_origin() < SEC);
}

#[test]
fn real_clock_a_silent_client_is_closed_and_a_talking_one_is_not() {
    const TIMEOUT: Duration = Duration::from_millis(300);
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    let server =
        lp.create_server("127.0.0.1:0", move || Box::new(server_protocol(&t, "server"))).unwrap();
    server.set_read_timeout(Some(TIMEOUT)).unwrap();
    let addr = server.local_addr();
    // Silent: connects and waits for the server to give up on it.
    let silent = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let start = StdInstant::now();
        let mut buf = [0; 16];
        let n = s.read(&mut buf).unwrap();
        (n, start.elapsed())
    });
    // Talking: a byte every 20 ms (15 times under the timeout) for 0.9 s.
    let talking = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = [0; 1];
        for i in 0..45u8 {
            s.write_all(&[i]).unwrap();
            s.read_exact(&mut buf).unwrap();
            assert_eq!(buf[0], i);
            thread::sleep(Duration::from_millis(20));
        }
    });
    // Thread ends do not wake the loop: look every 10 ms.
    fn tick(lp: &mut EventLoop) {
        let _ = lp.call_later(Duration::from_millis(10), tick);
    }
    lp.call_soon(tick);
    lp.run_until(|_| silent.is_finished() && talking.is_finished()).unwrap();
    let (n, waited) = silent.join().unwrap();
    talking.join().expect("the talking client was served to the end");
    // Its end-of-file may still be on its way to the loop.
    lp.run_until(|_| trace.len() == 47).unwrap();
    assert_eq!(n, 0, "the silent client reads end-of-file");
    // Wide margins: never much early (the period starts at the accept,
    // just after the client's clock starts), and not stuck.
    assert!(waited >= TIMEOUT / 2 && waited < Duration::from_secs(20), "{waited:?}");
    let log = trace.take();
    let count = |prefix: &str| log.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("server lost Some(TimedOut)"), 1, "{log:?}");
    assert_eq!(count("server lost None"), 1, "{log:?}");
    assert_eq!(count("server data 1 "), 45, "{log:?}");
}
