//! Queue::task_done and Queue::join (asyncio's): every accepted item
//! counts until its task_done, join waits for the count to reach zero,
//! and cancellation or bad counts never hang or lose a joiner.

mod util;

use std::time::Duration;

use simul_future::{Queue, Runtime, RuntimeError, TaskDoneError, now, sleep, spawn, timeout};
use simul_reactor::Clock;
use util::{Trace, poll_once};

fn secs() -> u64 {
    now().since_origin().as_secs()
}

fn virtual_rt() -> Runtime {
    Runtime::with_clock(Clock::new_virtual()).unwrap()
}

#[test]
fn join_completes_at_once_when_nothing_is_unfinished() {
    let q = Queue::<u8>::unbounded();
    assert!(poll_once(&mut q.join()).is_ready());
    q.put_nowait(1).unwrap();
    q.get_nowait().unwrap();
    q.task_done().unwrap();
    assert!(poll_once(&mut q.join()).is_ready());
}

#[test]
fn join_waits_for_the_task_done_of_every_item_including_handed_over_ones() {
    let mut rt = virtual_rt();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let q = Queue::bounded(1);
        // A getter waits first, so the first item is handed straight over.
        let worker = {
            let (q, t) = (q.clone(), t.clone());
            spawn(async move {
                for _ in 0..3 {
                    let item: u64 = q.get().await;
                    sleep(Duration::from_secs(item)).await;
                    t.push(format!("done {item} at {}", secs()));
                    q.task_done().unwrap();
                }
            })
        };
        sleep(Duration::from_secs(1)).await;
        q.put(2).await; // handed to the waiting getter
        q.put(1).await; // queued (room for one)
        assert_eq!(q.unfinished(), 2);
        // Waits in the putters' line until the worker takes the queued
        // one, at 3 s, after its first task_done.
        q.put(1).await;
        assert_eq!((q.unfinished(), secs()), (2, 3));
        q.join().await;
        t.push(format!("joined at {}", secs()));
        worker.await.unwrap();
    })
    .unwrap();
    assert_eq!(trace.take(), ["done 2 at 3", "done 1 at 4", "done 1 at 5", "joined at 5"]);
}

#[test]
fn every_joiner_is_released_when_the_count_reaches_zero() {
    let mut rt = virtual_rt();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let q = Queue::unbounded();
        q.put_nowait(()).unwrap();
        let joiners: Vec<_> = (0..3)
            .map(|i| {
                let (q, t) = (q.clone(), t.clone());
                spawn(async move {
                    q.join().await;
                    t.push(format!("joiner {i}"));
                })
            })
            .collect();
        sleep(Duration::from_secs(1)).await;
        q.get_nowait().unwrap();
        q.task_done().unwrap();
        // Put again before the joiners run: released joiners still
        // complete (asyncio's Event.set resolves their waits at once).
        q.put_nowait(()).unwrap();
        for j in joiners {
            j.await.unwrap();
        }
        assert_eq!(q.unfinished(), 1);
    })
    .unwrap();
    assert_eq!(trace.take(), ["joiner 0", "joiner 1", "joiner 2"]);
}

#[test]
fn task_done_more_often_than_items_is_an_error_and_changes_nothing() {
    let q = Queue::unbounded();
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put_nowait('a').unwrap();
    q.task_done().unwrap();
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(q.unfinished(), 0);
    assert_eq!(
        TaskDoneError.to_string(),
        "Queue::task_done called more times than there were items"
    );
}

#[test]
fn a_withdrawn_putter_never_counts() {
    let q = Queue::bounded(0);
    {
        let mut put = q.put('x');
        assert!(poll_once(&mut put).is_pending()); // waits for a getter
    } // dropped: withdrawn
    assert_eq!(q.unfinished(), 0);
    assert!(poll_once(&mut q.join()).is_ready());
}

#[test]
fn a_join_cancelled_by_a_timeout_leaves_the_joiners_and_a_later_one_completes() {
    let mut rt = virtual_rt();
    rt.block_on(async {
        let q = Queue::unbounded();
        q.put_nowait(7).unwrap();
        let r = timeout(Duration::from_secs(1), q.join()).await;
        assert!(r.is_err(), "nothing was done yet");
        assert_eq!(q.get_nowait(), Ok(7));
        q.task_done().unwrap();
        q.join().await;
        assert_eq!(now().since_origin(), Duration::from_secs(1));
    })
    .unwrap();
}

#[test]
fn a_join_nobody_will_finish_is_a_deadlock_not_a_hang() {
    let mut rt = Runtime::new().unwrap();
    let r = rt.block_on(async {
        let q = Queue::unbounded();
        q.put_nowait(1).unwrap();
        q.join().await
    });
    let Err(RuntimeError::Deadlock(d)) = r else { panic!("expected a deadlock, got {r:?}") };
    assert_eq!(d.stuck[0].waiting_on, "Queue::join (items not yet task_done)");
}
