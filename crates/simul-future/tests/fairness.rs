//! An always-ready task cannot starve timers or wakes from other threads.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{Runtime, sleep, spawn, yield_now};

/// Yields forever, counting its polls.
async fn spinner(polls: Rc<Cell<u64>>) {
    loop {
        polls.set(polls.get() + 1);
        yield_now().await;
    }
}

#[test]
fn a_timer_fires_beside_a_spinning_task() {
    let mut rt = Runtime::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    rt.block_on(async move {
        let spin = spawn(spinner(p));
        sleep(Duration::from_millis(5)).await;
        spin.abort();
    })
    .unwrap();
    assert!(polls.get() > 0, "the spinner ran meanwhile");
}

#[test]
fn round_robin_each_ready_task_once_per_round() {
    let mut rt = Runtime::new().unwrap();
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let o = order.clone();
    rt.block_on(async move {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let o = o.clone();
                spawn(async move {
                    for _ in 0..3 {
                        o.borrow_mut().push(i);
                        yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(*order.borrow(), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

/// A wake from another thread reaches a task even though the spinner
/// keeps the run queue from ever being empty (the loop drains other
/// threads' wakes every BUDGET polls).
#[test]
fn a_cross_thread_wake_gets_through_beside_a_spinning_task() {
    struct WaitForThread {
        started: bool,
        woken: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }
    impl Future for WaitForThread {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.woken.load(std::sync::atomic::Ordering::Acquire) {
                return Poll::Ready(());
            }
            if !self.started {
                self.started = true;
                let (w, flag) = (cx.waker().clone(), self.woken.clone());
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(5));
                    flag.store(true, std::sync::atomic::Ordering::Release);
                    w.wake();
                });
            }
            Poll::Pending
        }
    }
    let mut rt = Runtime::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    let seen = rt
        .block_on(async move {
            let spin = spawn(spinner(p.clone()));
            WaitForThread { started: false, woken: Default::default() }.await;
            let at_wake = p.get();
            spin.abort();
            at_wake
        })
        .unwrap();
    assert!(seen > 0);
}

/// 20 always-ready tasks beside a TCP ping-pong: every round trip still
/// completes (the loop looks at the reactor every BUDGET polls even
/// though the run queue never empties).
#[test]
fn io_gets_through_beside_spinning_tasks() {
    use simul_future::{AsyncReadExt, AsyncWriteExt, TcpListener, TcpStream};
    let mut rt = Runtime::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    rt.block_on(async move {
        let spinners: Vec<_> = (0..20).map(|_| spawn(spinner(p.clone()))).collect();
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await?;
            let mut buf = [0u8; 8];
            for _ in 0..100 {
                conn.read_exact(&mut buf).await?;
                conn.write_all(&buf).await?;
            }
            Ok::<(), std::io::Error>(())
        });
        let mut conn = TcpStream::connect(addr).await?;
        conn.set_nodelay(true)?;
        for i in 0..100u64 {
            conn.write_all(&i.to_le_bytes()).await?;
            let mut back = [0u8; 8];
            conn.read_exact(&mut back).await?;
            assert_eq!(u64::from_le_bytes(back), i);
        }
        server.await.unwrap()?;
        for s in spinners {
            s.abort();
        }
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
    assert!(polls.get() > 100, "the spinners ran meanwhile");
}

/// asyncio's `sleep(0)` lets a due timer in at once: a timer that falls
/// due while a task does blocking work between yields joins the queue at
/// the next turn and runs right after that task's next step, not after a
/// budget of polls. Exact on the virtual clock, where each 1 ms of
/// blocking work moves time by 1 ms.
#[test]
fn a_due_timer_joins_the_queue_at_the_next_turn() {
    use simul_reactor::Clock;
    let clock = Clock::new_virtual();
    let mut rt = Runtime::with_clock(clock.clone()).unwrap();
    let trace = Rc::new(std::cell::RefCell::new(Vec::new()));
    let t = trace.clone();
    rt.block_on(async move {
        // Spawned first, so its sleep starts at t = 0: due at 2.5 ms.
        let timer = {
            let t = t.clone();
            spawn(async move {
                sleep(Duration::from_micros(2500)).await;
                t.borrow_mut().push("timer".to_string());
            })
        };
        let worker = {
            let t = t.clone();
            let clock = clock.clone();
            spawn(async move {
                for i in 0..10 {
                    clock.block_for(Duration::from_millis(1));
                    t.borrow_mut().push(format!("work {i}"));
                    yield_now().await;
                }
            })
        };
        worker.await.unwrap();
        timer.await.unwrap();
    })
    .unwrap();
    let trace = trace.borrow();
    // "work 2" ends at 3 ms, the turn after it fires the timer, which
    // queues behind the worker (already queued by its own yield).
    let at = trace.iter().position(|e| e == "timer").unwrap();
    assert_eq!(trace[at - 1], "work 3", "{trace:?}");
    assert_eq!(trace.len(), 11);
}

/// With many tasks ready, a round is the tasks ready when it starts: a
/// timer that falls due during it is queued at the turn after it, behind
/// the tasks that round re-queued, as asyncio appends due timers to its
/// ready queue after the callbacks queued by the iteration before.
#[test]
fn a_due_timer_queues_behind_the_round_that_saw_it_fall_due() {
    use simul_reactor::Clock;
    let clock = Clock::new_virtual();
    let mut rt = Runtime::with_clock(clock.clone()).unwrap();
    let trace = Rc::new(std::cell::RefCell::new(Vec::new()));
    let t = trace.clone();
    rt.block_on(async move {
        let timer = {
            let t = t.clone();
            spawn(async move {
                sleep(Duration::from_micros(1500)).await;
                t.borrow_mut().push((u32::MAX, 0));
            })
        };
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let t = t.clone();
                let clock = clock.clone();
                spawn(async move {
                    for i in 0..4 {
                        clock.block_for(Duration::from_millis(1));
                        t.borrow_mut().push((w, i));
                        yield_now().await;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        timer.await.unwrap();
    })
    .unwrap();
    // The timer falls due during the first workers' round (at 2 ms) and
    // runs in the next round, after the three workers' second steps.
    let trace = trace.borrow();
    let expected = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (u32::MAX, 0), (0, 2)];
    assert_eq!(&trace[..8], &expected, "{trace:?}");
}
