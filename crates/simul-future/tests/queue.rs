//! Queue: FIFO among getters and putters, no barging by the `_nowait`
//! forms, cancellation at each suspension point (no item lost or
//! duplicated), exact producer/consumer timings under the virtual clock.

mod util;

use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use simul_future::{
    Queue, QueueEmpty, QueueFull, Runtime, RuntimeError, join, now, sleep, spawn, timeout,
    yield_now,
};
use simul_reactor::Clock;
use util::{Trace, poll_once};

fn secs() -> u64 {
    now().since_origin().as_secs()
}

#[test]
fn waiting_getters_are_served_in_the_order_they_came() {
    let mut rt = Runtime::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let q = Queue::unbounded();
        let getters: Vec<_> = (0..3)
            .map(|i| {
                let (q, t) = (q.clone(), t.clone());
                spawn(async move {
                    t.push(format!("g{i} waits"));
                    let item: char = q.get().await;
                    t.push(format!("g{i} got {item}"));
                })
            })
            .collect();
        yield_now().await;
        for item in ['a', 'b', 'c'] {
            q.put(item).await; // handed over at once: never waits
        }
        assert!(q.is_empty(), "items went to the waiting getters, not into the queue");
        assert_eq!(q.get_nowait(), Err(QueueEmpty), "a newcomer cannot take a served item");
        for g in getters {
            g.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(
        trace.take(),
        ["g0 waits", "g1 waits", "g2 waits", "g0 got a", "g1 got b", "g2 got c"]
    );
}

#[test]
fn waiting_putters_enter_in_the_order_they_came_and_nowait_cannot_barge() {
    let mut rt = Runtime::new().unwrap();
    let got = rt
        .block_on(async {
            let q = Queue::bounded(1);
            q.put_nowait(100).unwrap();
            let putters: Vec<_> = (0..3)
                .map(|i| {
                    let q = q.clone();
                    spawn(async move { q.put(i).await })
                })
                .collect();
            yield_now().await;
            assert!(q.is_full());
            // A slot frees up when a get runs; the oldest putter takes it.
            assert_eq!(q.put_nowait(99), Err(QueueFull(99)));
            let mut got = Vec::new();
            for _ in 0..4 {
                got.push(q.get().await);
                assert_eq!(q.len(), usize::from(got.len() < 4));
            }
            for p in putters {
                p.await.unwrap();
            }
            got
        })
        .unwrap();
    assert_eq!(got, [100, 0, 1, 2]);
}

#[test]
fn a_getter_dropped_while_waiting_leaves_the_line() {
    let q = Queue::unbounded();
    let mut first = q.get();
    let mut second = q.get();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    drop(first);
    q.put_nowait(1).unwrap();
    assert_eq!(poll_once(&mut second), Poll::Ready(1));
    assert!(q.is_empty());
}

#[test]
fn a_getter_dropped_after_being_served_puts_its_item_back_at_the_front() {
    let q = Queue::unbounded();
    let mut getter = q.get();
    assert!(poll_once(&mut getter).is_pending());
    q.put_nowait(1).unwrap(); // handed to the getter
    q.put_nowait(2).unwrap(); // queued
    drop(getter); // never ran after being served
    assert_eq!((q.get_nowait(), q.get_nowait(), q.get_nowait()), (Ok(1), Ok(2), Err(QueueEmpty)));
}

#[test]
fn a_served_getter_dropped_hands_its_item_to_the_next_getter() {
    let q = Queue::unbounded();
    let mut first = q.get();
    let mut second = q.get();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    q.put_nowait('x').unwrap();
    drop(first);
    assert_eq!(poll_once(&mut second), Poll::Ready('x'));
    assert!(q.is_empty());
}

#[test]
fn a_putter_dropped_while_waiting_withdraws_its_item() {
    let q = Queue::bounded(1);
    q.put_nowait("a").unwrap();
    let mut put = q.put("b");
    assert!(poll_once(&mut put).is_pending());
    drop(put);
    assert_eq!(q.get_nowait(), Ok("a"));
    assert_eq!(q.get_nowait(), Err(QueueEmpty), "the withdrawn item must not appear");
}

#[test]
fn a_putter_dropped_after_its_item_was_accepted_does_not_duplicate_it() {
    let q = Queue::bounded(1);
    q.put_nowait("a").unwrap();
    let mut put = q.put("b");
    assert!(poll_once(&mut put).is_pending());
    assert_eq!(q.get_nowait(), Ok("a")); // makes room: "b" moves in
    drop(put);
    assert_eq!(q.get_nowait(), Ok("b"));
    assert_eq!(q.get_nowait(), Err(QueueEmpty));
}

#[test]
fn items_are_dropped_exactly_once_whatever_is_cancelled() {
    let item = Rc::new(());
    {
        let q = Queue::bounded(1);
        let mut getter = q.get();
        assert!(poll_once(&mut getter).is_pending());
        q.put_nowait(item.clone()).unwrap(); // served to the getter
        q.put_nowait(item.clone()).unwrap(); // queued
        let mut waiting = q.put(item.clone()); // full: waits
        assert!(poll_once(&mut waiting).is_pending());
        assert_eq!(Rc::strong_count(&item), 4);
        drop(waiting); // withdrawn: dropped now
        assert_eq!(Rc::strong_count(&item), 3);
        drop(getter); // served item goes back to the front
        assert_eq!((q.len(), Rc::strong_count(&item)), (2, 3));
    } // the queue drops both
    assert_eq!(Rc::strong_count(&item), 1);
}

#[test]
fn capacity_zero_is_a_rendezvous() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let trace = rt
        .block_on(async {
            let q = Queue::bounded(0);
            assert_eq!(q.put_nowait(1), Err(QueueFull(1)));
            let producer = async {
                q.put(7).await;
                secs()
            };
            let consumer = async {
                sleep(Duration::from_secs(2)).await;
                (q.get().await, secs())
            };
            join(producer, consumer).await
        })
        .unwrap();
    // The put completes only when the get takes the item, at 2 s.
    assert_eq!(trace, (2, (7, 2)));
}

#[test]
fn timeouts_on_get_never_lose_an_item() {
    // The consumer gives up on each get after 2 ms; items come every 3 ms,
    // so cancellations land both before and after items are handed over.
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let got = rt
        .block_on(async {
            let q = Queue::unbounded();
            let producer = async {
                for i in 0..50u32 {
                    sleep(Duration::from_millis(3)).await;
                    q.put(i).await;
                }
            };
            let consumer = async {
                let mut got = Vec::new();
                let mut timeouts = 0;
                while got.len() < 50 {
                    match timeout(Duration::from_millis(2), q.get()).await {
                        Ok(item) => got.push(item),
                        Err(_) => timeouts += 1,
                    }
                }
                assert!(timeouts > 0);
                got
            };
            join(producer, consumer).await.1
        })
        .unwrap();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
}

#[test]
fn producer_and_consumer_timings_are_exact_under_the_virtual_clock() {
    // Producer: an item every 1 s into a queue of 2. Consumer: takes one
    // every 3 s. The producer runs ahead until the queue is full, then
    // moves at the consumer's pace.
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let q = Queue::bounded(2);
        let producer = async {
            for i in 0..5 {
                sleep(Duration::from_secs(1)).await;
                q.put(i).await;
                t.push(format!("{} put {i}", secs()));
            }
        };
        let consumer = async {
            for _ in 0..5 {
                sleep(Duration::from_secs(3)).await;
                let i = q.get().await;
                t.push(format!("{} got {i}", secs()));
            }
        };
        join(producer, consumer).await;
        assert_eq!(secs(), 15);
    })
    .unwrap();
    assert_eq!(
        trace.take(),
        [
            "1 put 0", "2 put 1", "3 got 0", "3 put 2", "6 got 1", "6 put 3", "9 got 2", "9 put 4",
            "12 got 3", "15 got 4",
        ]
    );
}

#[test]
fn a_get_nobody_will_answer_is_a_deadlock() {
    let mut rt = Runtime::new().unwrap();
    let r = rt.block_on(async {
        let q = Queue::<u8>::unbounded();
        q.get().await
    });
    let Err(RuntimeError::Deadlock(d)) = r else { panic!("expected a deadlock, got {r:?}") };
    assert_eq!(d.stuck[0].waiting_on, "an item from an empty Queue");
}
