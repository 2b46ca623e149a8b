//! `suspend`: one unit suspending n times, resumed by its scheduler each
//! time (asyncio's `await asyncio.sleep(0)` in a loop).
//!
//! What one suspension is, by style:
//!
//! * callback: the callback schedules its continuation with `call_soon`
//!   and returns (a callback cannot suspend; it ends and names its
//!   successor: one boxed closure per step);
//! * coro: the coroutine yields `Trap::YieldNow`, the trampoline queues
//!   it and resumes it (no allocation: the task stays where it is);
//! * future: a hand-written state machine holding a `YieldNow` leaf,
//!   polled to `Pending` and woken: a waker call and a queue push;
//! * async: the same as an `async` loop over `yield_now().await`;
//! * green: `yield_now()`, a switch to the hub and back;
//! * tokio: `tokio::task::yield_now().await` on the current-thread
//!   runtime.
//!
//! The checksum is the number of suspensions counted by the unit.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_callback::EventLoop;
use simul_coro::{Coroutine, CoroutineState, Reply, Resume, Scheduler, Trap};

/// Callback: a step that counts and schedules the next one.
pub fn callback(lp: &mut EventLoop, n: u64) -> u64 {
    fn step(lp: &mut EventLoop, left: u64, done: std::rc::Rc<std::cell::Cell<u64>>) {
        done.set(done.get() + 1);
        if left > 1 {
            let _ = lp.call_soon(move |lp| step(lp, left - 1, done));
        } else {
            lp.stop();
        }
    }
    if n == 0 {
        return 0;
    }
    let done = std::rc::Rc::new(std::cell::Cell::new(0));
    let d = done.clone();
    let _ = lp.call_soon(move |lp| step(lp, n, d));
    lp.run_forever().expect("callback loop");
    done.get()
}

/// The coroutine: yields `YieldNow` until it has suspended `left` times.
pub struct Yielder {
    /// Suspensions still to make.
    pub left: u64,
    /// Suspensions made.
    pub done: u64,
}

impl Coroutine<Reply<u64>> for Yielder {
    type Yield = Trap<u64>;
    type Return = u64;
    fn resume(&mut self, _: Reply<u64>) -> Resume<Trap<u64>, u64> {
        if self.left == 0 {
            return Ok(CoroutineState::Complete(self.done));
        }
        self.left -= 1;
        self.done += 1;
        Ok(CoroutineState::Yielded(Trap::YieldNow))
    }
}

/// Coro: one [`Yielder`] as the scheduler's main task.
pub fn coro(s: &mut Scheduler<u64>, n: u64) -> u64 {
    s.run(Yielder { left: n, done: 0 }).expect("coro scheduler")
}

/// The hand-written future: the state machine of
/// `async { for _ in 0..n { yield_now().await } n }`.
///
/// ```text
///   [Looping { left, current: None }] --left == 0--> Ready(done)
///        | start a YieldNow         ^
///        v                          | it completed: left -= 1
///   [Looping { current: Some }] ----+  (Pending: wait for the wake)
/// ```
pub struct YieldLoop {
    left: u64,
    done: u64,
    current: Option<simul_future::YieldNow>,
}

impl YieldLoop {
    /// A loop of `n` yields.
    pub fn new(n: u64) -> YieldLoop {
        YieldLoop { left: n, done: 0, current: None }
    }
}

impl Future for YieldLoop {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let this = &mut *self; // every field is Unpin
        loop {
            if let Some(y) = this.current.as_mut() {
                if Pin::new(y).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.current = None;
                this.left -= 1;
                this.done += 1;
            }
            if this.left == 0 {
                return Poll::Ready(this.done);
            }
            this.current = Some(simul_future::yield_now());
        }
    }
}

/// Future: a [`YieldLoop`] task.
pub fn future(rt: &mut simul_future::Runtime, n: u64) -> u64 {
    rt.block_on(async move { simul_future::spawn(YieldLoop::new(n)).await.expect("task") })
        .expect("future runtime")
}

/// Async: the `async` loop [`YieldLoop`] stands for, as a task.
pub fn async_(rt: &mut simul_future::Runtime, n: u64) -> u64 {
    rt.block_on(async move {
        simul_future::spawn(async move {
            let mut done = 0;
            for _ in 0..n {
                simul_future::yield_now().await;
                done += 1;
            }
            done
        })
        .await
        .expect("task")
    })
    .expect("future runtime")
}

/// Green: a green thread calling `yield_now()` n times.
pub fn green(hub: &simul_green::Hub, n: u64) -> u64 {
    hub.run(|| {
        simul_green::spawn(move || {
            let mut done = 0;
            for _ in 0..n {
                simul_green::yield_now().expect("yield");
                done += 1;
            }
            done
        })
        .expect("green spawn")
        .join()
        .expect("join")
    })
    .expect("green hub")
}

/// Tokio: a task calling `tokio::task::yield_now().await` n times.
pub fn tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    rt.block_on(async move {
        tokio::spawn(async move {
            let mut done = 0;
            for _ in 0..n {
                tokio::task::yield_now().await;
                done += 1;
            }
            done
        })
        .await
        .expect("task")
    })
}
