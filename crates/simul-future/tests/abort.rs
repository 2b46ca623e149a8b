//! abort(): the future is dropped at its next suspension point, whichever
//! it is, and the handle reports cancellation.

mod util;

use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;

use simul_future::{JoinHandle, Runtime, spawn, yield_now};
use util::{DropGuard, Trace, poll_once};

/// A task with three suspension points, tracing each step.
async fn three_steps(t: Trace) -> &'static str {
    let _guard = DropGuard(t.clone(), "task");
    t.push("start");
    yield_now().await;
    t.push("after 1");
    yield_now().await;
    t.push("after 2");
    yield_now().await;
    t.push("after 3");
    "finished"
}

/// Aborts the task after the root has yielded `rounds` times.
fn abort_after(rounds: usize) -> (Vec<String>, Result<&'static str, bool>) {
    let mut rt = Runtime::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    let r = rt
        .block_on(async move {
            let h = spawn(three_steps(t.clone()));
            for _ in 0..rounds {
                yield_now().await;
            }
            t.push("abort");
            h.abort();
            h.abort(); // twice is once
            h.await.map_err(|e| e.is_cancelled())
        })
        .unwrap();
    (trace.take(), r)
}

#[test]
fn abort_before_the_first_poll_never_runs_the_future() {
    let (trace, r) = abort_after(0);
    // The body never started, so not even its guard was created.
    assert_eq!(trace, ["abort"]);
    assert_eq!(r, Err(true));
}

#[test]
fn abort_at_each_suspension_point() {
    let (trace, r) = abort_after(1);
    assert_eq!(trace, ["start", "abort", "dropped task"]);
    assert_eq!(r, Err(true));
    let (trace, r) = abort_after(2);
    assert_eq!(trace, ["start", "after 1", "abort", "dropped task"]);
    assert_eq!(r, Err(true));
    let (trace, r) = abort_after(3);
    assert_eq!(trace, ["start", "after 1", "after 2", "abort", "dropped task"]);
    assert_eq!(r, Err(true));
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let (trace, r) = abort_after(4);
    assert_eq!(trace, ["start", "after 1", "after 2", "after 3", "dropped task", "abort"]);
    assert_eq!(r, Ok("finished"));
}

#[test]
fn a_task_aborting_itself_stops_at_its_next_suspension() {
    let mut rt = Runtime::new().unwrap();
    let trace = Trace::new();
    let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let (t, s) = (trace.clone(), slot.clone());
    let r = rt
        .block_on(async move {
            let h = spawn(async move {
                let _g = DropGuard(t.clone(), "self-aborter");
                yield_now().await;
                s.borrow().as_ref().unwrap().abort();
                t.push("still running until the next await");
                yield_now().await;
                t.push("never");
            });
            *slot.borrow_mut() = Some(h);
            yield_now().await;
            yield_now().await;
            yield_now().await;
            let h = slot.borrow_mut().take().unwrap();
            h.await
        })
        .unwrap();
    assert!(r.unwrap_err().is_cancelled());
    assert_eq!(trace.take(), ["still running until the next await", "dropped self-aborter"]);
}

#[test]
fn aborting_a_task_wakes_the_task_awaiting_it() {
    let mut rt = Runtime::new().unwrap();
    let r = rt
        .block_on(async {
            let sleeper = Rc::new(RefCell::new(spawn(std::future::pending::<u8>())));
            let s = sleeper.clone();
            let waiter = spawn(std::future::poll_fn(move |cx| {
                std::pin::Pin::new(&mut *s.borrow_mut()).poll(cx)
            }));
            yield_now().await;
            assert!(!waiter.is_finished());
            sleeper.borrow().abort();
            waiter.await.unwrap()
        })
        .unwrap();
    assert!(r.unwrap_err().is_cancelled());
}

#[test]
fn dropping_the_runtime_cancels_every_task_once() {
    let trace = Trace::new();
    let mut rt = Runtime::new().unwrap();
    let mut handles = Vec::new();
    for name in ["a", "b", "c"] {
        let t = trace.clone();
        handles.push(rt.spawn(async move {
            let _g = DropGuard(t, name);
            std::future::pending::<()>().await;
        }));
    }
    rt.block_on(yield_now()).unwrap();
    assert!(handles.iter().all(|h| !h.is_finished()));
    drop(rt);
    let mut dropped = trace.take();
    dropped.sort();
    assert_eq!(dropped, ["dropped a", "dropped b", "dropped c"]);
    assert!(handles.iter().all(|h| h.is_finished()));
    // Awaiting a handle of a dead runtime on a new one: cancelled.
    let mut rt2 = Runtime::new().unwrap();
    for h in handles {
        assert!(rt2.block_on(h).unwrap().unwrap_err().is_cancelled());
    }
}

#[test]
fn abort_between_two_block_on_calls() {
    let trace = Trace::new();
    let mut rt = Runtime::new().unwrap();
    let t = trace.clone();
    let h = rt.spawn(async move {
        let _g = DropGuard(t.clone(), "between");
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now()).unwrap();
    h.abort(); // no block_on running: the abort is queued
    assert!(!h.is_finished());
    assert!(rt.block_on(h).unwrap().unwrap_err().is_cancelled());
    assert_eq!(trace.take(), ["dropped between"]);
}

/// Item 25: a `JoinHandle` polled again after it returned `Ready` panics,
/// as its docs say, with a message naming the mistake; the output is not
/// read (or dropped) twice, and the runtime goes on working.
#[test]
fn a_join_handle_polled_after_ready_panics_clearly_and_the_runtime_goes_on() {
    let mut rt = Runtime::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    let message = rt
        .block_on(async move {
            let t2 = t.clone();
            let mut h = spawn(async move {
                yield_now().await;
                DropGuard(t2, "output")
            });
            let output = std::future::poll_fn(|cx| Pin::new(&mut h).poll(cx)).await.unwrap();
            drop(output);
            t.push("output taken");
            // Polled once more, by hand, inside the runtime.
            let Err(payload) = catch_unwind(AssertUnwindSafe(|| poll_once(&mut h))) else {
                panic!("a second poll after Ready returned instead of panicking");
            };
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // Still a panic the second time, never an output read twice.
            assert!(catch_unwind(AssertUnwindSafe(|| poll_once(&mut h))).is_err());
            drop(h);
            t.push("handle dropped");
            // The runtime still runs tasks and joins them.
            assert_eq!(
                spawn(async {
                    yield_now().await;
                    5
                })
                .await
                .unwrap(),
                5
            );
            message
        })
        .unwrap();
    assert_eq!(message, "JoinHandle polled after it returned Ready");
    assert_eq!(trace.take(), ["dropped output", "output taken", "handle dropped"]);
    // And so do later block_on calls.
    assert_eq!(rt.block_on(async { spawn(async { 3 }).await.unwrap() }).unwrap(), 3);
}

/// A value held by each task of `dropping_a_loaded_runtime_...`: counts
/// its drops in its own cell.
struct Counted(std::sync::Arc<Vec<std::sync::atomic::AtomicU32>>, usize);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0[self.1].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Item 22: the runtime dropped with 10,000 pending tasks, each holding a
/// timer (an hour away) and, one in 50, a UDP socket it waits on, while
/// an OS thread keeps waking every task's waker, before, during and after
/// the drop. Every task's future is dropped exactly once, by the drop;
/// the drop completes; the sockets are closed (their ports can be bound
/// again); wakers used after the runtime is gone do nothing. Also run by
/// `scripts/valgrind.sh` (it takes seconds there).
#[test]
fn dropping_a_loaded_runtime_while_a_thread_wakes_its_tasks_drops_each_future_once() {
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::Waker;
    use std::time::Duration;

    const TASKS: usize = 10_000;
    const SOCKET_EVERY: usize = 50;
    let drops: Arc<Vec<AtomicU32>> = Arc::new((0..TASKS).map(|_| AtomicU32::new(0)).collect());
    let wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let ports = Rc::new(RefCell::new(Vec::new()));
    let mut rt = Runtime::new().unwrap();
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let (counted, wakers, ports) = (Counted(drops.clone(), i), wakers.clone(), ports.clone());
        let h = rt.spawn(async move {
            let _counted = counted;
            // Hand this task's waker to the waking thread, once.
            std::future::poll_fn(|cx| {
                wakers.lock().unwrap().push(cx.waker().clone());
                std::task::Poll::Ready(())
            })
            .await;
            let timer = simul_future::sleep(Duration::from_secs(3600));
            if i % SOCKET_EVERY == 0 {
                let sock = simul_future::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
                ports.borrow_mut().push(sock.local_addr().unwrap());
                let mut buf = [0u8; 8];
                let _ = simul_future::join(timer, sock.recv_from(&mut buf)).await;
            } else {
                timer.await;
            }
            unreachable!("nothing sends, and the timer is an hour away");
        });
        // Half the handles are kept past the drop, half detached.
        if i % 2 == 0 {
            handles.push(h);
        }
    }
    rt.block_on(yield_now()).unwrap(); // every task now waits
    assert_eq!(wakers.lock().unwrap().len(), TASKS);
    assert_eq!(ports.borrow().len(), TASKS / SOCKET_EVERY);

    let stop = Arc::new(AtomicBool::new(false));
    let passes = Arc::new(AtomicUsize::new(0));
    let waker_thread = {
        let (wakers, stop, passes) = (wakers.clone(), stop.clone(), passes.clone());
        std::thread::spawn(move || {
            let wakers = std::mem::take(&mut *wakers.lock().unwrap());
            while !stop.load(Ordering::SeqCst) {
                for (n, w) in wakers.iter().enumerate() {
                    // Every method: by reference, and through a clone.
                    if n % 2 == 0 {
                        w.wake_by_ref()
                    } else {
                        #[allow(clippy::waker_clone_wake)] // on purpose: the owned path
                        w.clone().wake()
                    }
                }
                passes.fetch_add(1, Ordering::SeqCst);
            }
            // The last references to the tasks go with these.
            drop(wakers);
        })
    };
    // Let the wakes reach the loop for a while, tasks being polled again.
    while passes.load(Ordering::SeqCst) < 2 {
        rt.block_on(yield_now()).unwrap();
    }
    assert!(drops.iter().all(|d| d.load(Ordering::SeqCst) == 0), "dropped early");

    drop(rt); // while the thread keeps waking
    let at_drop = passes.load(Ordering::SeqCst);
    assert!(
        drops.iter().all(|d| d.load(Ordering::SeqCst) == 1),
        "a future was not dropped exactly once by the runtime's drop"
    );
    // Wakes of tasks whose runtime is gone: nothing happens.
    while passes.load(Ordering::SeqCst) < at_drop + 2 {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    waker_thread.join().unwrap();
    assert!(drops.iter().all(|d| d.load(Ordering::SeqCst) == 1), "dropped again later");
    // Kept handles see their task ended (cancelled by the drop).
    assert!(handles.iter().all(|h| h.is_finished()));
    drop(handles);
    // The sockets were closed: their ports are free again.
    for addr in ports.borrow().iter() {
        std::net::UdpSocket::bind(addr).unwrap_or_else(|e| panic!("{addr} still bound: {e}"));
    }
}
