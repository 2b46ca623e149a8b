//! Reliability item 24 for the callback style: destructors that panic,
//! crossed with cancellation. A value whose `Drop` panics may be captured
//! by a callback (`call_soon`, `call_later`, `call_soon_threadsafe`, a
//! reader or writer, an executor job or its `done`), be an executor job's
//! result, or be a protocol. Wherever the loop drops it (after the
//! callback ran, when it is cancelled before it runs, when a reader is
//! replaced or removed, when the connection ends, when the loop itself is
//! dropped with it pending), the panic does not escape the
//! loop or the call that dropped it: the exception handler hears it,
//! every value is dropped exactly once, and the loop goes on. Cancelling
//! works before a callback runs, not while it runs (a callback cancelling
//! its own handle) nor after, and a second cancel is a no-op.
//!
//! The callback loop has no wakers: the catalogue's "panic in a waker
//! clone" does not apply. A panic in a destructor while a callback's own
//! panic unwinds aborts the process, as any panic during unwinding does
//! in Rust; no test provokes it.

mod util;

use std::cell::{Cell, RefCell};
use std::net::TcpStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use simul_callback::{EventLoop, ExceptionContext, Handle, Protocol, TimerHandle, Transport};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::{Trace, virtual_loop};

/// Counts its drops, then panics.
struct Bomb {
    name: &'static str,
    drops: Arc<AtomicUsize>,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        panic!("{} dropped", self.name);
    }
}

/// Bombs and their drop counters.
#[derive(Default)]
struct Bombs(Vec<(&'static str, Arc<AtomicUsize>)>);

impl Bombs {
    fn make(&mut self, name: &'static str) -> Bomb {
        let drops = Arc::new(AtomicUsize::new(0));
        self.0.push((name, drops.clone()));
        Bomb { name, drops }
    }

    /// (name, drops) of every bomb.
    fn drops(&self) -> Vec<(&'static str, usize)> {
        self.0.iter().map(|(n, d)| (*n, d.load(Ordering::SeqCst))).collect()
    }

    fn all_once(&self) -> Vec<(&'static str, usize)> {
        self.0.iter().map(|(n, _)| (*n, 1)).collect()
    }
}

/// The exception handler's reports, as "message: panic".
type Reports = Rc<RefCell<Vec<String>>>;

fn recording(lp: &mut EventLoop) -> Reports {
    let seen = Reports::default();
    let s = seen.clone();
    lp.set_exception_handler(move |_, ctx: ExceptionContext| {
        s.borrow_mut().push(format!("{}: {}", ctx.message, ctx.panic_message().unwrap_or("-")));
    });
    seen
}

/// The reports that name `bomb`'s panic.
fn heard(reports: &Reports, bomb: &str) -> usize {
    let needle = format!(": {bomb} dropped");
    reports.borrow().iter().filter(|r| r.ends_with(&needle)).count()
}

/// The tests count descriptors and time nothing: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn captures_and_results_whose_drop_panics_after_running_are_reported_and_the_loop_goes_on() {
    let _serial = serial();
    let mut lp = EventLoop::new().unwrap();
    let reports = recording(&mut lp);
    let mut bombs = Bombs::default();
    let t = Trace::new();

    let (b, t2) = (bombs.make("soon"), t.clone());
    lp.call_soon(move |_| {
        let _b = &b;
        t2.log("soon ran");
    });
    let (b, t2) = (bombs.make("timer"), t.clone());
    lp.call_later(Duration::ZERO, move |_| {
        let _b = &b;
        t2.log("timer ran");
    });
    let b = bombs.make("threadsafe");
    lp.handle()
        .call_soon_threadsafe(move |_| {
            let _b = &b;
        })
        .unwrap();
    // Executor results: one the done callback drops, one it ignores.
    let b = bombs.make("result dropped by done");
    lp.run_in_executor(move || b, move |_, r| drop(r.unwrap())).unwrap();
    let (b, t2) = (bombs.make("result ignored by done"), t.clone());
    lp.run_in_executor(move || b, move |_, _| t2.log("ignored a result")).unwrap();
    lp.run_until(|_| bombs.drops().iter().all(|&(_, n)| n == 1)).unwrap();
    let t2 = t.clone();
    lp.call_soon(move |lp| {
        t2.log("after");
        lp.stop();
    });
    lp.run_forever().unwrap();

    assert_eq!(bombs.drops(), bombs.all_once());
    let mut ran = t.take();
    ran.sort();
    assert_eq!(ran, ["after", "ignored a result", "soon ran", "timer ran"]);
    for (name, _) in bombs.drops() {
        assert_eq!(heard(&reports, name), 1, "{name}: {:?}", reports.borrow());
    }
    assert_eq!(reports.borrow().len(), 5);
    assert!(
        reports.borrow().iter().all(|r| r.starts_with("a callback panicked")),
        "{:?}",
        reports.borrow()
    );
}

#[test]
fn cancelling_a_callback_whose_capture_panics_in_drop_reports_it_and_the_canceller_goes_on() {
    let _serial = serial();
    let mut lp = virtual_loop();
    let reports = recording(&mut lp);
    let mut bombs = Bombs::default();
    let t = Trace::new();
    let secs = Duration::from_secs;

    // Before it runs, from outside the loop: the panic does not escape
    // `cancel`, which says true once and false the second time.
    let b = bombs.make("soon cancelled outside");
    let h = lp.call_soon(move |_| drop(b));
    let cancelled = catch_unwind(AssertUnwindSafe(|| h.cancel(&mut lp)));
    assert_eq!(cancelled.ok(), Some(true), "the destructor's panic escaped cancel");
    assert!(!h.cancel(&mut lp), "twice: a no-op");
    let b = bombs.make("timer cancelled outside");
    let th = lp.call_later(secs(5), move |_| drop(b));
    let cancelled = catch_unwind(AssertUnwindSafe(|| th.cancel(&mut lp)));
    assert_eq!(cancelled.ok(), Some(true), "the destructor's panic escaped cancel");
    assert!(!th.cancel(&mut lp), "twice: a no-op");
    assert_eq!(heard(&reports, "soon cancelled outside"), 1);
    assert_eq!(heard(&reports, "timer cancelled outside"), 1);

    // Before it runs, from another callback: three timers due together at
    // 1 s run in order. The first queues a call_soon; the second cancels
    // it (queued), a timer pending for a minute, and the third (due,
    // already in the ready queue), each twice, and goes on.
    let soon_slot: Rc<Cell<Option<Handle>>> = Rc::default();
    let timers_slot: Rc<Cell<Option<(TimerHandle, TimerHandle)>>> = Rc::default();
    let (b, s, t2) = (bombs.make("queued soon cancelled inside"), soon_slot.clone(), t.clone());
    lp.call_later(secs(1), move |lp| {
        s.set(Some(lp.call_soon(move |_| {
            let _b = &b;
            t2.log("never");
        })));
    });
    let (s, ts, t2) = (soon_slot.clone(), timers_slot.clone(), t.clone());
    lp.call_later(secs(1), move |lp| {
        t2.log("canceller");
        let soon = s.get().unwrap();
        let (pending, due) = ts.get().unwrap();
        assert!(soon.cancel(lp) && pending.cancel(lp) && due.cancel(lp));
        assert!(!soon.cancel(lp) && !pending.cancel(lp) && !due.cancel(lp), "twice");
        t2.log("canceller went on");
    });
    let (b, t2) = (bombs.make("due timer cancelled inside"), t.clone());
    let due = lp.call_later(secs(1), move |_| {
        let _b = &b;
        t2.log("never");
    });
    let (b, t2) = (bombs.make("pending timer cancelled inside"), t.clone());
    let pending = lp.call_later(secs(60), move |_| {
        let _b = &b;
        t2.log("never");
    });
    timers_slot.set(Some((pending, due)));

    // During: a callback cancelling its own handle is too late; its
    // capture is dropped once, when it ends, and reported.
    let b = bombs.make("cancels itself");
    let me: Rc<Cell<Option<TimerHandle>>> = Rc::default();
    let (m, t2) = (me.clone(), t.clone());
    me.set(Some(lp.call_later(secs(2), move |lp| {
        let _b = &b;
        assert!(!m.get().unwrap().cancel(lp), "running: too late");
        t2.log("cancelled itself");
    })));
    lp.call_later(secs(3), |lp| lp.stop());
    lp.run_forever().unwrap();
    // After: a no-op, and no second drop.
    assert!(!me.get().unwrap().cancel(&mut lp));
    assert!(!pending.cancel(&mut lp));

    assert_eq!(bombs.drops(), bombs.all_once());
    assert_eq!(t.take(), ["canceller", "canceller went on", "cancelled itself"]);
    for (name, _) in bombs.drops() {
        assert_eq!(heard(&reports, name), 1, "{name}: {:?}", reports.borrow());
    }
    assert_eq!(reports.borrow().len(), bombs.drops().len());
}

#[test]
fn replacing_or_removing_a_reader_or_writer_whose_capture_panics_in_drop_reports_it() {
    use std::os::fd::AsRawFd;
    let _serial = serial();
    let mut lp = virtual_loop();
    let reports = recording(&mut lp);
    let mut bombs = Bombs::default();
    let (a, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let b = bombs.make("replaced reader");
    lp.add_reader(fd, move |_| {
        let _b = &b;
    })
    .unwrap();
    let b = bombs.make("removed reader");
    let replaced = catch_unwind(AssertUnwindSafe(|| {
        lp.add_reader(fd, move |_| {
            let _b = &b;
        })
    }));
    assert!(matches!(replaced, Ok(Ok(()))), "the destructor's panic escaped add_reader");
    let removed = catch_unwind(AssertUnwindSafe(|| lp.remove_reader(fd)));
    assert_eq!(removed.ok(), Some(true), "the destructor's panic escaped remove_reader");
    // A writer that removes itself while it runs: dropped when it returns.
    let (b, t) = (bombs.make("writer removing itself"), Trace::new());
    let t2 = t.clone();
    lp.add_writer(fd, move |lp| {
        let _b = &b;
        assert!(lp.remove_writer(fd));
        t2.log("removed itself");
        lp.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    let t2 = t.clone();
    lp.call_soon(move |lp| {
        t2.log("the loop goes on");
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["removed itself", "the loop goes on"]);
    assert_eq!(bombs.drops(), bombs.all_once());
    for (name, _) in bombs.drops() {
        assert_eq!(heard(&reports, name), 1, "{name}: {:?}", reports.borrow());
    }
}

/// Holds a bomb; counts its callbacks.
struct BombProtocol {
    _bomb: Bomb,
    trace: Trace,
}

impl Protocol for BombProtocol {
    fn connection_made(&mut self, _: &mut EventLoop, _: &Transport) {
        self.trace.log("made");
    }
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        t.write(data).unwrap();
    }
    fn connection_lost(&mut self, _: &mut EventLoop, _: Option<std::io::Error>) {
        self.trace.log("lost");
    }
}

#[test]
fn a_protocol_whose_drop_panics_is_reported_when_its_connection_ends_and_the_server_goes_on() {
    let _serial = serial();
    use std::io::{Read, Write};
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let reports = recording(&mut lp);
    let bombs = Rc::new(RefCell::new(Bombs::default()));
    let t = Trace::new();
    let (b, t2) = (bombs.clone(), t.clone());
    let names = ["first protocol", "second protocol"];
    let made = Cell::new(0);
    let server = lp
        .create_server("127.0.0.1:0", move || {
            let name = names[made.get()];
            made.set(made.get() + 1);
            Box::new(BombProtocol { _bomb: b.borrow_mut().make(name), trace: t2.clone() })
        })
        .unwrap();
    let addr = server.local_addr();
    for (i, name) in names.into_iter().enumerate() {
        let (tx, rx) = mpsc::channel();
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(b"ping").unwrap();
            let mut back = [0; 4];
            s.read_exact(&mut back).unwrap();
            drop(s); // the server reads end-of-file and closes
            tx.send(back).unwrap();
        });
        let r = reports.clone();
        lp.run_until(move |_| heard(&r, name) == 1).unwrap();
        client.join().unwrap();
        assert_eq!(&rx.recv().unwrap(), b"ping", "connection {i} served");
    }
    assert_eq!(t.take(), ["made", "lost", "made", "lost"]);
    assert_eq!(bombs.borrow().drops(), bombs.borrow().all_once());
    assert_eq!(
        *reports.borrow(),
        names.map(|name| format!("a protocol's destructor panicked: {name} dropped"))
    );
    drop(server);
    drop(lp);
    assert_no_leaks(&fds);
}

#[test]
fn dropping_a_loop_that_holds_values_whose_drop_panics_lets_no_panic_escape() {
    let _serial = serial();
    use std::os::fd::AsRawFd;
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let reports = recording(&mut lp);
    let mut bombs = Bombs::default();

    // A reader and a writer.
    let (a, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let b = bombs.make("reader");
    lp.add_reader(a.as_raw_fd(), move |_| {
        let _b = &b;
    })
    .unwrap();
    let b = bombs.make("writer");
    lp.add_writer(a.as_raw_fd(), move |_| {
        let _b = &b;
    })
    .unwrap();
    // An executor job still running when the loop goes: its done callback
    // is dropped with the loop, its result later on the worker thread.
    let b = bombs.make("running job's done");
    let result = bombs.make("running job's result");
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    lp.run_in_executor(
        move || {
            started_tx.send(()).unwrap();
            let _ = go_rx.recv();
            result
        },
        move |_, _| drop(b),
    )
    .unwrap();
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    // A connection whose protocol panics when dropped.
    let t = Trace::new();
    let protocol =
        RefCell::new(Some(BombProtocol { _bomb: bombs.make("protocol"), trace: t.clone() }));
    let server = lp
        .create_server("127.0.0.1:0", move || Box::new(protocol.borrow_mut().take().unwrap()))
        .unwrap();
    let client = TcpStream::connect(server.local_addr()).unwrap();
    let t2 = t.clone();
    lp.run_until(move |_| t2.len() == 1).unwrap();
    // Scheduled after the last run, so that they are still pending.
    for name in ["queued soon", "another queued soon"] {
        let b = bombs.make(name);
        lp.call_soon(move |_| drop(b));
    }
    for name in ["pending timer", "another pending timer"] {
        let b = bombs.make(name);
        lp.call_later(Duration::from_secs(3600), move |_| drop(b));
    }
    // A call from another thread, not yet taken by the loop: in its
    // mailbox, where executor results wait too.
    let b = bombs.make("threadsafe");
    lp.handle().call_soon_threadsafe(move |_| drop(b)).unwrap();
    // Beside them, captures that drop quietly, after the panicking ones.
    let quiet = Rc::new(());
    let q = quiet.clone();
    lp.call_soon(move |_| drop(q));
    let q = quiet.clone();
    lp.call_later(Duration::from_secs(7200), move |_| drop(q));
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(lp)));
    assert!(dropped.is_ok(), "a destructor's panic escaped the loop's drop");
    assert_eq!(Rc::strong_count(&quiet), 1, "the quiet captures were dropped too");
    drop(go_tx); // the running job ends; its result is dropped on the worker
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while bombs.drops().iter().any(|&(_, n)| n == 0) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(bombs.drops(), bombs.all_once());
    // Everything dropped on the loop's thread was reported: all but the
    // running job's result, which the worker dropped.
    assert_eq!(heard(&reports, "running job's result"), 0);
    for (name, _) in bombs.drops() {
        if name != "running job's result" {
            assert_eq!(heard(&reports, name), 1, "{name}: {:?}", reports.borrow());
        }
    }
    assert_eq!(reports.borrow().len(), bombs.drops().len() - 1, "{:?}", reports.borrow());
    assert_eq!(t.take(), ["made"], "a dropped loop calls no protocol method");
    drop((server, client, a, _peer));
    // The worker lets go of the loop's notifier (held to post the result)
    // just after it dropped the result: assert_no_leaks waits for that.
    assert_no_leaks(&fds);
}
