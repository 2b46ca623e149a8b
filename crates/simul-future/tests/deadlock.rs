//! block_on reports a deadlock, naming every stuck task, instead of
//! hanging; and never reports one while a wake can still come.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{JoinHandle, Runtime, RuntimeError, spawn, yield_now};

fn deadlock<T: std::fmt::Debug>(r: Result<T, RuntimeError>) -> simul_future::Deadlock {
    match r {
        Err(RuntimeError::Deadlock(d)) => d,
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

#[test]
fn two_tasks_awaiting_each_other() {
    let mut rt = Runtime::new().unwrap();
    let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let s = slot.clone();
    let r = rt.block_on(async move {
        let a = spawn(async move {
            yield_now().await;
            let b = s.borrow_mut().take().unwrap();
            b.await.unwrap();
        });
        let a_id = a.id();
        let b = spawn(async move { a.await.unwrap() });
        let b_id = b.id();
        *slot.borrow_mut() = Some(b);
        (a_id, b_id)
    });
    let (a_id, b_id) = r.unwrap();
    // Those two are still in the runtime; awaiting anything now deadlocks.
    let d = deadlock(rt.block_on(std::future::pending::<()>()));
    assert_eq!(d.stuck.len(), 3);
    assert_eq!(d.stuck[0].id, None);
    assert_eq!(d.stuck[1].id, Some(a_id));
    assert_eq!(d.stuck[1].waiting_on, format!("the JoinHandle of task #{b_id}"));
    assert_eq!(d.stuck[2].id, Some(b_id));
    assert_eq!(d.stuck[2].waiting_on, format!("the JoinHandle of task #{a_id}"));
    assert!(d.stuck[1].location.file().ends_with("deadlock.rs"));
    let text = d.to_string();
    assert!(text.starts_with("deadlock: nothing can ever wake these 3 futures:"), "{text}");
}

#[test]
fn a_future_that_keeps_no_waker_is_named_a_lost_wakeup() {
    struct Forgetful;
    impl Future for Forgetful {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }
    let mut rt = Runtime::new().unwrap();
    let d = deadlock(rt.block_on(async { spawn(Forgetful).await }));
    assert!(d.stuck[1].waiting_on.contains("lost wakeup"), "{d}");
}

#[test]
fn a_waker_held_by_another_thread_is_not_a_deadlock() {
    struct WokenByThread(bool);
    impl Future for WokenByThread {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            if self.0 {
                return Poll::Ready("woken");
            }
            self.0 = true;
            let w = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                w.wake();
            });
            Poll::Pending
        }
    }
    let mut rt = Runtime::new().unwrap();
    let r = rt.block_on(async { spawn(WokenByThread(false)).await.unwrap() }).unwrap();
    assert_eq!(r, "woken");
}

#[test]
fn the_runtime_is_usable_after_a_deadlock_report() {
    let mut rt = Runtime::new().unwrap();
    deadlock(rt.block_on(std::future::pending::<()>()));
    assert_eq!(rt.block_on(async { spawn(async { 9 }).await.unwrap() }).unwrap(), 9);
}

#[test]
fn nested_block_on_is_an_error() {
    let mut rt = Runtime::new().unwrap();
    let mut inner = Runtime::new().unwrap();
    let r =
        rt.block_on(async move { matches!(inner.block_on(async {}), Err(RuntimeError::Nested)) });
    assert!(r.unwrap());
}
