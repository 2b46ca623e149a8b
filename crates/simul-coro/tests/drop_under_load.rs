//! Reliability item 22: drop the scheduler under load.
//!
//! A scheduler holds thousands of pending coroutines, each holding a
//! counted value ([`Guard`]), of every kind of wait:
//!
//! - readers of registered TCP streams (`net::TcpStream`, `Readable`) and,
//!   on the same streams, writers blocked on a full buffer (`Writable`),
//!   the two sharing the stream through an `Rc`;
//! - readers of plain descriptors (a Unix socket each, `Readable(fd)`,
//!   registered for each wait);
//! - sleepers of an hour, and sleepers that wake every few milliseconds;
//! - tasks joining those sleepers, and tasks joining the joiners;
//! - tasks that spawned a child (an hour's sleeper) and join it;
//! - parked tasks, and tasks that yield forever (always in the run queue);
//! - finished tasks whose output (holding a counted value) nobody joined;
//! - joiners woken with such an output that they have not yet been
//!   resumed with when `run` returns (the result queued in the reply).
//!
//! Meanwhile another OS thread keeps writing to the other end of every
//! socket, waking the readers (the only way another thread reaches a
//! coroutine), before, during and after the drop, until every socket
//! refuses. `run` returns as soon as the main task ends, leaving the rest
//! pending, and the scheduler is dropped there. Checked:
//!
//! - no counted value is dropped before the scheduler (by `run`, or when
//!   `run` returns), and the scheduler's drop drops each exactly once
//!   (a per-value count, not a total);
//! - the drop and the writing thread's end finish under a two-minute
//!   watchdog that aborts the process instead of hanging (teardown is not
//!   timed: no wall-clock asserts);
//! - every descriptor is closed: the process has as many open as at the
//!   start, and the writing thread saw each socket refuse.
//!
//! CI size: 2,000 tasks, 100 TCP connections, 100 Unix socket pairs (400
//! descriptors). `SIMUL_FULL=1`: 10,000 tasks, 500 and 500 (2,000
//! descriptors; the test raises its soft `RLIMIT_NOFILE` if it can).
//! Also run under `scripts/valgrind.sh`, at CI size.
#![cfg(target_os = "linux")]

use std::cell::Cell;
use std::io::{self, Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use simul_coro::net::TcpStream;
use simul_coro::{CoroutineState::*, Reply, ResumeError, Scheduler, Task, TaskId, Trap, from_fn};
use simul_reactor::net::TcpStream as RawStream;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Tasks spawned before the run: CI size, or the catalogue's.
fn tasks() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000 } else { 2_000 }
}

/// Tasks that finish just before the drop, and their joiners.
const HANDOFFS: usize = 10;

/// Asked `SO_SNDBUF` and `SO_RCVBUF` of the TCP connections.
const SMALL_BUFFER: usize = 8 << 10;

/// How long the teardown may take before the watchdog aborts.
const WATCHDOG: Duration = Duration::from_secs(120);

/// Who was counted and how often each was dropped, shared by every
/// [`Guard`]; atomic, so the count is right whichever thread drops.
struct Ledger {
    /// Guards made so far; the next one's index.
    made: AtomicUsize,
    /// Drops of each guard, by index.
    drops: Vec<AtomicU8>,
    /// Set just before the scheduler is dropped.
    dropping: AtomicBool,
    /// Guards dropped while `dropping` was not set.
    early: AtomicUsize,
}

impl Ledger {
    fn new(capacity: usize) -> Arc<Ledger> {
        Arc::new(Ledger {
            made: AtomicUsize::new(0),
            drops: (0..capacity).map(|_| AtomicU8::new(0)).collect(),
            dropping: AtomicBool::new(false),
            early: AtomicUsize::new(0),
        })
    }
}

/// A value held by a coroutine (or a task's output) whose drop is counted.
struct Guard {
    index: usize,
    ledger: Arc<Ledger>,
}

impl Guard {
    fn new(ledger: &Arc<Ledger>) -> Guard {
        let index = ledger.made.fetch_add(1, Ordering::SeqCst);
        assert!(index < ledger.drops.len(), "more guards than the ledger holds");
        Guard { index, ledger: ledger.clone() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.ledger.drops[self.index].fetch_add(1, Ordering::SeqCst);
        if !self.ledger.dropping.load(Ordering::SeqCst) {
            self.ledger.early.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Every task's output: finished tasks keep a guard in it.
type Out = Option<Guard>;

/// Raises the soft limit on open descriptors to at least `needed`, if the
/// hard limit allows (the full size needs more than the usual 1,024).
fn allow_fds(needed: usize) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a valid, writable `rlimit` for the call's duration.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let needed = needed as libc::rlim_t;
    if limit.rlim_cur >= needed {
        return;
    }
    assert!(limit.rlim_max >= needed, "{needed} descriptors needed: raise `ulimit -n`");
    limit.rlim_cur = needed;
    // SAFETY: `limit` is a valid `rlimit`, read by the call only.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "setrlimit: {}", io::Error::last_os_error());
}

/// Aborts the process, rather than letting the test hang, unless the
/// returned sender is used (or dropped) within `limit`.
fn watchdog(what: &'static str, limit: Duration) -> mpsc::Sender<()> {
    let (tx, rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            eprintln!("drop_under_load: {what} did not finish within {limit:?}");
            std::process::abort();
        }
    });
    tx
}

/// A task that holds `guard` and answers every resume with `trap()`.
fn forever(guard: Guard, mut trap: impl FnMut() -> Trap<Out> + 'static) -> Task<Out> {
    Box::new(from_fn(move |_: Reply<Out>| {
        let _hold = &guard;
        Ok(Yielded(trap()))
    }))
}

/// A task that reads whatever arrives on `stream`, then waits for more.
fn stream_reader(guard: Guard, stream: Rc<TcpStream>, reads: Rc<Cell<usize>>) -> Task<Out> {
    let fd = stream.as_raw_fd();
    let mut buf = vec![0u8; 4096];
    Box::new(from_fn(move |r: Reply<Out>| {
        let _hold = &guard;
        if let Reply::Io(Err(e)) = r {
            panic!("a reader's wait failed: {e}");
        }
        loop {
            match stream.try_read(&mut buf) {
                Ok(0) => panic!("end of file on fd {fd} before the drop"),
                Ok(_) => reads.set(reads.get() + 1),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        Ok(Yielded(Trap::Readable(fd)))
    }))
}

/// A task that writes to `stream` (whose peer never reads) until the
/// buffer is full, then waits for room that never comes.
fn stream_writer(guard: Guard, stream: Rc<TcpStream>) -> Task<Out> {
    let fd = stream.as_raw_fd();
    let junk = vec![0x5a_u8; 64 << 10];
    Box::new(from_fn(move |r: Reply<Out>| {
        let _hold = &guard;
        if let Reply::Io(Err(e)) = r {
            panic!("a writer's wait failed: {e}");
        }
        loop {
            match stream.try_write(&junk) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("write: {e}"),
            }
        }
        Ok(Yielded(Trap::Writable(fd)))
    }))
}

/// A task that reads a plain descriptor (its own end of a Unix socket
/// pair, closed when the task is dropped) whenever it is readable.
fn plain_reader(guard: Guard, socket: UnixStream, reads: Rc<Cell<usize>>) -> Task<Out> {
    socket.set_nonblocking(true).unwrap();
    let fd = socket.as_raw_fd();
    let mut buf = [0u8; 4096];
    Box::new(from_fn(move |r: Reply<Out>| {
        let _hold = &guard;
        if let Reply::Io(Err(e)) = r {
            panic!("a plain reader's wait failed: {e}");
        }
        loop {
            match (&socket).read(&mut buf) {
                Ok(0) => panic!("end of file on fd {fd} before the drop"),
                Ok(_) => reads.set(reads.get() + 1),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        Ok(Yielded(Trap::Readable(fd)))
    }))
}

/// A task that joins `target`, which never finishes.
fn joiner(guard: Guard, target: TaskId) -> Task<Out> {
    Box::new(from_fn(move |r: Reply<Out>| {
        let _hold = &guard;
        match r {
            Reply::Start => Ok(Yielded(Trap::Join(target))),
            Reply::Joined(result) => panic!("{target} ended: {:?}", result.map(|_| ())),
            _ => Err(ResumeError::UnexpectedInput { expected: "Joined" }),
        }
    }))
}

/// A task that spawns a child (an hour's sleeper holding its own guard)
/// and joins it.
fn parent(guard: Guard, ledger: &Arc<Ledger>) -> Task<Out> {
    let ledger = ledger.clone();
    Box::new(from_fn(move |r: Reply<Out>| {
        let _hold = &guard;
        match r {
            Reply::Start => {
                let child = forever(Guard::new(&ledger), || Trap::Sleep(Duration::from_secs(3600)));
                Ok(Yielded(Trap::Spawn(child)))
            }
            Reply::Spawned(child) => Ok(Yielded(Trap::Join(child))),
            Reply::Joined(result) => panic!("the child ended: {:?}", result.map(|_| ())),
            _ => Err(ResumeError::UnexpectedInput { expected: "Spawned or Joined" }),
        }
    }))
}

/// What the writing thread keeps writing to.
enum Peer {
    Tcp(std::net::TcpStream),
    Unix(UnixStream),
}

impl Peer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Peer::Tcp(s) => s.write(buf),
            Peer::Unix(s) => s.write(buf),
        }
    }
}

/// Writes to every peer, round after round, until each refuses (its
/// coroutine's end was closed by the drop); returns how many refused.
fn keep_writing(mut peers: Vec<Peer>, rounds: Arc<AtomicUsize>) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let mut refused = 0;
        while !peers.is_empty() {
            peers.retain_mut(|peer| match peer.write(b"wake up") {
                Ok(_) => true,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => true,
                // std hands EINTR back (scripts/eintr.sh injects it).
                Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
                Err(e) => {
                    assert!(
                        matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ),
                        "{e}"
                    );
                    refused += 1;
                    false
                }
            });
            rounds.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(1));
        }
        refused
    })
}

#[test]
fn dropping_a_loaded_scheduler_drops_every_coroutine_once_while_another_thread_writes() {
    let n = tasks();
    let (connections, pairs) = (n / 20, n / 20);
    allow_fds(2 * (connections + pairs) + 100);
    let fds = FdSnapshot::take();
    let ledger = Ledger::new(2 * n + 2 * HANDOFFS);
    let reads = Rc::new(Cell::new(0));
    let mut s = Scheduler::<Out>::new().unwrap();
    let io = s.io_handle();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut peers = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..connections {
        let ours = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (theirs, _) = listener.accept().unwrap();
        // Small buffers: a blocked writer fills kilobytes, not megabytes.
        let theirs = RawStream::from_std(theirs).unwrap(); // and non-blocking
        theirs.set_recv_buffer_size(SMALL_BUFFER).unwrap();
        peers.push(Peer::Tcp(theirs.into_std()));
        let raw = RawStream::from_std(ours).unwrap();
        raw.set_send_buffer_size(SMALL_BUFFER).unwrap();
        streams.push(Rc::new(TcpStream::from_reactor(&io, raw).unwrap()));
    }
    drop(listener);
    let mut sockets = Vec::new();
    for _ in 0..pairs {
        let (ours, theirs) = UnixStream::pair().unwrap();
        theirs.set_nonblocking(true).unwrap();
        peers.push(Peer::Unix(theirs));
        sockets.push(ours);
    }

    let mut ids: Vec<TaskId> = Vec::with_capacity(n);
    let mut outputs = 0;
    for i in 0..n {
        let guard = || Guard::new(&ledger);
        let task = match (i % 20, i % 10) {
            (0, _) => stream_reader(guard(), streams[i / 20].clone(), reads.clone()),
            (1, _) => stream_writer(guard(), streams[i / 20].clone()),
            (2, _) => plain_reader(guard(), sockets.pop().unwrap(), reads.clone()),
            (10..=12, _) => parent(guard(), &ledger),
            (_, 3) => forever(guard(), || Trap::Sleep(Duration::from_secs(3600))),
            (_, 4) => {
                let nap = Duration::from_millis(1 + (i % 5) as u64);
                forever(guard(), move || Trap::Sleep(nap))
            }
            // The napper spawned just before; then the joiner of that joiner.
            (_, 5 | 6) => joiner(guard(), ids[i - 1]),
            (_, 7) => forever(guard(), || Trap::Park),
            // Finishes at once; its output holds the guard.
            (_, 8) => {
                outputs += 1;
                let mut output = Some(guard());
                Box::new(from_fn(move |_: Reply<Out>| Ok(Complete(output.take()))))
            }
            _ => forever(guard(), || Trap::YieldNow),
        };
        ids.push(s.spawn(task));
    }
    assert!(sockets.is_empty());
    drop((streams, io)); // the tasks hold the streams now; the handle would keep the reactor

    // The writing thread starts before the run and writes through the drop.
    let rounds = Arc::new(AtomicUsize::new(0));
    let writer = keep_writing(peers, rounds.clone());
    // Results in flight: parked producers that main wakes at the very end,
    // so that each finishes, handing a guard to its joiner, just before
    // `run` returns; the joiners are dropped with the result still queued.
    let producers: Vec<TaskId> = (0..HANDOFFS)
        .map(|_| {
            let l = ledger.clone();
            let producer = s.spawn(from_fn(move |r: Reply<Out>| match r {
                Reply::Start => Ok(Yielded(Trap::Park)),
                Reply::Woke => Ok(Complete(Some(Guard::new(&l)))),
                _ => Err(ResumeError::UnexpectedInput { expected: "Woke" }),
            }));
            s.spawn(joiner(Guard::new(&ledger), producer));
            producer
        })
        .collect();
    let (mut naps, mut unparked) = (0, 0);
    let r = rounds.clone();
    let main = from_fn(move |reply: Reply<Out>| match reply {
        Reply::Start | Reply::Woke if unparked == 0 => {
            naps += 1;
            // Until the readers have been woken by a few rounds of writes.
            if naps < 5 || r.load(Ordering::SeqCst) < 3 {
                Ok(Yielded(Trap::Sleep(Duration::from_millis(5))))
            } else {
                unparked += 1;
                Ok(Yielded(Trap::Unpark(producers[0])))
            }
        }
        Reply::Unparked(true) if unparked < producers.len() => {
            unparked += 1;
            Ok(Yielded(Trap::Unpark(producers[unparked - 1])))
        }
        // The producers run next turn, then main, which ends the run.
        Reply::Unparked(true) => Ok(Yielded(Trap::YieldNow)),
        Reply::Woke => Ok(Complete(None)),
        _ => Err(ResumeError::UnexpectedInput { expected: "Woke or Unparked(true)" }),
    });
    assert!(s.run(main).unwrap().is_none());
    let pending = s.live_tasks();
    let children = 3 * n / 20;
    assert_eq!(
        pending,
        n - outputs + children + HANDOFFS,
        "every task but the finished ones pends"
    );
    assert!(reads.get() > 0, "no reader was woken by the writing thread");
    assert_eq!(ledger.early.load(Ordering::SeqCst), 0, "dropped before the scheduler");
    let made = ledger.made.load(Ordering::SeqCst);
    assert_eq!(made, n + children + 2 * HANDOFFS);
    let dropped = ledger.drops.iter().filter(|d| d.load(Ordering::SeqCst) != 0).count();
    assert_eq!(dropped, 0, "dropped before the scheduler");

    let done = watchdog("dropping the scheduler", WATCHDOG);
    ledger.dropping.store(true, Ordering::SeqCst);
    let at_drop = rounds.load(Ordering::SeqCst);
    drop(s);
    drop(done);
    let done = watchdog("the writing thread", WATCHDOG);
    let refused = writer.join().expect("the writing thread panicked");
    drop(done);

    assert_eq!(ledger.early.load(Ordering::SeqCst), 0, "dropped before the scheduler");
    let not_once: Vec<usize> =
        (0..made).filter(|&i| ledger.drops[i].load(Ordering::SeqCst) != 1).collect();
    assert!(
        not_once.is_empty(),
        "{} guards not dropped exactly once, among them {:?}",
        not_once.len(),
        &not_once[..not_once.len().min(20)]
    );
    assert_eq!(refused, connections + pairs, "a socket still open after the drop");
    assert!(rounds.load(Ordering::SeqCst) > at_drop, "the thread wrote after the drop");
    eprintln!(
        "{n} tasks ({pending} pending, {outputs} outputs kept), {} reads before the drop, \
         {} rounds of writes ({at_drop} before the drop)",
        reads.get(),
        rounds.load(Ordering::SeqCst)
    );
    assert_no_leaks(&fds);
}
