//! Semaphore: a bound on concurrency, FIFO hand-over of permits,
//! cancellation while waiting and after a permit was handed over (no
//! permit lost or created).

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use simul_future::{Runtime, Semaphore, join_all, now, sleep, spawn, timeout, yield_now};
use simul_reactor::Clock;
use util::{Trace, poll_once};

#[test]
fn permits_bound_concurrency_and_go_in_fifo_order() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let pool = Semaphore::new(2);
        let running = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let (pool, t, running) = (pool.clone(), t.clone(), running.clone());
                spawn(async move {
                    let _p = pool.acquire().await;
                    running.set(running.get() + 1);
                    assert!(running.get() <= 2);
                    t.push(format!("{} job{i}", now().since_origin().as_secs()));
                    sleep(Duration::from_secs(1)).await;
                    running.set(running.get() - 1);
                })
            })
            .collect();
        yield_now().await;
        assert_eq!((pool.available_permits(), pool.waiters()), (0, 3));
        join_all(tasks).await;
        assert_eq!(pool.available_permits(), 2);
    })
    .unwrap();
    assert_eq!(trace.take(), ["0 job0", "0 job1", "1 job2", "1 job3", "2 job4"]);
}

#[test]
fn a_waiter_dropped_while_waiting_leaves_the_line() {
    let s = Semaphore::new(1);
    let p = s.try_acquire().unwrap();
    let mut first = s.acquire();
    let mut second = s.acquire();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    drop(first);
    drop(p);
    assert!(matches!(poll_once(&mut second), Poll::Ready(_)));
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn a_waiter_dropped_after_being_handed_a_permit_passes_it_on() {
    let s = Semaphore::new(1);
    let p = s.try_acquire().unwrap();
    let mut first = s.acquire();
    let mut second = s.acquire();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    drop(p); // handed to `first`
    assert_eq!(s.available_permits(), 0, "a handed permit is not free for newcomers");
    assert!(s.try_acquire().is_none());
    drop(first); // never ran: the permit goes to `second`
    let Poll::Ready(p) = poll_once(&mut second) else { panic!("second should have a permit") };
    drop(p);
    assert_eq!(s.available_permits(), 1);

    // With nobody else waiting, it returns to the pool.
    let p = s.try_acquire().unwrap();
    let mut only = s.acquire();
    assert!(poll_once(&mut only).is_pending());
    drop(p);
    drop(only);
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn add_permits_serves_waiters_first() {
    let s = Semaphore::new(0);
    let mut a = s.acquire();
    let mut b = s.acquire();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    s.add_permits(3);
    assert_eq!(s.available_permits(), 1);
    let (Poll::Ready(pa), Poll::Ready(pb)) = (poll_once(&mut a), poll_once(&mut b)) else {
        panic!("both were handed a permit")
    };
    drop((pa, pb));
    assert_eq!(s.available_permits(), 3);
}

#[test]
fn timeouts_under_load_never_lose_a_permit() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    rt.block_on(async {
        let s = Semaphore::new(3);
        let done = Rc::new(Cell::new(0));
        let jobs: Vec<_> = (0..40u64)
            .map(|i| {
                let (s, done) = (s.clone(), done.clone());
                spawn(async move {
                    // Various patience: some give up waiting, some get in.
                    let wait = Duration::from_millis(1 + i % 7);
                    if let Ok(_p) = timeout(wait, s.acquire()).await {
                        sleep(Duration::from_millis(2)).await;
                        done.set(done.get() + 1);
                    }
                })
            })
            .collect();
        join_all(jobs).await;
        assert!(done.get() > 3 && done.get() < 40, "some got in, some gave up");
        assert_eq!((s.available_permits(), s.waiters()), (3, 0));
    })
    .unwrap();
}

#[test]
fn a_failed_try_acquire_returns_no_permit() {
    let s = Semaphore::new(1);
    let permit = s.try_acquire().expect("one is free");
    assert!(s.try_acquire().is_none());
    assert_eq!(s.available_permits(), 0, "a refused try_acquire must not add a permit");
    drop(permit);
    assert_eq!(s.available_permits(), 1);
}
