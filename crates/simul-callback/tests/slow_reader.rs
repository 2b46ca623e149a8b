//! Reliability item 11 for the callback style: partial writes. A protocol
//! that writes whenever it is not paused sends 8 MiB (64 MiB with
//! `SIMUL_FULL=1`) through a transport whose socket has a small send
//! buffer (`SO_SNDBUF` 32 KiB, set on the transport's own socket) to a
//! peer with a small receive buffer that reads slowly throughout (8 KiB
//! reads, a 1 ms pause after every fourth). Every byte arrives, in order;
//! `pause_writing` and `resume_writing` alternate, many times; and while
//! the transport waits for the socket to drain, the loop's thread sleeps
//! in the reactor: it uses under half the CPU ticks of the wall time the
//! transfer took (spinning on writability would use all of it).
// The CPU measure reads /proc/thread-self/stat: Linux only.
#![cfg(target_os = "linux")]

mod util;

use std::cell::RefCell;
use std::io::{self, Read};
use std::mem::ManuallyDrop;
use std::net::TcpStream;
use std::os::fd::{FromRawFd, RawFd};
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use simul_callback::{EventLoop, Protocol, Transport};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::{ThreadTicks, Trace};

const CHUNK: usize = 64 * 1024;
const HIGH: usize = 128 * 1024;
const LOW: usize = 32 * 1024;
/// What the test asks for; Linux doubles it for its bookkeeping.
const SEND_BUFFER: usize = 32 * 1024;
const RECV_BUFFER: usize = 32 * 1024;

fn total() -> usize {
    let mib = if std::env::var_os("SIMUL_FULL").is_some() { 64 } else { 8 };
    mib * 1024 * 1024
}

/// Byte `i` of the stream is `i % 251`; `pattern()[i % 251..]` starts
/// there.
fn pattern() -> Vec<u8> {
    (0..CHUNK + 251).map(|i| (i % 251) as u8).collect()
}

/// The descriptor of the transport's socket: the one socket of this
/// process with the transport's two addresses. (A `Transport` does not
/// hand out its socket; asyncio's `get_extra_info("socket")` would.)
fn socket_of(t: &Transport) -> RawFd {
    let (local, peer) = (t.local_addr().unwrap(), t.peer_addr().unwrap());
    let fds = std::fs::read_dir("/proc/self/fd").unwrap();
    let mut found =
        fds.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<RawFd>().ok()).filter(|&fd| {
            // SAFETY: the descriptor is only borrowed: `ManuallyDrop`
            // never closes it. If it is not a socket (or was closed since
            // it was listed), the address calls fail and it is skipped.
            let s = ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) });
            s.local_addr().ok() == Some(local) && s.peer_addr().ok() == Some(peer)
        });
    let fd = found.next().expect("the transport's socket");
    assert!(found.next().is_none(), "one socket with these addresses");
    fd
}

/// Sets a socket option on `fd` through a duplicate (a socket's options
/// belong to the socket, not the descriptor).
fn with_socket<R>(fd: RawFd, f: impl FnOnce(&simul_reactor::net::TcpStream) -> R) -> R {
    // SAFETY: borrowed only, as in `socket_of`; the clone is a new
    // descriptor this function owns and closes.
    let borrowed = ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) });
    let dup = simul_reactor::net::TcpStream::from_std(borrowed.try_clone().unwrap()).unwrap();
    f(&dup)
}

struct Producer {
    pattern: Vec<u8>,
    total: usize,
    sent: usize,
    transport: Option<Transport>,
    paused: bool,
    trace: Trace,
    send_buffer: Rc<RefCell<usize>>,
    lost: Rc<RefCell<Option<Option<io::ErrorKind>>>>,
}

impl Producer {
    fn produce(&mut self) {
        let t = self.transport.clone().unwrap();
        // Inside its own callbacks a protocol hears of the high-water mark
        // only when the callback returns, so it watches the buffer too.
        while !self.paused && t.write_buffer_size() <= HIGH && self.sent < self.total {
            let start = self.sent % 251;
            let n = CHUNK.min(self.total - self.sent);
            t.write(&self.pattern[start..start + n]).unwrap();
            self.sent += n;
        }
        if self.sent == self.total && !t.is_closing() {
            t.close(); // flushes the buffered bytes first
        }
    }
}

impl Protocol for Producer {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        let fd = socket_of(t);
        *self.send_buffer.borrow_mut() = with_socket(fd, |s| {
            s.set_send_buffer_size(SEND_BUFFER).unwrap();
            s.send_buffer_size().unwrap()
        });
        t.set_write_buffer_limits(HIGH, Some(LOW));
        self.transport = Some(t.clone());
        self.produce();
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
    fn pause_writing(&mut self) {
        self.trace.log("pause");
        self.paused = true;
    }
    fn resume_writing(&mut self) {
        self.trace.log("resume");
        self.paused = false;
        self.produce();
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        *self.lost.borrow_mut() = Some(error.map(|e| e.kind()));
        self.transport = None;
    }
}

/// Reads slowly, throughout, checking every byte; returns how many came.
fn slow_reader(addr: std::net::SocketAddr) -> usize {
    let mut sock = TcpStream::connect(addr).unwrap();
    let dup = simul_reactor::net::TcpStream::from_std(sock.try_clone().unwrap()).unwrap();
    dup.set_recv_buffer_size(RECV_BUFFER).unwrap();
    drop(dup);
    // The duplicate made the (shared) file description non-blocking.
    sock.set_nonblocking(false).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = vec![0; 8 * 1024];
    let want = pattern();
    let (mut got, mut reads) = (0usize, 0u64);
    loop {
        let n = match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            // A signal (scripts/eintr.sh injects them): read again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("the reader failed after {got} bytes: {e}"),
        };
        let start = got % 251;
        assert!(buf[..n] == want[start..start + n], "bytes {got}..{} wrong", got + n);
        got += n;
        reads += 1;
        if reads.is_multiple_of(4) {
            thread::sleep(Duration::from_millis(1));
        }
    }
    got
}

#[test]
fn bytes_through_a_small_send_buffer_to_a_slow_reader_arrive_exact_and_the_loop_sleeps() {
    let total = total();
    let mut ticks = ThreadTicks::open();
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let lost = Rc::new(RefCell::new(None));
    let send_buffer = Rc::new(RefCell::new(0));
    let (t, l, sb) = (trace.clone(), lost.clone(), send_buffer.clone());
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Producer {
                pattern: pattern(),
                total,
                sent: 0,
                transport: None,
                paused: false,
                trace: t.clone(),
                send_buffer: sb.clone(),
                lost: l.clone(),
            })
        })
        .unwrap();
    let addr = server.local_addr();
    let (cpu_before, wall_before) = (ticks.now(), std::time::Instant::now());
    let reader = thread::spawn(move || slow_reader(addr));
    let l = lost.clone();
    lp.run_until(move |_| l.borrow().is_some()).unwrap();
    let got = reader.join().unwrap();
    let (cpu, wall) = (ticks.now() - cpu_before, wall_before.elapsed());

    assert_eq!(got, total, "every byte arrived (close flushed before closing)");
    assert_eq!(*lost.borrow(), Some(None), "a clean close");
    let send_buffer = *send_buffer.borrow();
    assert!(send_buffer <= 2 * SEND_BUFFER, "the send buffer is {send_buffer} bytes");
    let trace = trace.take();
    for (i, what) in trace.iter().enumerate() {
        assert_eq!(what, if i % 2 == 0 { "pause" } else { "resume" }, "{trace:?}");
    }
    // Each resume follows the reader draining at least HIGH - LOW bytes.
    let pauses = trace.len().div_ceil(2);
    let wall_ticks = (wall.as_millis() / 10) as u64;
    println!(
        "{} MiB through a {send_buffer}-byte send buffer: {pauses} pauses; the loop's thread \
         used {cpu} CPU ticks in {wall:?} ({wall_ticks} ticks)",
        total >> 20
    );
    assert!(pauses >= total / (4 * HIGH), "only {pauses} pauses: the reader was not slow");
    assert!(
        cpu < wall_ticks / 2,
        "{cpu} CPU ticks in {wall_ticks} ticks of waiting for a slow reader: a busy loop"
    );
    drop((server, lp));
    assert_no_leaks(&fds);
}
