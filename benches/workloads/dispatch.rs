//! `dispatch`: N units of work, each scheduled once and run.
//!
//! The unit is the smallest thing each style can schedule: a callback, a
//! coroutine task, a future task (a hand-written one, or an `async`
//! block), a green thread, a tokio task; the floor is a boxed closure on
//! a `VecDeque`, drained. Every unit does the same work, [`work`], so the
//! figures differ only by what scheduling one unit costs: an allocation
//! and a queue push/pop everywhere, plus a task header and a waker for
//! futures, a stack (from a pool) and two switches for green threads.
//!
//! The checksum is the sum of `0..n`, added up by the units themselves.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_coro::{CoroutineState, Reply, Scheduler};

thread_local! {
    /// What every unit adds to: the same body in every style.
    static SUM: Cell<u64> = const { Cell::new(0) };
}

/// The body of one unit: adds `i` to the thread's sum.
#[inline(never)]
pub fn work(i: u64) {
    SUM.with(|s| s.set(s.get().wrapping_add(black_box(i))));
}

/// Runs `f`, returning what the units added to the sum meanwhile.
pub fn summed(f: impl FnOnce()) -> u64 {
    let before = SUM.with(Cell::get);
    f();
    SUM.with(Cell::get).wrapping_sub(before)
}

/// The checksum every style must return for size `n`.
pub fn expected(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Floor: boxed closures pushed on a `VecDeque` and drained.
pub fn floor(n: u64) -> u64 {
    summed(|| {
        let mut q: std::collections::VecDeque<Box<dyn FnOnce()>> = Default::default();
        for i in 0..n {
            q.push_back(Box::new(move || work(i)));
        }
        while let Some(f) = q.pop_front() {
            f();
        }
    })
}

/// Callback: `call_soon` n times, then one pass of the loop runs them.
pub fn callback(lp: &mut simul_callback::EventLoop, n: u64) -> u64 {
    summed(|| {
        for i in 0..n {
            let _ = lp.call_soon(move |_| work(i));
        }
        lp.stop();
        lp.run_forever().expect("callback loop");
    })
}

/// Coro: n coroutines spawned from the host, each completing on its
/// first resume.
pub fn coro(s: &mut Scheduler<()>, n: u64) -> u64 {
    summed(|| {
        for i in 0..n {
            s.spawn(simul_coro::from_fn(move |_: Reply<()>| {
                work(i);
                Ok(CoroutineState::Complete(()))
            }));
        }
        s.run_all().expect("coro scheduler");
    })
}

/// A unit as a hand-written future: ready on its first poll.
pub struct Unit(pub u64);

impl Future for Unit {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        work(self.0);
        Poll::Ready(())
    }
}

/// Future: n hand-written [`Unit`] tasks; the main future awaits the
/// last handle (the queue is FIFO, so all have run by then).
pub fn future(rt: &mut simul_future::Runtime, n: u64) -> u64 {
    summed(|| {
        rt.block_on(async {
            let mut last = None;
            for i in 0..n {
                last = Some(simul_future::spawn(Unit(i)));
            }
            if let Some(h) = last {
                h.await.expect("last unit");
            }
        })
        .expect("future runtime");
    })
}

/// Async: n `async` blocks, otherwise as [`future`].
pub fn async_(rt: &mut simul_future::Runtime, n: u64) -> u64 {
    summed(|| {
        rt.block_on(async {
            let mut last = None;
            for i in 0..n {
                last = Some(simul_future::spawn(async move { work(i) }));
            }
            if let Some(h) = last {
                h.await.expect("last unit");
            }
        })
        .expect("future runtime");
    })
}

/// Green: n green threads; main joins the last (FIFO, as above). Each
/// takes a pooled stack when it first runs and gives it back at its end.
pub fn green(hub: &simul_green::Hub, n: u64) -> u64 {
    summed(|| {
        hub.run(|| {
            let mut last = None;
            for i in 0..n {
                last = Some(simul_green::spawn(move || work(i)).expect("green spawn"));
            }
            if let Some(h) = last {
                h.join().expect("last unit");
            }
        })
        .expect("green hub");
    })
}

/// Tokio: n tasks on the current-thread runtime, the last awaited.
pub fn tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    summed(|| {
        rt.block_on(async {
            let mut last = None;
            for i in 0..n {
                last = Some(tokio::spawn(async move { work(i) }));
            }
            if let Some(h) = last {
                h.await.expect("last unit");
            }
        })
    })
}
