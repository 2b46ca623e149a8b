//! `handoff`: two units passing a value back and forth, n passes in all.
//!
//! Each style uses its own way for one unit to wait for another:
//!
//! * callback: the receiver's callback is scheduled with the value (a
//!   callback-style program hands over by naming who runs next);
//! * coro: the two coroutines take turns with `Trap::Park` and
//!   `Trap::Unpark(id)`, curio's pair;
//! * future: a hand-written [`Side`] future keeping its waker in a slot of
//!   shared state, the way a channel's leaf future does;
//! * async: two `async` loops on `simul_future::Event` (set / wait /
//!   clear);
//! * green: the same on `simul_green::Event`, blocking-looking;
//! * tokio: the same on `tokio::sync::Notify`.
//!
//! The checksum is the value after n passes (each pass adds one).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use simul_callback::EventLoop;
use simul_coro::{Coroutine, CoroutineState, Reply, Resume, Scheduler, TaskId, Trap};

/// Callback: `a` and `b` call each other through `call_soon`.
pub fn callback(lp: &mut EventLoop, n: u64) -> u64 {
    fn pass(lp: &mut EventLoop, value: u64, n: u64, out: Rc<Cell<u64>>) {
        if value == n {
            out.set(value);
            lp.stop();
            return;
        }
        let _ = lp.call_soon(move |lp| pass(lp, value + 1, n, out));
    }
    let out = Rc::new(Cell::new(0));
    let o = out.clone();
    let _ = lp.call_soon(move |lp| pass(lp, 0, n, o));
    lp.run_forever().expect("callback loop");
    out.get()
}

/// What the two coroutines share.
#[derive(Default)]
pub struct Table {
    /// The value being passed.
    value: Cell<u64>,
    /// Whose turn it is: 0 or 1.
    turn: Cell<usize>,
    /// Both sides' ids, filled in by the host before the run.
    ids: [Cell<Option<TaskId>>; 2],
    /// Whether each side is parked.
    parked: [Cell<bool>; 2],
}

/// One side of the coroutine handoff.
pub struct CoroSide {
    /// 0 or 1.
    me: usize,
    /// Passes in all.
    n: u64,
    /// The shared table.
    table: Rc<Table>,
}

impl Coroutine<Reply<u64>> for CoroSide {
    type Yield = Trap<u64>;
    type Return = u64;
    fn resume(&mut self, _: Reply<u64>) -> Resume<Trap<u64>, u64> {
        let t = &*self.table;
        let other = 1 - self.me;
        let other_id = t.ids[other].get().expect("ids set before the run");
        if t.value.get() >= self.n {
            if t.parked[other].replace(false) {
                return Ok(CoroutineState::Yielded(Trap::Unpark(other_id)));
            }
            return Ok(CoroutineState::Complete(t.value.get()));
        }
        if t.turn.get() != self.me {
            t.parked[self.me].set(true);
            return Ok(CoroutineState::Yielded(Trap::Park));
        }
        t.value.set(t.value.get() + 1);
        t.turn.set(other);
        if t.parked[other].replace(false) {
            return Ok(CoroutineState::Yielded(Trap::Unpark(other_id)));
        }
        // The other side has not parked yet (the first pass): wait for it
        // to take its turn and unpark us.
        t.parked[self.me].set(true);
        Ok(CoroutineState::Yielded(Trap::Park))
    }
}

/// Coro: two [`CoroSide`]s spawned by the host, run to the end.
pub fn coro(s: &mut Scheduler<u64>, n: u64) -> u64 {
    let table = Rc::new(Table::default());
    for me in 0..2 {
        let id = s.spawn(CoroSide { me, n, table: table.clone() });
        table.ids[me].set(Some(id));
    }
    s.run_all().expect("coro scheduler");
    table.value.get()
}

/// What the two hand-written futures share.
#[derive(Default)]
pub struct Turns {
    value: Cell<u64>,
    turn: Cell<usize>,
    wakers: [RefCell<Option<Waker>>; 2],
}

/// One side of the future handoff, written by hand: the state machine of
///
/// ```text
/// async { loop { wait_for_turn(me).await; if done { break } pass() } }
/// ```
///
/// with the wait as a waker kept in [`Turns`]:
///
/// ```text
///   poll: value >= n ----------------------> wake the other, Ready(value)
///   poll: not my turn --> keep the waker --> Pending
///   poll: my turn --> value += 1, turn = other, wake the other --> (loop)
/// ```
pub struct Side {
    me: usize,
    n: u64,
    turns: Rc<Turns>,
}

impl Future for Side {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let t = &*self.turns;
        let other = 1 - self.me;
        loop {
            if t.value.get() >= self.n {
                if let Some(w) = t.wakers[other].borrow_mut().take() {
                    w.wake();
                }
                return Poll::Ready(t.value.get());
            }
            if t.turn.get() != self.me {
                let mut slot = t.wakers[self.me].borrow_mut();
                if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *slot = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            t.value.set(t.value.get() + 1);
            t.turn.set(other);
            if let Some(w) = t.wakers[other].borrow_mut().take() {
                w.wake();
            }
        }
    }
}

/// Future: two [`Side`] tasks.
pub fn future(rt: &mut simul_future::Runtime, n: u64) -> u64 {
    let turns = Rc::new(Turns::default());
    rt.block_on(async move {
        let a = simul_future::spawn(Side { me: 0, n, turns: turns.clone() });
        let b = simul_future::spawn(Side { me: 1, n, turns });
        let v = a.await.expect("side 0");
        b.await.expect("side 1").max(v)
    })
    .expect("future runtime")
}

/// Async: two `async` loops taking turns on two `Event`s.
pub fn async_(rt: &mut simul_future::Runtime, n: u64) -> u64 {
    use simul_future::Event;
    rt.block_on(async move {
        let value = Rc::new(Cell::new(0u64));
        let turn = [Event::new(), Event::new()];
        turn[0].set();
        let side = |me: usize| {
            let (mine, theirs) = (turn[me].clone(), turn[1 - me].clone());
            let value = value.clone();
            async move {
                loop {
                    mine.wait().await;
                    mine.clear();
                    if value.get() < n {
                        value.set(value.get() + 1);
                    }
                    theirs.set();
                    if value.get() >= n {
                        return value.get();
                    }
                }
            }
        };
        let a = simul_future::spawn(side(0));
        let b = simul_future::spawn(side(1));
        a.await.expect("side 0").max(b.await.expect("side 1"))
    })
    .expect("future runtime")
}

/// Green: two green threads taking turns on two `Event`s.
pub fn green(hub: &simul_green::Hub, n: u64) -> u64 {
    use simul_green::Event;
    hub.run(|| {
        let value = Rc::new(Cell::new(0u64));
        let turn = [Event::new(), Event::new()];
        turn[0].set();
        let side = |me: usize| {
            let (mine, theirs) = (turn[me].clone(), turn[1 - me].clone());
            let value = value.clone();
            move || loop {
                mine.wait().expect("wait");
                mine.clear();
                if value.get() < n {
                    value.set(value.get() + 1);
                }
                theirs.set();
                if value.get() >= n {
                    return value.get();
                }
            }
        };
        let a = simul_green::spawn(side(0)).expect("spawn");
        let b = simul_green::spawn(side(1)).expect("spawn");
        a.join().expect("side 0").max(b.join().expect("side 1"))
    })
    .expect("green hub")
}

/// Tokio: two tasks taking turns on two `Notify`s (a stored permit is
/// what `Event::set` is to the others).
pub fn tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use tokio::sync::Notify;
    rt.block_on(async move {
        let value = Arc::new(AtomicU64::new(0));
        let turn = [Arc::new(Notify::new()), Arc::new(Notify::new())];
        turn[0].notify_one();
        let side = |me: usize| {
            let (mine, theirs) = (turn[me].clone(), turn[1 - me].clone());
            let value = value.clone();
            async move {
                loop {
                    mine.notified().await;
                    if value.load(Relaxed) < n {
                        value.fetch_add(1, Relaxed);
                    }
                    theirs.notify_one();
                    if value.load(Relaxed) >= n {
                        return value.load(Relaxed);
                    }
                }
            }
        };
        let a = tokio::spawn(side(0));
        let b = tokio::spawn(side(1));
        a.await.expect("side 0").max(b.await.expect("side 1"))
    })
}
