//! Reliability item 24, the waker corner of the panic x cancel matrix: a
//! user future that polls simul's leaf futures (a sleep, a `JoinHandle`,
//! socket reads, a oneshot, a queue, an event, a lock, a semaphore, a
//! `JoinSet`, a `spawn_blocking` job) with a waker made by hand on
//! `RawWakerVTable` whose `clone`, `wake` or `drop` panics.
//!
//! What must hold, as the runtime documents it:
//!
//! * a panicking `clone` unwinds through the leaf's poll: that task ends
//!   with `JoinError::Panic` carrying the waker's message, the leaf keeps
//!   nothing registered (no timer, no waiter on a descriptor, no place in
//!   a line), every object it touched goes on serving other tasks, and a
//!   leaf whose poll was cut short by the panic (caught by its caller)
//!   still works when polled again with a good waker;
//! * a panicking `wake` or `drop`, run by simul (a timer firing, readiness,
//!   a task finishing, a job ending on a worker thread, a channel, queue,
//!   event or lock handing over, a waiter replaced or unregistered) is
//!   caught where simul runs it: no panic leaves `block_on`, a task or the
//!   runtime's drop, the other wake-ups of the same batch still happen,
//!   and `Diagnostics::waker_panics` counts each one.
//!
//! The tests run on the virtual clock, so "no timer left behind" is
//! exact: a leftover timer would move the clock when the runtime idles,
//! and a leftover waiter of any kind would keep `block_on(pending())`
//! from reporting a deadlock at once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use simul_future::{
    AsyncReadExt, AsyncWriteExt, Event, JoinError, JoinSet, Lock, Queue, Runtime, RuntimeError,
    Semaphore, TcpListener, TcpStream, UdpSocket, now, oneshot, sleep, spawn, spawn_blocking,
    yield_now,
};
use simul_reactor::{Clock, Instant};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Which of the waker's functions panic.
#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    /// `clone` panics (and clones nothing).
    clone: bool,
    /// `wake` and `wake_by_ref` wake the task, then panic.
    wake: bool,
    /// Dropping a clone panics (after releasing it); so does `wake` by
    /// value, which drops the waker it consumes.
    drop: bool,
}

const CLONE: Faults = Faults { clone: true, wake: false, drop: false };
const WAKE: Faults = Faults { clone: false, wake: true, drop: false };
const DROP: Faults = Faults { clone: false, wake: false, drop: true };

/// What the hand-made wakers did, for the assertions.
#[derive(Default, Debug)]
struct Counts {
    clones: AtomicUsize,
    wakes: AtomicUsize,
    drops: AtomicUsize,
}

/// The data behind a hand-made waker: the task's real waker, to forward
/// wakes to, and what goes wrong.
struct Inner {
    real: Waker,
    faults: Faults,
    counts: Arc<Counts>,
}

/// The waker the user future holds and lends to the leaf: its clones use
/// [`CLONED`]. Its own drop is quiet (the user future drops it in its own
/// poll and destructor; only simul's clones are under test).
static HELD: RawWakerVTable = RawWakerVTable::new(clone, wake_held, wake_by_ref, drop_held);
/// The vtable of the clones simul keeps.
static CLONED: RawWakerVTable = RawWakerVTable::new(clone, wake_clone, wake_by_ref, drop_clone);

/// # Safety
/// `data` came from `Arc::<Inner>::into_raw` and that reference is alive.
unsafe fn inner<'a>(data: *const ()) -> &'a Inner {
    // SAFETY: the caller's guarantee.
    unsafe { &*data.cast::<Inner>() }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: called on a live waker, which holds a reference.
    let i = unsafe { inner(data) };
    if i.faults.clone {
        panic!("waker clone panics");
    }
    i.counts.clones.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the reference held by the waker being cloned is alive.
    unsafe { Arc::increment_strong_count(data.cast::<Inner>()) };
    RawWaker::new(data, &CLONED)
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: called on a live waker.
    let i = unsafe { inner(data) };
    i.real.wake_by_ref();
    i.counts.wakes.fetch_add(1, Ordering::Relaxed);
    if i.faults.wake {
        panic!("waker wake panics");
    }
}

unsafe fn wake_held(data: *const ()) {
    // SAFETY: called on a live waker.
    unsafe { wake_by_ref(data) };
    // SAFETY: the waker owned this reference and is consumed.
    unsafe { drop_held(data) };
}

unsafe fn drop_held(data: *const ()) {
    // SAFETY: the waker owned this reference.
    drop(unsafe { Arc::from_raw(data.cast::<Inner>()) });
}

unsafe fn wake_clone(data: *const ()) {
    // SAFETY: the waker owns this reference; it is released at the end.
    let arc = unsafe { Arc::from_raw(data.cast::<Inner>()) };
    arc.real.wake_by_ref();
    arc.counts.wakes.fetch_add(1, Ordering::Relaxed);
    let faults = arc.faults;
    arc.counts.drops.fetch_add(1, Ordering::Relaxed);
    drop(arc);
    if faults.wake {
        panic!("waker wake panics");
    }
    if faults.drop {
        panic!("waker drop panics");
    }
}

unsafe fn drop_clone(data: *const ()) {
    // SAFETY: the waker owned this reference.
    let arc = unsafe { Arc::from_raw(data.cast::<Inner>()) };
    let faults = arc.faults;
    arc.counts.drops.fetch_add(1, Ordering::Relaxed);
    drop(arc);
    if faults.drop {
        panic!("waker drop panics");
    }
}

/// A hand-made waker that forwards to `real` and fails as `faults` say.
fn faulty_waker(real: &Waker, faults: Faults, counts: &Arc<Counts>) -> Waker {
    let inner = Arc::new(Inner { real: real.clone(), faults, counts: counts.clone() });
    let raw = RawWaker::new(Arc::into_raw(inner).cast(), &HELD);
    // SAFETY: the vtable's functions keep the RawWaker contract: each
    // waker owns one reference on the `Inner`, clones take another, and
    // `Inner` is `Send + Sync`.
    unsafe { Waker::from_raw(raw) }
}

/// A user future that polls `leaf` with a faulty waker.
///
/// With `catch` set, a panic out of the leaf's poll is caught and the
/// leaf is polled again at once with the task's own waker: the leaf must
/// then work as if nothing had happened.
struct Faulty<F> {
    leaf: Pin<Box<F>>,
    faults: Faults,
    counts: Arc<Counts>,
    /// Made at the first poll from the task's waker, kept after, so that
    /// the leaf sees the same waker every time.
    waker: Option<Waker>,
    catch: Option<Rc<Cell<usize>>>,
}

impl<F: Future> Faulty<F> {
    fn new(leaf: F, faults: Faults, counts: &Arc<Counts>) -> Faulty<F> {
        Faulty { leaf: Box::pin(leaf), faults, counts: counts.clone(), waker: None, catch: None }
    }

    /// Catches the leaf's panics, counting them in `caught`.
    fn catching(mut self, caught: &Rc<Cell<usize>>) -> Faulty<F> {
        self.catch = Some(caught.clone());
        self
    }
}

impl<F: Future> Future for Faulty<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let waker =
            this.waker.get_or_insert_with(|| faulty_waker(cx.waker(), this.faults, &this.counts));
        let mut faulty_cx = Context::from_waker(waker);
        let Some(caught) = &this.catch else {
            return this.leaf.as_mut().poll(&mut faulty_cx);
        };
        let leaf = &mut this.leaf;
        match catch_unwind(AssertUnwindSafe(|| leaf.as_mut().poll(&mut faulty_cx))) {
            Ok(poll) => poll,
            Err(_) => {
                caught.set(caught.get() + 1);
                this.leaf.as_mut().poll(cx)
            }
        }
    }
}

/// Silences the faulty wakers' own panics (expected, and many); any
/// other panic, such as a failed assertion, is reported as usual.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let p = info.payload();
            let text = p
                .downcast_ref::<&str>()
                .copied()
                .or(p.downcast_ref::<String>().map(|s| s.as_str()));
            if !text.is_some_and(|t| t.starts_with("waker ")) {
                report(info);
            }
        }));
    });
}

/// The tests count open descriptors, so they run one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn virtual_rt() -> Runtime {
    Runtime::with_clock(Clock::new_virtual()).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The panic message a `JoinError::Panic` carries.
fn panic_text(err: JoinError) -> String {
    let JoinError::Panic(payload) = err else { panic!("not a panic: {err}") };
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "?".to_string()
    }
}

/// A connected loopback pair of simul streams.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// The runtime is left with no timer, no waiter and no task: awaiting
/// forever is reported as a deadlock of `block_on`'s future alone, at
/// once, and the virtual clock does not move.
fn assert_nothing_left(rt: &mut Runtime) {
    let before = rt.clock().now();
    match rt.block_on(std::future::pending::<()>()) {
        Err(RuntimeError::Deadlock(d)) => {
            assert_eq!(d.stuck.len(), 1, "tasks left behind: {d}");
        }
        other => panic!("expected a deadlock report, got {other:?}"),
    }
    assert_eq!(rt.clock().now(), before, "a timer was left behind");
}

/// A task beside the faulty ones: ten 1 ms sleeps, at exact times.
fn bystander() -> simul_future::JoinHandle<Vec<Instant>> {
    spawn(async {
        let mut at = Vec::new();
        for _ in 0..10 {
            sleep(ms(1)).await;
            at.push(now());
        }
        at
    })
}

fn bystander_times(start: Instant) -> Vec<Instant> {
    (1..=10).map(|i| start.saturating_add(ms(i))).collect()
}

#[test]
fn a_waker_whose_clone_panics_fails_only_its_task_and_leaves_nothing_registered() {
    quiet_panics();
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut rt = virtual_rt();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    rt.block_on(async move {
        let start = now();
        let calm = bystander();
        let bomb = |leaf: Pin<Box<dyn Future<Output = ()>>>| spawn(Faulty::new(leaf, CLONE, &c));
        let mut bombs = Vec::new();

        // A timer.
        bombs.push(("sleep", bomb(Box::pin(sleep(Duration::from_secs(3600))))));

        // A JoinHandle of a task that waits for an event.
        let gate = Rc::new(Event::new());
        let g = gate.clone();
        let joined = spawn(async move { g.wait().await });
        bombs.push(("JoinHandle", bomb(Box::pin(async move { joined.await.unwrap() }))));

        // Reads on sockets with nothing to read.
        let (mut a, mut b) = tcp_pair().await;
        let (a2, b2) = tcp_pair().await;
        bombs.push((
            "TcpStream::read",
            bomb(Box::pin(async move {
                let mut b2 = b2;
                let _ = b2.read(&mut [0u8; 16]).await;
            })),
        ));
        let udp = Rc::new(UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap());
        let u = udp.clone();
        bombs.push((
            "UdpSocket::recv_from",
            bomb(Box::pin(async move {
                let _ = u.recv_from(&mut [0u8; 16]).await;
            })),
        ));

        // A oneshot with nothing sent.
        let (tx, rx) = oneshot::<u8>();
        bombs.push((
            "oneshot",
            bomb(Box::pin(async move {
                let _ = rx.await;
            })),
        ));

        // Queues: a get on an empty one, a put on a full one, a join.
        let empty = Rc::new(Queue::<u32>::unbounded());
        let q = empty.clone();
        bombs.push((
            "Queue::get",
            bomb(Box::pin(async move {
                let _ = q.get().await;
            })),
        ));
        let full = Rc::new(Queue::<u32>::bounded(1));
        full.put_nowait(1).unwrap();
        let q = full.clone();
        bombs.push(("Queue::put", bomb(Box::pin(async move { q.put(2).await }))));
        let q = full.clone();
        bombs.push(("Queue::join", bomb(Box::pin(async move { q.join().await }))));

        // An event, a held lock, a semaphore with no permit.
        let event = Rc::new(Event::new());
        let e = event.clone();
        bombs.push(("Event::wait", bomb(Box::pin(async move { e.wait().await }))));
        let lock = Rc::new(Lock::new());
        let held = lock.try_acquire().unwrap();
        let l = lock.clone();
        bombs.push(("Lock::acquire", bomb(Box::pin(async move { drop(l.acquire().await) }))));
        let sem = Rc::new(Semaphore::new(0));
        let s = sem.clone();
        bombs.push(("Semaphore::acquire", bomb(Box::pin(async move { drop(s.acquire().await) }))));

        // A JoinSet with a task that waits, and a blocking job that waits.
        let set_gate = Rc::new(Event::new());
        let g = set_gate.clone();
        bombs.push((
            "JoinSet::join_next",
            bomb(Box::pin(async move {
                let mut set = JoinSet::new();
                set.spawn(async move { g.wait().await });
                drop(set.join_next().await);
            })),
        ));
        let (go, wait) = mpsc::channel::<()>();
        let job = spawn_blocking(move || wait.recv().is_ok());
        bombs.push(("spawn_blocking", bomb(Box::pin(async move { drop(job.await) }))));

        for (leaf, task) in bombs {
            let err = task.await.expect_err(leaf);
            assert_eq!(panic_text(err), "waker clone panics", "{leaf}");
        }

        // Every object goes on serving tasks with good wakers: the failed
        // waiters left no waiter and no place in a line behind.
        gate.set();
        set_gate.set();
        go.send(()).unwrap();
        a.write_all(b"still here").await.unwrap();
        let mut buf = [0u8; 10];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still here");
        drop((a2, a, b));
        assert!(tx.send(7).is_err(), "the failed receiver is gone");
        let getter = {
            let q = empty.clone();
            spawn(async move { q.get().await })
        };
        yield_now().await;
        empty.put_nowait(5).unwrap();
        assert_eq!(getter.await.unwrap(), 5);
        assert_eq!(full.get().await, 1);
        full.task_done().unwrap();
        full.join().await;
        let waiter = {
            let e = event.clone();
            spawn(async move { e.wait().await })
        };
        yield_now().await;
        event.set();
        waiter.await.unwrap();
        assert_eq!(lock.waiters(), 0);
        let locker = {
            let l = lock.clone();
            spawn(async move { drop(l.acquire().await) })
        };
        yield_now().await;
        drop(held);
        locker.await.unwrap();
        assert_eq!(sem.waiters(), 0);
        let acquirer = {
            let s = sem.clone();
            spawn(async move { drop(s.acquire().await) })
        };
        yield_now().await;
        sem.add_permits(1);
        acquirer.await.unwrap();
        assert_eq!(sem.available_permits(), 1);
        let sender = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        sender.send_to(b"hi", udp.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(udp.recv_from(&mut buf).await.unwrap().0, 2);

        assert_eq!(calm.await.unwrap(), bystander_times(start));
    })
    .unwrap();
    assert_eq!(counts.clones.load(Ordering::Relaxed), 0);
    assert_eq!(rt.diagnostics().lost_wakeups, 0);
    assert_nothing_left(&mut rt);
    assert_eq!(rt.clock().now().since_origin(), ms(10), "the hour-long timer was left behind");
    drop(rt);
    // Waits for `spawn_blocking` workers to exit: after a runtime is
    // dropped they finish on their own, holding its notifier until then.
    assert_no_leaks(&fds);
}

/// `leaf` polled first with a waker whose clone panics, the panic caught
/// and counted in `caught`, then polled again with the task's own waker.
fn retried<F: Future>(leaf: F, caught: &Rc<Cell<usize>>) -> Faulty<F> {
    Faulty::new(leaf, CLONE, &Arc::default()).catching(caught)
}

#[test]
fn a_leaf_whose_poll_a_clone_panic_cut_short_works_with_the_next_waker() {
    quiet_panics();
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut rt = virtual_rt();
    let caught = Rc::new(Cell::new(0));
    let k = caught.clone();
    rt.block_on(async move {
        let start = now();
        // The panic unwinds through the leaf's own poll only (an `async`
        // block it unwound through could not be polled again).
        let trace = Rc::new(RefCell::new(Vec::new()));
        let record = |what: &'static str| {
            let t = trace.clone();
            move || t.borrow_mut().push((what, now()))
        };

        let (r, k1) = (record("sleep"), k.clone());
        let sleeper = spawn(async move {
            retried(sleep(ms(5)), &k1).await;
            r();
        });

        let joined = spawn(sleep(ms(7)));
        let (r, k2) = (record("join"), k.clone());
        let joiner = spawn(async move {
            retried(joined, &k2).await.unwrap();
            r();
        });

        let queue = Rc::new(Queue::<u8>::unbounded());
        let (q, r, k3) = (queue.clone(), record("get"), k.clone());
        let getter = spawn(async move {
            assert_eq!(retried(q.get(), &k3).await, 9);
            r();
        });

        let lock = Rc::new(Lock::new());
        let held = lock.try_acquire().unwrap();
        let (l, r, k4) = (lock.clone(), record("lock"), k.clone());
        let locker = spawn(async move {
            let _guard = retried(l.acquire(), &k4).await;
            r();
        });

        let (mut a, b) = tcp_pair().await;
        let (r, k5) = (record("read"), k.clone());
        let reader = spawn(async move {
            let mut b = b;
            let mut buf = [0u8; 4];
            retried(b.read_exact(&mut buf), &k5).await.unwrap();
            assert_eq!(&buf, b"data");
            r();
        });

        sleep(ms(10)).await;
        queue.put_nowait(9).unwrap();
        sleep(ms(1)).await;
        drop(held);
        sleep(ms(1)).await;
        a.write_all(b"data").await.unwrap();
        for task in [sleeper, joiner, getter, locker, reader] {
            task.await.unwrap();
        }
        let at = |n| start.saturating_add(ms(n));
        let trace = trace.borrow();
        assert_eq!(
            trace[..],
            [
                ("sleep", at(5)),
                ("join", at(7)),
                ("get", at(10)),
                ("lock", at(11)),
                ("read", at(12))
            ]
        );
    })
    .unwrap();
    // Each leaf's first poll met the faulty clone; the second, with the
    // task's own waker, registered it properly.
    assert_eq!(caught.get(), 5);
    assert_eq!(rt.diagnostics().lost_wakeups, 0);
    assert_nothing_left(&mut rt);
    drop(rt);
    // Waits for `spawn_blocking` workers to exit: after a runtime is
    // dropped they finish on their own, holding its notifier until then.
    assert_no_leaks(&fds);
}

#[test]
fn a_waker_whose_wake_panics_is_caught_and_the_rest_of_the_batch_is_woken() {
    quiet_panics();
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut rt = virtual_rt();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    let panics = rt
        .block_on(async move {
            let start = now();
            let calm = bystander();
            let faulty =
                |leaf: Pin<Box<dyn Future<Output = ()>>>| spawn(Faulty::new(leaf, WAKE, &c));
            let mut tasks = Vec::new();

            // Three timers due at the same instant, the middle one faulty:
            // the loop fires them in one batch.
            tasks.push(spawn(async { sleep(ms(3)).await }));
            tasks.push(faulty(Box::pin(async { sleep(ms(3)).await })));
            tasks.push(spawn(async { sleep(ms(3)).await }));

            // A task finishing wakes its faulty joiner.
            let joined = spawn(async { sleep(ms(4)).await });
            tasks.push(faulty(Box::pin(async move { joined.await.unwrap() })));

            // Readiness wakes a faulty reader.
            let (mut a, b) = tcp_pair().await;
            tasks.push(faulty(Box::pin(async move {
                let mut b = b;
                let mut buf = [0u8; 2];
                b.read_exact(&mut buf).await.unwrap();
            })));

            // An event wakes a faulty waiter between two good ones.
            let event = Rc::new(Event::new());
            for i in 0..3 {
                let e = event.clone();
                let waiting = Box::pin(async move { e.wait().await });
                tasks.push(if i == 1 { faulty(waiting) } else { spawn(waiting) });
            }

            // A oneshot send, a queue put and a lock release wake faulty
            // waiters from inside a task.
            let (tx, rx) = oneshot::<u8>();
            tasks.push(faulty(Box::pin(async move { assert_eq!(rx.await.unwrap(), 1) })));
            let queue = Rc::new(Queue::<u8>::unbounded());
            let q = queue.clone();
            tasks.push(faulty(Box::pin(async move { assert_eq!(q.get().await, 2) })));
            let lock = Rc::new(Lock::new());
            let held = lock.try_acquire().unwrap();
            let l = lock.clone();
            tasks.push(faulty(Box::pin(async move { drop(l.acquire().await) })));

            // A job ending on a worker thread wakes a faulty awaiter there.
            let (go, wait) = mpsc::channel::<()>();
            let job = spawn_blocking(move || wait.recv().is_ok());
            tasks.push(faulty(Box::pin(async move { assert!(job.await.unwrap()) })));

            yield_now().await;
            a.write_all(b"ok").await.unwrap();
            event.set();
            tx.send(1).unwrap();
            queue.put_nowait(2).unwrap();
            drop(held);
            go.send(()).unwrap();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(calm.await.unwrap(), bystander_times(start));
            drop(a);
        })
        .map(|()| counts.wakes.load(Ordering::Relaxed));
    // Each of the eight faulty waiters was woken, and panicked; all but
    // the one woken on the worker thread panicked on the runtime's.
    let panics = panics.unwrap();
    assert!(panics >= 8, "only {panics} wakes");
    assert_eq!(rt.diagnostics().waker_panics, panics as u64 - 1);
    assert_nothing_left(&mut rt);
    drop(rt);
    // Waits for `spawn_blocking` workers to exit: after a runtime is
    // dropped they finish on their own, holding its notifier until then.
    assert_no_leaks(&fds);
}

#[test]
fn a_waker_whose_drop_panics_is_caught_wherever_simul_drops_it() {
    quiet_panics();
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut rt = virtual_rt();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    rt.block_on(async move {
        let start = now();
        let calm = bystander();
        let faulty = |leaf: Pin<Box<dyn Future<Output = ()>>>| spawn(Faulty::new(leaf, DROP, &c));

        // A timer that fires: the waker is consumed by its wake.
        let fired = faulty(Box::pin(async { sleep(ms(2)).await }));

        // A sleep reset twice while registered (its timer moves and keeps
        // the waker), then dropped while registered: the timer's waker is
        // dropped.
        let reset = faulty(Box::pin(async {
            let mut s = Box::pin(sleep(ms(50)));
            assert!(futures_poll_once(s.as_mut()).await.is_pending());
            s.as_mut().reset(now().saturating_add(ms(3)));
            assert!(futures_poll_once(s.as_mut()).await.is_pending());
            s.as_mut().reset(now().saturating_add(ms(60)));
            assert!(futures_poll_once(s.as_mut()).await.is_pending());
            drop(s);
            sleep(ms(1)).await;
        }));

        // A socket dropped with a faulty reader registered, from another
        // task that aborts the reader.
        let (a, b) = tcp_pair().await;
        let reader = faulty(Box::pin(async move {
            let mut b = b;
            let _ = b.read(&mut [0u8; 4]).await;
        }));
        // An event waiter and a queue getter aborted while they wait.
        let event = Rc::new(Event::new());
        let e = event.clone();
        let waiter = faulty(Box::pin(async move { e.wait().await }));
        let queue = Rc::new(Queue::<u8>::unbounded());
        let q = queue.clone();
        let getter = faulty(Box::pin(async move {
            let _ = q.get().await;
        }));

        sleep(ms(5)).await;
        fired.await.unwrap();
        reset.await.unwrap();
        for task in [reader, waiter, getter] {
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
        }
        event.set();
        queue.put_nowait(1).unwrap();
        assert_eq!(queue.get().await, 1);
        drop(a);
        assert_eq!(calm.await.unwrap(), bystander_times(start));
    })
    .unwrap();
    let made = counts.clones.load(Ordering::Relaxed);
    // The fired sleep, the reset one, its task's next sleep, the reader,
    // the waiter and the getter.
    assert!(made >= 6, "only {made} clones");
    assert_eq!(counts.drops.load(Ordering::Relaxed), made, "a clone leaked");
    assert_eq!(rt.diagnostics().waker_panics, made as u64);
    assert_nothing_left(&mut rt);

    // Dropping the runtime with a faulty waiter still registered.
    let c = counts.clone();
    let left = rt.spawn(Faulty::new(sleep(Duration::from_secs(60)), DROP, &c));
    rt.block_on(yield_now()).unwrap();
    drop(left);
    drop(rt);
    assert_eq!(counts.drops.load(Ordering::Relaxed), counts.clones.load(Ordering::Relaxed));
    // Waits for `spawn_blocking` workers to exit: after a runtime is
    // dropped they finish on their own, holding its notifier until then.
    assert_no_leaks(&fds);
}

/// Polls `f` once and returns what it said, without waiting.
async fn futures_poll_once<F: Future + Unpin>(mut f: F) -> Poll<F::Output> {
    std::future::poll_fn(move |cx| Poll::Ready(Pin::new(&mut f).poll(cx))).await
}

#[test]
fn a_panicking_wake_from_another_thread_reaches_no_runtime() {
    // The waker a task hands to another thread may be a faulty one; the
    // panic is that thread's, and the runtime is not disturbed.
    quiet_panics();
    let _serial = serial();
    let mut rt = virtual_rt();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    rt.block_on(async move {
        let (tx, rx) = mpsc::channel::<Waker>();
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        struct Handoff(Option<mpsc::Sender<Waker>>, Arc<AtomicUsize>);
        impl Future for Handoff {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                if self.1.load(Ordering::Acquire) > 0 {
                    return Poll::Ready(());
                }
                if let Some(tx) = self.0.take() {
                    tx.send(cx.waker().clone()).unwrap();
                }
                Poll::Pending
            }
        }
        let task = spawn(Faulty::new(Handoff(Some(tx), d), WAKE, &c));
        yield_now().await;
        let waker = rx.recv().unwrap();
        let thread = std::thread::spawn(move || {
            done.store(1, Ordering::Release);
            let r = catch_unwind(AssertUnwindSafe(|| waker.wake()));
            assert!(r.is_err(), "the faulty wake did not panic");
        });
        task.await.unwrap();
        thread.join().unwrap();
    })
    .unwrap();
    assert_eq!(rt.diagnostics().waker_panics, 0);
}
