//! Reliability item 2 for the callback loop: calls made with
//! `call_soon_threadsafe` while a callback is running, from that callback
//! itself and from another thread.
//!
//! The unit is a chain of links: each link, while it runs, has the next
//! link posted with `call_soon_threadsafe` (by itself, or by a helper
//! thread it waits for), so each run is re-run by exactly one wake. Every
//! link checks, with asserts whose panics the loop's exception handler
//! collects:
//!
//! * it runs on the loop's thread, while no other link is running (a flag
//!   held for each run catches a call run inline or concurrently);
//! * it is the link the chain expects: each post runs exactly once, in
//!   order, and the post had not run when `call_soon_threadsafe` returned
//!   (and, from the other thread, not while the posting link still ran);
//! * it runs in the next iteration or later, never in the one that posted
//!   it: before posting, the link schedules a marker with `call_soon`,
//!   which runs at the start of the next iteration; the posted link must
//!   find that marker already run.
//!
//! Between links the loop has nothing ready and no timer due, so it blocks
//! in its reactor and only the post's wake lets it go on; a lost wake is
//! caught by a watchdog timer instead of hanging the test.
//!
//! CI size: 20,000 links per test. `SIMUL_FULL=1`: 1,000,000 (run it with
//! `--release`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, ThreadId};
use std::time::Duration;

use simul_callback::{EventLoop, LoopHandle};

fn links() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 1_000_000 } else { 20_000 }
}

/// Who posts the next link.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Poster {
    /// The running link, with its own `LoopHandle`.
    Itself,
    /// A helper thread, asked by the running link and waited for.
    OtherThread,
}

/// What the links, the markers and the helper thread share.
struct Chain {
    /// The loop's thread.
    loop_thread: ThreadId,
    /// How many links in all.
    links: u64,
    /// Who posts.
    poster: Poster,
    /// The handle links post with (itself) or the helper posts with.
    handle: LoopHandle,
    /// Set for the length of each link's run.
    running: AtomicBool,
    /// Links run so far.
    runs: AtomicU64,
    /// One more than the number of the link whose marker ran last.
    marker: AtomicU64,
    /// One more than the number of the link the helper is asked to post.
    request: AtomicU64,
    /// One more than the number of the link the helper has posted (its
    /// `call_soon_threadsafe` has returned).
    posted: AtomicU64,
    /// Set when the run is over, so that the helper stops waiting for a
    /// request that will not come (after a failed check).
    over: AtomicBool,
}

/// Spins until `done`, yielding to the other threads after a short while
/// (the machine may have fewer cores than runnable threads).
fn wait_until(done: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !done() {
        if spins < 64 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            thread::yield_now();
        }
    }
}

/// Link `k` of the chain.
fn link(lp: &mut EventLoop, chain: Arc<Chain>, k: u64) {
    assert_eq!(thread::current().id(), chain.loop_thread, "link {k} ran off the loop's thread");
    assert!(!chain.running.swap(true, Ordering::AcqRel), "link {k} ran while another link ran");
    assert_eq!(chain.runs.fetch_add(1, Ordering::AcqRel), k, "link {k} ran twice or out of turn");
    if k > 0 {
        // The previous link's marker was queued before link `k` was posted;
        // it runs first in the next iteration.
        assert_eq!(
            chain.marker.load(Ordering::Acquire),
            k,
            "link {k} ran in the iteration that posted it"
        );
    }
    let next = k + 1;
    if next == chain.links {
        lp.stop();
    } else {
        let m = chain.clone();
        lp.call_soon(move |_| m.marker.store(next, Ordering::Release));
        match chain.poster {
            Poster::Itself => {
                let c = chain.clone();
                chain.handle.call_soon_threadsafe(move |lp| link(lp, c, next)).unwrap();
            }
            Poster::OtherThread => {
                chain.request.store(next + 1, Ordering::Release);
                wait_until(|| chain.posted.load(Ordering::Acquire) == next + 1);
            }
        }
        // Posted, and we are still running: it must not have run.
        assert_eq!(chain.runs.load(Ordering::Acquire), next, "link {next} ran inline");
    }
    chain.running.store(false, Ordering::Release);
}

/// Runs a chain of `links()` links posted by `poster`; returns how many ran.
fn run_chain(poster: Poster) -> u64 {
    let mut lp = EventLoop::new().unwrap();
    let faults = Rc::new(RefCell::new(Vec::<String>::new()));
    let f = faults.clone();
    lp.set_exception_handler(move |lp, ctx| {
        f.borrow_mut().push(ctx.panic_message().unwrap_or(&ctx.message).to_string());
        lp.stop();
    });
    let chain = Arc::new(Chain {
        loop_thread: thread::current().id(),
        links: links(),
        poster,
        handle: lp.handle(),
        running: AtomicBool::new(false),
        runs: AtomicU64::new(0),
        marker: AtomicU64::new(0),
        request: AtomicU64::new(0),
        posted: AtomicU64::new(0),
        over: AtomicBool::new(false),
    });
    let helper = (poster == Poster::OtherThread).then(|| {
        let chain = chain.clone();
        thread::spawn(move || {
            let mut last = 0;
            // Link numbers 1..links are posted here; the request is one more.
            while last < chain.links {
                wait_until(|| {
                    chain.request.load(Ordering::Acquire) > last
                        || chain.over.load(Ordering::Acquire)
                });
                if chain.over.load(Ordering::Acquire) {
                    return;
                }
                let r = chain.request.load(Ordering::Acquire);
                let (c, k) = (chain.clone(), r - 1);
                chain.handle.call_soon_threadsafe(move |lp| link(lp, c, k)).unwrap();
                chain.posted.store(r, Ordering::Release);
                last = r;
            }
        })
    });
    let c = chain.clone();
    lp.call_soon(move |lp| link(lp, c, 0));
    // Between links the loop waits for the post's wake; only a lost wake
    // leaves it asleep this long.
    let slept = Rc::new(RefCell::new(false));
    let s = slept.clone();
    let watchdog = lp.call_later(Duration::from_secs(120), move |lp| {
        *s.borrow_mut() = true;
        lp.stop();
    });
    lp.run_forever().unwrap();
    chain.over.store(true, Ordering::Release);
    assert!(faults.borrow().is_empty(), "{:?}", faults.borrow().first());
    assert!(!*slept.borrow(), "the loop slept 120 s with a link posted: a lost wake");
    watchdog.cancel(&mut lp);
    if let Some(h) = helper {
        h.join().unwrap();
    }
    chain.runs.load(Ordering::Acquire)
}

#[test]
fn a_call_posted_by_the_running_callback_runs_once_in_a_later_iteration_never_inline() {
    assert_eq!(run_chain(Poster::Itself), links());
}

#[test]
fn a_call_posted_from_another_thread_during_a_callback_runs_once_after_it_in_a_later_iteration() {
    assert_eq!(run_chain(Poster::OtherThread), links());
}
