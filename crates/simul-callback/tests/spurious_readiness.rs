//! Reliability item 4 for the callback style: spurious readiness. A
//! readiness whose read then finds nothing (`WouldBlock`) must not stall
//! the connection or make the loop spin, and 4 MiB sent in bursts arrive
//! byte-exact.
//!
//! The loop allows one reader per descriptor, so the tests make the
//! readiness spurious with a second consumer of the same socket:
//!
//! * two readers (`add_reader`) on two descriptors of one socket (a
//!   `dup`): one readiness wakes both, and whichever runs second often
//!   finds the socket drained by the first;
//! * a transport whose socket the test drains, through a `dup`, in a
//!   callback that runs just before the transport's own read in the same
//!   iteration: the transport's read finds nothing. Debug mode's
//!   slow-callback hook (threshold zero) records each transport callback,
//!   which shows the read that found nothing.
//!
//! A stall shows up as a deadline (a loop timer) passing instead of a
//! hang; spinning as `WouldBlock`s outnumbering reads that found data, and
//! as CPU ticks while the loop waits.
// The CPU measure reads /proc/thread-self/stat: Linux only.
#![cfg(target_os = "linux")]

mod util;

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use simul_callback::{CallbackKind, EventLoop, Protocol, Transport};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::{ThreadTicks, Trace};

const TOTAL: usize = 4 * 1024 * 1024;
/// Far longer than any of these transfers takes on a loaded machine.
const LIMIT: Duration = Duration::from_secs(60);

/// Byte `i` of every stream here.
fn byte(i: usize) -> u8 {
    (i % 251) as u8 ^ (i >> 16) as u8
}

/// The tests count descriptors and CPU ticks: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Checks a stream's bytes as they come, in whatever pieces.
#[derive(Default)]
struct Checker {
    got: Cell<usize>,
}

impl Checker {
    fn take(&self, data: &[u8]) {
        let at = self.got.get();
        for (k, &b) in data.iter().enumerate() {
            assert_eq!(b, byte(at + k), "byte {} wrong", at + k);
        }
        self.got.set(at + data.len());
    }
}

/// Writes `data` fully, retrying `Interrupted` (scripts/eintr.sh injects
/// it into std's calls too).
fn write_all(s: &mut TcpStream, mut data: &[u8]) {
    while !data.is_empty() {
        match s.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("the peer's write failed: {e}"),
        }
    }
}

/// Burst `i`'s size: 1 byte to 64 KiB, scattered.
fn burst_len(i: usize, max: usize) -> usize {
    1 + (i * 7919) % max
}

/// What one of two readers of one socket saw.
#[derive(Default)]
struct ReaderCounts {
    /// Reads that returned data.
    data: Cell<u64>,
    /// Reads that found nothing although the loop said readable.
    would_block: Cell<u64>,
    /// `WouldBlock`s after the last byte came and before end-of-file.
    idle_would_block: Cell<u64>,
}

#[test]
fn two_readers_on_one_socket_take_four_mebibytes_exact_and_the_loser_never_spins() {
    let _serial = serial();
    let ticks = ThreadTicks::open();
    let fds = FdSnapshot::take();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let data: Vec<u8> = (0..TOTAL).map(byte).collect();
        let (mut at, mut i) = (0, 0);
        while at < TOTAL {
            let end = (at + burst_len(i, 64 * 1024)).min(TOTAL);
            write_all(&mut s, &data[at..end]);
            at = end;
            i += 1;
            // A pause after each burst: it lands whole, while the readers
            // wait for it, so a reader often drains it in one read.
            thread::sleep(Duration::from_millis(1));
        }
        // Quiet for a while with everything delivered: a loop that spins
        // on a drained socket burns this time.
        thread::sleep(Duration::from_millis(300));
    });
    let (sock, _) = listener.accept().unwrap();
    drop(listener);
    sock.set_nonblocking(true).unwrap();
    // The same socket (one file description) under a second number: the
    // loop watches the two numbers separately.
    let dup = sock.try_clone().unwrap();

    let mut lp = EventLoop::new().unwrap();
    let checker = Rc::new(Checker::default());
    let counts = [Rc::new(ReaderCounts::default()), Rc::new(ReaderCounts::default())];
    let eofs = Rc::new(Cell::new(0));
    let idle_ticks = Rc::new(Cell::new((0u64, 0u64)));
    let ticks = Rc::new(RefCell::new(ticks));
    // Each read is of 64 KiB (usually all there is) or, as often, of 512
    // bytes to 4 KiB, by a fixed pseudo-random sequence shared by both
    // readers: whichever runs first in an iteration sometimes drains the
    // socket and sometimes leaves data, so that both take data, and both
    // meet readiness that is no longer there.
    let calls = Rc::new(Cell::new(0x2545_f491_4f6c_dd1du64));
    for (mut s, counts) in [sock, dup].into_iter().zip(counts.clone()) {
        let fd = s.as_raw_fd();
        let (checker, eofs, idle_ticks, ticks, calls) =
            (checker.clone(), eofs.clone(), idle_ticks.clone(), ticks.clone(), calls.clone());
        lp.add_reader(fd, move |lp| {
            let x = calls.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            calls.set(x);
            let size = if x >> 63 == 0 { 65536 } else { 512 + (x >> 33) as usize % 3584 };
            let mut buf = [0; 65536];
            match s.read(&mut buf[..size]) {
                Ok(0) => {
                    if eofs.get() == 0 {
                        idle_ticks.set((idle_ticks.get().0, ticks.borrow_mut().now()));
                    }
                    eofs.set(eofs.get() + 1);
                    lp.remove_reader(fd);
                }
                Ok(n) => {
                    counts.data.set(counts.data.get() + 1);
                    checker.take(&buf[..n]);
                    if checker.got.get() == TOTAL {
                        idle_ticks.set((ticks.borrow_mut().now(), 0));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    counts.would_block.set(counts.would_block.get() + 1);
                    if checker.got.get() == TOTAL {
                        counts.idle_would_block.set(counts.idle_would_block.get() + 1);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("read failed: {e}"),
            }
        })
        .unwrap();
    }
    let timed_out = Rc::new(Cell::new(false));
    let t = timed_out.clone();
    lp.call_later(LIMIT, move |_| t.set(true));
    let e = eofs.clone();
    lp.run_until(move |_| e.get() == 2 || timed_out.get()).unwrap();
    assert_eq!(eofs.get(), 2, "stalled with {} of {TOTAL} bytes", checker.got.get());
    peer.join().unwrap();

    assert_eq!(checker.got.get(), TOTAL);
    let sum = |f: fn(&ReaderCounts) -> u64| counts.iter().map(|c| f(c)).sum::<u64>();
    let (data, would_block) = (sum(|c| c.data.get()), sum(|c| c.would_block.get()));
    let (full, eof) = idle_ticks.get();
    println!(
        "{data} reads found data, {would_block} found nothing (by reader: {:?}); \
         {} CPU ticks while the socket was quiet",
        counts.iter().map(|c| (c.data.get(), c.would_block.get())).collect::<Vec<_>>(),
        eof - full
    );
    assert!(would_block > 0, "no readiness was ever spurious: the test tested nothing");
    assert!(counts.iter().all(|c| c.data.get() > 0), "both readers took data");
    // Every iteration that runs the readers follows a readiness seen with
    // data in the socket, and the first of them to run reads it: at most
    // one read per iteration finds nothing. More means spinning.
    assert!(would_block <= data, "{would_block} empty reads for {data} with data: spinning");
    // Once everything has come, each reader finds the socket empty at
    // most once, and then sleeps until end-of-file.
    assert!(sum(|c| c.idle_would_block.get()) <= 2, "woken with nothing to read while quiet");
    assert!(eof - full < 10, "{} CPU ticks in 300 ms of quiet: spinning", eof - full);
    drop(lp);
    assert_no_leaks(&fds);
}

/// The stream as the test hands it out: one burst per round.
struct Peer {
    commands: mpsc::Sender<Option<usize>>,
    written: mpsc::Receiver<()>,
}

/// What the transport test shares between the loop's callbacks.
struct Rounds {
    checker: Checker,
    /// Bytes the peer has been told to send so far.
    sent: Cell<usize>,
    /// Rounds started.
    round: Cell<usize>,
    peer: Peer,
    /// The transport's socket under a second number, for draining it
    /// behind the transport's back.
    dup: RefCell<Option<TcpStream>>,
    /// Drains, data and transport callbacks, in order.
    log: Trace,
    lost: Cell<bool>,
}

impl Rounds {
    /// Starts the next round, or ends the stream after the last: the peer
    /// writes a burst (and says so) while this callback blocks the loop,
    /// so the burst lands after this iteration's poll. On even rounds a
    /// drain is queued: it runs first in the next iteration, before the
    /// transport's read for the same burst.
    fn next(self: &Rc<Rounds>, lp: &mut EventLoop) {
        let sent = self.sent.get();
        if sent == TOTAL {
            self.peer.commands.send(None).unwrap();
            return;
        }
        let round = self.round.get();
        self.round.set(round + 1);
        // At most 24 KiB: the receive buffer takes it without the peer
        // waiting for a read (the loop is blocked here).
        let len = burst_len(round, 24 * 1024).min(TOTAL - sent);
        self.sent.set(sent + len);
        self.peer.commands.send(Some(len)).unwrap();
        self.peer.written.recv_timeout(LIMIT).expect("the peer wrote its burst");
        if round.is_multiple_of(2) {
            // Wait until the burst is readable: it is then on the
            // transport's ready list for the next poll.
            let dup = self.dup.borrow();
            let dup = dup.as_ref().unwrap();
            let mut byte = [0; 1];
            let deadline = std::time::Instant::now() + LIMIT;
            loop {
                match dup.peek(&mut byte) {
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        assert!(std::time::Instant::now() < deadline, "the burst never came");
                        thread::yield_now();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => panic!("peek failed: {e}"),
                }
            }
            let me = self.clone();
            lp.call_soon(move |lp| me.drain(lp));
        }
    }

    /// Reads everything the socket holds, behind the transport's back.
    fn drain(self: &Rc<Rounds>, lp: &mut EventLoop) {
        let mut buf = vec![0; 64 * 1024];
        let mut took = 0;
        loop {
            let result = self.dup.borrow_mut().as_mut().unwrap().read(&mut buf);
            match result {
                Ok(0) => panic!("end-of-file in the middle of the stream"),
                Ok(n) => {
                    self.checker.take(&buf[..n]);
                    took += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("drain failed: {e}"),
            }
        }
        self.log.log(format!("drain {took}"));
        self.check_round(lp);
    }

    /// Starts the next round once the current burst has all come.
    fn check_round(self: &Rc<Rounds>, lp: &mut EventLoop) {
        if self.checker.got.get() == self.sent.get() {
            let me = self.clone();
            lp.call_soon(move |lp| me.next(lp));
        }
    }
}

struct Receiver(Rc<Rounds>);

impl Protocol for Receiver {
    fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
        let fd = socket_of(t);
        // SAFETY: borrowed only: `ManuallyDrop` never closes it; the clone
        // is a new descriptor, owned by the test.
        let borrowed = ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) });
        *self.0.dup.borrow_mut() = Some(borrowed.try_clone().unwrap());
        let me = self.0.clone();
        lp.call_soon(move |lp| me.next(lp));
    }
    fn data_received(&mut self, lp: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.0.log.log("data");
        self.0.checker.take(data);
        self.0.check_round(lp);
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        assert!(error.is_none(), "{error:?}");
        *self.0.dup.borrow_mut() = None;
        self.0.lost.set(true);
    }
}

/// The descriptor of the transport's socket: the one socket of this
/// process with the transport's two addresses.
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

#[test]
fn a_transport_whose_socket_was_drained_before_its_read_goes_on_byte_exact() {
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let (commands, command_rx) = mpsc::channel::<Option<usize>>();
    let (written_tx, written) = mpsc::channel();
    let log = Trace::new();
    let rounds = Rc::new(Rounds {
        checker: Checker::default(),
        sent: Cell::new(0),
        round: Cell::new(0),
        peer: Peer { commands, written },
        dup: RefCell::new(None),
        log: log.clone(),
        lost: Cell::new(false),
    });
    // Debug mode with a zero threshold reports every callback: the
    // transport's own (reads and writes on readiness) are logged.
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::ZERO);
    let l = log.clone();
    lp.set_slow_callback_hook(move |cb| {
        if cb.kind == CallbackKind::Transport {
            l.log("transport");
        }
    });
    let r = rounds.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Receiver(r.clone()))).unwrap();
    let addr = server.local_addr();
    let peer = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut at = 0;
        // A command per burst; `None` ends the stream.
        while let Ok(Some(len)) = command_rx.recv() {
            let burst: Vec<u8> = (at..at + len).map(byte).collect();
            write_all(&mut s, &burst);
            at += len;
            written_tx.send(()).unwrap();
        }
    });
    let timed_out = Rc::new(Cell::new(false));
    let t = timed_out.clone();
    lp.call_later(LIMIT, move |_| t.set(true));
    let r = rounds.clone();
    lp.run_until(move |_| r.lost.get() || timed_out.get()).unwrap();
    assert!(rounds.lost.get(), "stalled with {} of {TOTAL} bytes", rounds.checker.got.get());
    peer.join().unwrap();
    assert_eq!(rounds.checker.got.get(), TOTAL);

    // A drain that took bytes, followed at once by a transport callback
    // with no data in between: the transport's read found nothing.
    let log = log.take();
    let drains = log.iter().filter(|l| l.starts_with("drain")).count();
    let forced = log
        .windows(2)
        .filter(|w| w[0].starts_with("drain ") && w[0] != "drain 0" && w[1] == "transport")
        .count();
    let data = log.iter().filter(|l| *l == "data").count();
    println!(
        "{} rounds: {drains} drained behind the transport's back, {forced} of them just before \
         its read, which found nothing; {data} deliveries by the transport",
        rounds.round.get()
    );
    assert_eq!(drains, rounds.round.get().div_ceil(2));
    assert!(forced >= drains / 2, "only {forced} of {drains} drains forced an empty read");
    drop((server, lp));
    assert_no_leaks(&fds);
}
