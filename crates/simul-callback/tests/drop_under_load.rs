//! Reliability item 22: drop the loop under load. It holds 10,000 pending
//! callbacks and 10,000 timers, readers on sockets, connections (both
//! ends, each protocol holding its own transport and a timer of its own),
//! executor jobs running and queued, while another thread keeps calling
//! `call_soon_threadsafe` through the drop. Every value those captured is
//! dropped exactly once, the drop completes (a watchdog fails the test
//! instead of letting it hang), and every descriptor is closed.
//!
//! CI size: 200 readers and 100 connections (about 600 descriptors).
//! `SIMUL_FULL=1`: 1,000 readers and 1,000 connections (about 4,000
//! descriptors: raise `ulimit -n` above the usual 1,024). Callbacks and
//! timers are 10,000 each at both sizes.
//!
//! One test function: it counts descriptors and live values, which other
//! tests running in parallel in this binary would disturb. Also run under
//! `scripts/valgrind.sh`.
#![cfg(target_os = "linux")]

mod util;

use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use simul_callback::{EventLoop, Protocol, Transport};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks, open_fds};

/// Pending `call_soon` callbacks, and pending timers.
const CALLBACKS: usize = 10_000;
/// Executor jobs: `WORKERS` run (blocked until after the drop), the rest
/// wait in the pool's queue.
const JOBS: usize = 100;
const WORKERS: usize = 2;

/// (readers, connections).
fn sizes() -> (usize, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (1_000, 1_000) } else { (200, 100) }
}

static CREATED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// A captured value that counts its creation and its drop.
struct Counted;

impl Counted {
    fn new() -> Counted {
        CREATED.fetch_add(1, Ordering::SeqCst);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

/// A protocol holding a counted value and its own transport (a cycle the
/// loop must break), with an hour-long timer holding both again.
struct Holder {
    _value: Counted,
    transport: Option<Transport>,
    made: Arc<AtomicUsize>,
}

impl Holder {
    fn new(made: &Arc<AtomicUsize>) -> Holder {
        Holder { _value: Counted::new(), transport: None, made: made.clone() }
    }
}

impl Protocol for Holder {
    fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
        self.transport = Some(t.clone());
        let (t, value) = (t.clone(), Counted::new());
        let _ = lp.call_later(Duration::from_secs(3600), move |_| drop((t, value)));
        self.made.fetch_add(1, Ordering::SeqCst);
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
}

/// Fails the test, rather than letting it hang, if `done` is not signalled
/// within `limit`.
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

#[test]
fn dropping_a_loaded_loop_drops_every_capture_once_while_another_thread_posts() {
    let (readers, connections) = sizes();
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    lp.set_executor_workers(NonZeroUsize::new(WORKERS).unwrap());

    for i in 0..CALLBACKS {
        let value = Counted::new();
        let delay = Duration::from_secs(3600 + (i % 100) as u64);
        let _ = lp.call_later(delay, move |_| drop(value));
    }

    // Readers: each closure owns its socket, so dropping it closes the fd.
    // Half have data waiting.
    let mut peers = Vec::new();
    for i in 0..readers {
        let (rx, tx) = UnixStream::pair().unwrap();
        if i % 2 == 0 {
            (&tx).write_all(b"x").unwrap(); // retries EINTR itself
        }
        let value = Counted::new();
        lp.add_reader(rx.as_raw_fd(), move |_| {
            let _ = (&rx, &value);
        })
        .unwrap();
        peers.push(tx);
    }

    // Connections: both ends in the loop, every protocol a Holder.
    let made = Arc::new(AtomicUsize::new(0));
    let m = made.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Holder::new(&m))).unwrap();
    let addr: SocketAddr = server.local_addr();
    for _ in 0..connections {
        lp.create_connection(addr, Holder::new(&made)).unwrap();
    }
    let m = made.clone();
    lp.run_until(move |_| m.load(Ordering::SeqCst) == 2 * connections).unwrap();
    // Queued after that run, so that none has run.
    for _ in 0..CALLBACKS {
        let value = Counted::new();
        let _ = lp.call_soon(move |_| drop(value));
    }

    // Executor jobs: the first WORKERS block on a gate until after the
    // drop; the others stay queued.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    for _ in 0..JOBS {
        let (gate, value) = (gate.clone(), Counted::new());
        let result = Counted::new();
        lp.run_in_executor(
            move || {
                let (open, cv) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cv.wait(open).unwrap();
                }
                drop(value);
                result
            },
            |_, r| drop(r),
        )
        .unwrap();
    }

    // Another thread posts calls until the loop refuses them; it has
    // posted some before the drop starts.
    let posted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicBool::new(false));
    let poster = {
        let (handle, posted, refused) = (lp.handle(), posted.clone(), refused.clone());
        thread::spawn(move || {
            loop {
                let value = Counted::new();
                match handle.call_soon_threadsafe(move |_| drop(value)) {
                    Ok(()) => {
                        posted.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(simul_callback::Error::Closed) => break,
                    Err(e) => panic!("{e}"),
                }
                thread::yield_now();
            }
            refused.store(true, Ordering::SeqCst);
        })
    };
    while posted.load(Ordering::SeqCst) < 100 {
        thread::yield_now();
    }
    assert_eq!(DROPPED.load(Ordering::SeqCst), 0, "nothing is dropped before the loop");
    assert!(
        fds.len() + 2 * readers + 2 * connections < open_fds(),
        "the readers' and connections' sockets are open"
    );

    let done = watchdog("dropping the loop", Duration::from_secs(120));
    drop(server);
    drop(lp);
    let _ = done.send(());

    poster.join().unwrap();
    assert!(refused.load(Ordering::SeqCst));
    // The running jobs finish now; their captures drop on the workers.
    let done = watchdog("the executor jobs", Duration::from_secs(120));
    {
        let (open, cv) = &*gate;
        *open.lock().unwrap() = true;
        cv.notify_all();
    }
    while DROPPED.load(Ordering::SeqCst) < CREATED.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(1));
    }
    let _ = done.send(());
    assert_eq!(DROPPED.load(Ordering::SeqCst), CREATED.load(Ordering::SeqCst), "dropped once");
    let expected = 2 * CALLBACKS + readers + 4 * connections + 2 * JOBS;
    assert!(CREATED.load(Ordering::SeqCst) > expected, "the poster's values count too");
    drop(peers);
    assert_no_leaks(&fds);
}
