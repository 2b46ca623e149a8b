//! Reliability item 3 for the callback loop: saturating it with
//! `call_soon_threadsafe`. Millions of calls from four threads with no wait
//! of the loop in between, either while one callback keeps the loop busy
//! or while no run is in progress at all; then later calls from another
//! thread must still wake the loop where it sleeps in its reactor.
//!
//! Checked, in each of 4 rounds (the even ones burst during a callback,
//! the odd ones between runs):
//!
//! * every call runs exactly once, on the loop's thread, each thread's in
//!   the order it made them;
//! * they all run in the one iteration after the burst: a `call_soon` made
//!   by the first of them runs only after the last (the wake-ups coalesced
//!   into one, and the loop took the whole mailbox at once);
//! * the heap returns to its size before the burst, within 1 MiB, once the
//!   calls have run: neither the mailbox nor the loop's queues keep the
//!   burst's memory (measured with a counting allocator, so this file has
//!   one test function);
//! * two later calls and then `LoopHandle::stop`, each made by another
//!   thread once the loop's thread is seen asleep (`/proc`'s task state;
//!   best effort), each wake the loop: the run ends by the `stop`, not by
//!   the watchdog timer that would mean a lost wake.
//!
//! CI size: 200,000 calls per burst. `SIMUL_FULL=1`: 10,000,000 (run it
//! with `--release`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use simul_callback::{EventLoop, LoopHandle};
use simul_testkit::alloc::{Counting, live};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

#[global_allocator]
static GLOBAL: Counting = Counting;

const THREADS: usize = 4;

/// Calls per burst.
fn burst() -> u32 {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000_000 } else { 200_000 }
}

/// What the calls of one burst record, on the loop's thread only.
#[derive(Default)]
struct Tally {
    /// Calls run.
    ran: u64,
    /// The sequence number each thread's next call must carry.
    next: [u32; THREADS],
    /// Calls that arrived out of their thread's order.
    out_of_order: u64,
    /// How many had run when the `call_soon` made by the first one ran.
    ran_before_follow_up: Option<u64>,
}

thread_local! {
    /// Set on the loop's thread for the length of a round: a call that ran
    /// anywhere else finds nothing here.
    static TALLY: RefCell<Option<Tally>> = const { RefCell::new(None) };
}

/// Calls that ran on a thread other than the loop's.
static FOREIGN: AtomicUsize = AtomicUsize::new(0);

/// Call number `seq` of thread `thread`.
fn count(lp: &mut EventLoop, thread: u8, seq: u32) {
    let first = TALLY.with_borrow_mut(|tally| {
        let Some(tally) = tally else {
            FOREIGN.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        tally.ran += 1;
        let next = &mut tally.next[usize::from(thread)];
        if *next != seq {
            tally.out_of_order += 1;
        }
        *next = seq.wrapping_add(1);
        tally.ran == 1
    });
    if first {
        lp.call_soon(|_| {
            TALLY.with_borrow_mut(|t| {
                if let Some(t) = t {
                    t.ran_before_follow_up = Some(t.ran);
                }
            });
        });
    }
}

/// Four threads make `calls` calls between them, as fast as they can.
fn saturate(handle: &LoopHandle, calls: u32) {
    let per_thread = calls / THREADS as u32;
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let h = handle.clone();
            thread::spawn(move || {
                let thread = t as u8;
                for seq in 0..per_thread {
                    h.call_soon_threadsafe(move |lp| count(lp, thread, seq)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// The loop's thread's id in /proc (Linux).
fn this_task() -> String {
    let link = std::fs::read_link("/proc/thread-self").unwrap();
    link.file_name().unwrap().to_string_lossy().into_owned()
}

/// Waits, up to about 5 s, until task `tid` of this process is asleep
/// (state `S`): the loop blocked in its reactor. Best effort: on a busy
/// machine the call is made anyway after that.
fn wait_until_asleep(tid: &str) {
    let path = format!("/proc/self/task/{tid}/stat");
    for _ in 0..5_000 {
        let stat = std::fs::read_to_string(&path).unwrap_or_default();
        // The state follows the command name, which is in parentheses.
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
        if state == Some('S') {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// One round: a burst of `calls`, run; then two late calls and a stop from
/// another thread, each once the loop sleeps. Returns the burst's tally.
fn round(lp: &mut EventLoop, calls: u32, during_a_callback: bool) -> Tally {
    TALLY.set(Some(Tally::default()));
    let handle = lp.handle();
    if during_a_callback {
        // The callback keeps the loop from waiting until the burst is over.
        let h = handle.clone();
        lp.call_soon(move |_| saturate(&h, calls));
    } else {
        // No run in progress: nobody takes the calls until it starts.
        saturate(&handle, calls);
    }
    // Only a lost wake leaves the loop asleep this long (the burst's calls
    // or a later one queued, nothing taking them).
    let slept = Rc::new(Cell::new(false));
    let s = slept.clone();
    let watchdog = lp.call_later(Duration::from_secs(60), move |lp| {
        s.set(true);
        lp.stop();
    });
    let s = slept.clone();
    lp.run_until(move |_| {
        TALLY.with_borrow(|t| t.as_ref().is_some_and(|t| t.ran_before_follow_up.is_some()))
            || s.get()
    })
    .unwrap();
    assert!(!slept.get(), "the loop slept 60 s with the burst's calls queued: a lost wake");
    let tally = TALLY.take().unwrap();

    // Later calls: each must wake the loop asleep in its reactor.
    let late_ran = Arc::new(AtomicU32::new(0));
    let tid = this_task();
    let late = {
        let late_ran = late_ran.clone();
        thread::spawn(move || {
            for i in 0..2 {
                wait_until_asleep(&tid);
                let r = late_ran.clone();
                handle
                    .call_soon_threadsafe(move |_| {
                        r.fetch_add(1, Ordering::AcqRel);
                    })
                    .unwrap();
                while late_ran.load(Ordering::Acquire) == i {
                    thread::sleep(Duration::from_millis(1));
                }
            }
            wait_until_asleep(&tid);
            handle.stop().unwrap();
        })
    };
    lp.run_forever().unwrap();
    assert!(!slept.get(), "the loop slept 60 s through a later call: a lost wake");
    watchdog.cancel(lp);
    late.join().unwrap();
    assert_eq!(late_ran.load(Ordering::Acquire), 2, "both later calls ran before the stop");
    tally
}

#[test]
fn millions_of_threadsafe_calls_without_a_wait_run_once_free_their_memory_and_later_calls_still_wake()
 {
    let calls = burst();
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    // Warm up: whatever the loop, the threads and /proc allocate once.
    round(&mut lp, 1_000, true);
    round(&mut lp, 1_000, false);
    let baseline = live();
    for r in 0..4 {
        let during_a_callback = r % 2 == 0;
        let tally = round(&mut lp, calls, during_a_callback);
        let what = if during_a_callback { "during a callback" } else { "between runs" };
        assert_eq!(FOREIGN.load(Ordering::Relaxed), 0, "a call ran off the loop's thread");
        assert_eq!(tally.ran, u64::from(calls), "round {r} ({what}): calls lost or run twice");
        assert_eq!(tally.out_of_order, 0, "round {r} ({what}): a thread's calls out of order");
        assert_eq!(tally.next, [calls / THREADS as u32; THREADS], "round {r} ({what})");
        assert_eq!(
            tally.ran_before_follow_up,
            Some(u64::from(calls)),
            "round {r} ({what}): the burst was not run in one iteration"
        );
        let grown = live() - baseline;
        println!("round {r} ({what}): {calls} calls ran; heap {grown:+} bytes");
        assert!(
            grown < 1 << 20,
            "round {r} ({what}): {grown} bytes still held after {calls} calls ran"
        );
    }
    drop(lp);
    // The loop's descriptors are closed.
    assert_no_leaks(&fds);
}
