//! Lock: fair FIFO hand-over, release on guard drop, cancellation while
//! waiting and after being handed the lock, deadlock reports.

mod util;

use std::task::Poll;
use std::time::Duration;

use simul_future::{Lock, Runtime, RuntimeError, now, sleep, spawn, timeout, yield_now};
use simul_reactor::Clock;
use util::{Trace, poll_once};

#[test]
fn waiters_get_the_lock_in_the_order_they_asked() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let lock = Lock::new();
        let tasks: Vec<_> = (0..3)
            .map(|i| {
                let (lock, t) = (lock.clone(), t.clone());
                spawn(async move {
                    let _guard = lock.acquire().await;
                    t.push(format!("{} task{i} in", now().since_origin().as_secs()));
                    sleep(Duration::from_secs(1)).await;
                    t.push(format!("{} task{i} out", now().since_origin().as_secs()));
                })
            })
            .collect();
        yield_now().await;
        assert_eq!(lock.waiters(), 2);
        // Handed over, never free: a newcomer cannot barge in.
        sleep(Duration::from_secs(1)).await;
        assert!(lock.is_locked() && lock.try_acquire().is_none());
        for task in tasks {
            task.await.unwrap();
        }
        assert!(!lock.is_locked());
    })
    .unwrap();
    assert_eq!(
        trace.take(),
        ["0 task0 in", "1 task0 out", "1 task1 in", "2 task1 out", "2 task2 in", "3 task2 out"]
    );
}

#[test]
fn a_waiter_dropped_while_waiting_leaves_the_line() {
    let lock = Lock::new();
    let guard = lock.try_acquire().unwrap();
    let mut first = lock.acquire();
    let mut second = lock.acquire();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    drop(first);
    assert_eq!(lock.waiters(), 1);
    drop(guard);
    let Poll::Ready(g) = poll_once(&mut second) else { panic!("second should hold the lock") };
    drop(g);
    assert!(!lock.is_locked());
}

#[test]
fn a_waiter_dropped_after_being_handed_the_lock_passes_it_on() {
    let lock = Lock::new();
    let guard = lock.try_acquire().unwrap();
    let mut first = lock.acquire();
    let mut second = lock.acquire();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    drop(guard); // handed to `first`
    drop(first); // which never ran: the lock goes to `second`
    assert!(lock.is_locked());
    let Poll::Ready(g) = poll_once(&mut second) else { panic!("second should hold the lock") };
    drop(g);
    assert!(!lock.is_locked());

    // With nobody else waiting, the handed lock is simply freed.
    let guard = lock.try_acquire().unwrap();
    let mut only = lock.acquire();
    assert!(poll_once(&mut only).is_pending());
    drop(guard);
    drop(only);
    assert!(!lock.is_locked());
}

#[test]
fn a_timed_out_acquire_does_not_keep_the_lock() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    rt.block_on(async {
        let lock = Lock::new();
        let holder = {
            let lock = lock.clone();
            spawn(async move {
                let _g = lock.acquire().await;
                sleep(Duration::from_secs(5)).await;
            })
        };
        yield_now().await;
        assert!(timeout(Duration::from_secs(1), lock.acquire()).await.is_err());
        assert_eq!(lock.waiters(), 0);
        holder.await.unwrap();
        assert!(!lock.is_locked());
        let _g = lock.acquire().await;
        assert_eq!(now().since_origin(), Duration::from_secs(5));
    })
    .unwrap();
}

#[test]
fn waiting_for_a_lock_held_by_yourself_is_a_deadlock() {
    let mut rt = Runtime::new().unwrap();
    let r = rt.block_on(async {
        let lock = Lock::new();
        let _held = lock.acquire().await;
        let _again = lock.acquire().await; // not reentrant
    });
    let Err(RuntimeError::Deadlock(d)) = r else { panic!("expected a deadlock, got {r:?}") };
    assert_eq!(d.stuck[0].waiting_on, "a Lock held by another task");
}

#[test]
fn a_failed_try_acquire_leaves_the_lock_held() {
    let lock = Lock::new();
    let guard = lock.try_acquire().expect("free");
    assert!(lock.try_acquire().is_none());
    assert!(lock.is_locked(), "a refused try_acquire must not release the holder's lock");
    drop(guard);
    assert!(!lock.is_locked());
}
