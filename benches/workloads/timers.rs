//! `timers`: n sleepers at once, each with its own deadline, on the
//! virtual clock (so the figure is the CPU a timer costs, not time spent
//! waiting).
//!
//! Each sleeper sleeps one of n delays spread over 0..10 s and then adds
//! its delay to the checksum ([`super::dispatch::work`]). One operation is
//! one timer armed, ordered among the others, fired, and its unit resumed:
//!
//! * floor: a `BinaryHeap` of `(deadline, seq)` beside boxed closures;
//! * callback: `call_later` closures;
//! * coro: tasks yielding `Trap::Sleep`;
//! * future: the hand-written [`Sleeper`] (a `Sleep` leaf, then the work);
//! * async: `async { sleep(d).await; work(d) }`;
//! * green: green threads calling `simul_green::sleep` (at most
//!   [`super::GREEN_MAX_CONCURRENT`] at once: see there);
//! * tokio: `tokio::time::sleep` on a paused clock (`start_paused`), which
//!   jumps to the next timer when nothing is ready, as simul's virtual
//!   clock does.
//!
//! The main unit of each style sleeps past the last deadline, so the run
//! ends when every sleeper has fired.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_coro::{CoroutineState, Reply, Scheduler, Trap};

use super::dispatch::{summed, work};

/// The delays span this many milliseconds.
pub const RANGE_MS: u64 = 10_000;

/// Longer than every delay: what the main unit sleeps.
const PAST_LAST: Duration = Duration::from_millis(RANGE_MS + 1);

/// The delays of size `n`, in milliseconds.
pub fn delays(n: u64) -> Vec<u64> {
    super::spread(n, RANGE_MS)
}

/// The checksum every style must return: the delays' sum.
pub fn expected(delays: &[u64]) -> u64 {
    delays.iter().sum()
}

/// Floor: a heap of deadlines and the closures they fire.
pub fn floor(delays: &[u64]) -> u64 {
    summed(|| {
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
        let mut fns: Vec<Option<Box<dyn FnOnce()>>> = Vec::with_capacity(delays.len());
        for (seq, &d) in delays.iter().enumerate() {
            heap.push(Reverse((d, seq)));
            fns.push(Some(Box::new(move || work(d))));
        }
        while let Some(Reverse((_, seq))) = heap.pop() {
            if let Some(f) = fns[seq].take() {
                f();
            }
        }
    })
}

/// Callback: one `call_later` per sleeper and one that stops the loop.
pub fn callback(lp: &mut simul_callback::EventLoop, delays: &[u64]) -> u64 {
    summed(|| {
        for &d in delays {
            let _ = lp.call_later(Duration::from_millis(d), move |_| work(d));
        }
        let _ = lp.call_later(PAST_LAST, |lp| lp.stop());
        lp.run_forever().expect("callback loop");
    })
}

/// Coro: one task per sleeper: `Sleep(d)`, then the work.
pub fn coro(s: &mut Scheduler<()>, delays: &[u64]) -> u64 {
    summed(|| {
        for &d in delays {
            let mut slept = false;
            s.spawn(simul_coro::from_fn(move |_: Reply<()>| {
                if slept {
                    work(d);
                    return Ok(CoroutineState::Complete(()));
                }
                slept = true;
                Ok(CoroutineState::Yielded(Trap::Sleep(Duration::from_millis(d))))
            }));
        }
        s.run_all().expect("coro scheduler");
    })
}

/// The hand-written sleeper: `async { sleep(d).await; work(d) }`.
///
/// ```text
///   [Sleeping(sleep)] --sleep Pending--> Pending
///         | sleep Ready
///         v
///   work(d), Ready(())
/// ```
pub struct Sleeper {
    sleep: simul_future::Sleep,
    delay: u64,
}

impl Future for Sleeper {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `Sleep` is `Unpin`, so the projection is a plain borrow.
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        work(self.delay);
        Poll::Ready(())
    }
}

/// Future: one [`Sleeper`] task per sleeper.
pub fn future(rt: &mut simul_future::Runtime, delays: &[u64]) -> u64 {
    summed(|| {
        rt.block_on(async {
            for &d in delays {
                let sleep = simul_future::sleep(Duration::from_millis(d));
                drop(simul_future::spawn(Sleeper { sleep, delay: d }));
            }
            simul_future::sleep(PAST_LAST).await;
        })
        .expect("future runtime");
    })
}

/// Async: one `async` block per sleeper.
pub fn async_(rt: &mut simul_future::Runtime, delays: &[u64]) -> u64 {
    summed(|| {
        rt.block_on(async {
            for &d in delays {
                drop(simul_future::spawn(async move {
                    simul_future::sleep(Duration::from_millis(d)).await;
                    work(d);
                }));
            }
            simul_future::sleep(PAST_LAST).await;
        })
        .expect("future runtime");
    })
}

/// Green: one green thread per sleeper.
pub fn green(hub: &simul_green::Hub, delays: &[u64]) -> u64 {
    summed(|| {
        hub.run(|| {
            for &d in delays {
                let h = simul_green::spawn(move || {
                    simul_green::sleep(Duration::from_millis(d)).expect("sleep");
                    work(d);
                });
                drop(h.expect("green spawn"));
            }
            simul_green::sleep(PAST_LAST).expect("sleep");
        })
        .expect("green hub");
    })
}

/// Tokio: one task per sleeper, on a runtime built by
/// [`super::tokio_paused_runtime`].
pub fn tokio(rt: &tokio::runtime::Runtime, delays: &[u64]) -> u64 {
    summed(|| {
        rt.block_on(async {
            for &d in delays {
                drop(tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(d)).await;
                    work(d);
                }));
            }
            tokio::time::sleep(PAST_LAST).await;
        })
    })
}
