//! Reliability item 2 for green threads: unparks that arrive while the
//! green thread runs, from the thread itself and from another OS thread.
//! (A green thread's "poll" is its run between two parks; its waker is
//! its [`Unparker`].)
//!
//! - An unpark never runs anything inline: a witness green thread, always
//!   ready, does not run during the `unpark` call, nor during a `park`
//!   that a token is waiting for (then `park` returns at once, without a
//!   switch). If a token were lost, the witness would find the unit
//!   inside `park`, record it and unpark it, so the test fails instead of
//!   hanging.
//! - The unit never runs twice at once: it holds a flag for the length of
//!   its run, which the unparking OS thread finds set at every unpark.
//! - Exactly one more run per unpark, however many came in one run
//!   (coalesced, std's one-token rule): every `park` returns at once, and
//!   once every unparker is gone the next `park` is a deadlock, so no
//!   token was left over.
//! - Unparking a running thread leaves nothing behind in the hub: the
//!   heap allocated on the hub's OS thread does not grow over the run
//!   (it grew by a queue entry per unpark, 8 MB at full size, until the
//!   hub next blocked: fixed).
//!
//! CI size: 20,000 unparks each way. `SIMUL_FULL=1`: 1,000,000 (run it
//! with `--release`).

use std::cell::Cell;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use simul_green::{Error, Hub, JoinHandle, Unparker};
use simul_reactor::Interest;
use simul_testkit::alloc::{PerThread, live_here};

fn unparks() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 1_000_000 } else { 20_000 }
}

#[global_allocator]
static GLOBAL: PerThread = PerThread;

/// A green thread that is always ready and counts its runs. Should it run
/// while the unit is inside a `park` that had a token waiting (`in_park`),
/// the token was lost: it records that and unparks the unit, which then
/// fails its check rather than park forever.
fn witness(
    runs: Rc<Cell<u64>>,
    in_park: Rc<Cell<bool>>,
    lost: Rc<Cell<bool>>,
    stop: Rc<Cell<bool>>,
    unit: Unparker,
) -> JoinHandle<()> {
    simul_green::spawn(move || {
        while !stop.get() {
            runs.set(runs.get() + 1);
            if in_park.get() {
                lost.set(true);
                unit.unpark().unwrap();
            }
            simul_green::yield_now().unwrap();
        }
    })
    .unwrap()
}

/// The unit (main) unparks itself in every run, in three ways, twice per
/// run, then parks. Between its two unparks it sometimes yields, so the
/// hub runs others while the token waits.
#[test]
fn a_thread_unparking_itself_runs_once_more_per_run_and_never_inline() {
    let n = unparks();
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let me = simul_green::unparker().unwrap();
        let (runs, in_park, lost, stop) = Default::default();
        let w = witness(
            Rc::clone(&runs),
            Rc::clone(&in_park),
            Rc::clone(&lost),
            Rc::clone(&stop),
            me.clone(),
        );
        simul_green::yield_now().unwrap(); // the witness has started
        let mut heap = None;
        let mut returns = 0u64;
        for i in 0..n {
            if i == 100 {
                heap = Some(live_here()); // after warm-up
            }
            let before = runs.get();
            match i % 3 {
                0 => {
                    me.unpark().unwrap();
                    me.unpark().unwrap();
                    assert_eq!(runs.get(), before, "unpark ran another thread inline");
                }
                1 => {
                    let by_value = me.clone();
                    by_value.unpark().unwrap();
                    drop(by_value);
                    me.unpark().unwrap();
                    assert_eq!(runs.get(), before, "unpark ran another thread inline");
                }
                _ => {
                    me.unpark().unwrap();
                    simul_green::yield_now().unwrap(); // the witness runs
                    assert_eq!(runs.get(), before + 1);
                    me.unpark().unwrap();
                }
            }
            let before = runs.get();
            in_park.set(true);
            simul_green::park().unwrap();
            in_park.set(false);
            assert!(!lost.get(), "run {i}: an unpark made during the run was lost");
            assert_eq!(runs.get(), before, "run {i}: park switched although a token waited");
            returns += 1;
        }
        let grown = live_here() - heap.unwrap();
        assert!(
            grown < 16 * 1024,
            "{grown} bytes left in the hub by {n} unparks of a running thread"
        );
        assert_eq!(returns, n);
        stop.set(true);
        w.join().unwrap();
        drop(me);
        // One token per run, taken by its park: none is left for this one.
        assert!(matches!(simul_green::park(), Err(Error::Deadlock(_))), "a token was left over");
    })
    .unwrap();
}

/// In every run the unit asks an OS thread to unpark it and waits (on the
/// hub's own OS thread: nothing else runs) until the unpark has been made.
/// Then it parks at once, or yields first, or first waits for a descriptor
/// that is always ready, which makes the hub poll and drain the
/// cross-thread queue while the unit waits for something else: that drain
/// must neither lose the token nor spend it on the wrong wait.
#[test]
fn an_unpark_from_another_thread_during_the_run_gives_exactly_one_more_run() {
    let n = unparks();
    let hub = Hub::new().unwrap();
    let (ask, asked) = mpsc::channel::<u64>();
    let made = Arc::new(AtomicU64::new(0));
    let in_run = Arc::new(AtomicBool::new(true));
    let helper_done = Arc::new(AtomicBool::new(false));
    let (hand, handed) = mpsc::channel::<Unparker>();
    let helper = {
        let (made, in_run, done) = (made.clone(), in_run.clone(), helper_done.clone());
        std::thread::spawn(move || {
            let unit = handed.recv().unwrap();
            for i in asked {
                assert!(in_run.load(Ordering::SeqCst), "unpark {i} found the unit not running");
                match i % 4 {
                    0 => unit.unpark().unwrap(),
                    1 => {
                        // Two during one run: still one more run.
                        unit.unpark().unwrap();
                        unit.unpark().unwrap();
                    }
                    2 => unit.clone().unpark().unwrap(),
                    _ => {
                        drop(unit.clone());
                        unit.unpark().unwrap();
                    }
                }
                assert!(in_run.load(Ordering::SeqCst), "the unit stopped during unpark {i}");
                made.fetch_add(1, Ordering::Release);
            }
            // The channel is closed: the last unparker goes.
            drop(unit);
            done.store(true, Ordering::Release);
        })
    };
    let returns = hub
        .run(move || {
            let me = simul_green::unparker().unwrap();
            let (runs, in_park, lost, stop) = Default::default();
            let w = witness(
                Rc::clone(&runs),
                Rc::clone(&in_park),
                Rc::clone(&lost),
                Rc::clone(&stop),
                me.clone(),
            );
            hand.send(me).unwrap();
            let (mut always, ready) = UnixStream::pair().unwrap();
            always.write_all(b"x").unwrap(); // never read: always readable
            let mut returns = 0u64;
            for i in 0..n {
                ask.send(i).unwrap();
                while made.load(Ordering::Acquire) == i {
                    std::thread::yield_now(); // let the helper run on a busy machine
                }
                match i % 3 {
                    0 => {}
                    1 => simul_green::yield_now().unwrap(),
                    _ => simul_green::wait_fd(ready.as_raw_fd(), Interest::READABLE).unwrap(),
                }
                let before = runs.get();
                in_run.store(false, Ordering::SeqCst);
                in_park.set(true);
                simul_green::park().unwrap();
                in_park.set(false);
                in_run.store(true, Ordering::SeqCst);
                assert!(!lost.get(), "run {i}: the unpark made during the run was lost");
                assert_eq!(runs.get(), before, "run {i}: park switched although a token waited");
                returns += 1;
            }
            stop.set(true);
            w.join().unwrap();
            drop(ask); // the helper ends, dropping the last unparker
            while !helper_done.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            let last = simul_green::park();
            assert!(matches!(last, Err(Error::Deadlock(_))), "a token was left over: {last:?}");
            returns
        })
        .unwrap();
    helper.join().unwrap();
    assert_eq!(returns, n, "one run per unpark");
}
