//! oneshot and Event: values and wake-ups between tasks, cancellation of
//! waiters, and their part in deadlock reports.

use simul_future::{
    Either, Event, RecvError, Runtime, RuntimeError, oneshot, select, spawn, yield_now,
};

#[test]
fn oneshot_delivers_once_and_reports_a_dropped_sender() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (tx, rx) = oneshot::<String>();
        let receiver = spawn(rx);
        yield_now().await;
        assert!(!receiver.is_finished());
        tx.send("value".to_string()).unwrap();
        assert_eq!(receiver.await.unwrap(), Ok("value".to_string()));

        let (tx, rx) = oneshot::<u8>();
        let receiver = spawn(rx);
        yield_now().await;
        drop(tx);
        assert_eq!(receiver.await.unwrap(), Err(RecvError));

        let (tx, rx) = oneshot::<u8>();
        drop(rx);
        assert_eq!(tx.send(1), Err(1));
    })
    .unwrap();
}

#[test]
fn a_receiver_whose_sender_is_stuck_is_a_deadlock() {
    let mut rt = Runtime::new().unwrap();
    let r = rt.block_on(async {
        let (tx, rx) = oneshot::<u8>();
        let (_tx2, rx2) = oneshot::<u8>();
        let holder = spawn(async move {
            let _tx = tx; // never sends: waits on rx2 forever
            rx2.await.ok();
        });
        let v = rx.await;
        drop(holder);
        v
    });
    let Err(RuntimeError::Deadlock(d)) = r else { panic!("expected a deadlock, got {r:?}") };
    assert_eq!(d.stuck[0].waiting_on, "a oneshot channel's sender");
    assert_eq!(d.stuck[1].waiting_on, "a oneshot channel's sender");
}

#[test]
fn event_wakes_every_waiter_and_stays_set_until_cleared() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let ev = Event::new();
        let waiters: Vec<_> = (0..5)
            .map(|i| {
                let ev = ev.clone();
                spawn(async move {
                    ev.wait().await;
                    i
                })
            })
            .collect();
        yield_now().await;
        assert!(waiters.iter().all(|w| !w.is_finished()));
        ev.set();
        ev.clear(); // cleared before they run: they still saw it set
        let mut got = Vec::new();
        for w in waiters {
            got.push(w.await.unwrap());
        }
        assert_eq!(got, [0, 1, 2, 3, 4]);
        ev.set();
        ev.wait().await; // set: at once
    })
    .unwrap();
}

#[test]
fn a_cancelled_wait_leaves_no_waiter_behind() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let ev = Event::new();
        // The wait loses the race and is dropped.
        assert_eq!(select(ev.wait(), yield_now()).await, Either::Right(()));
        let ev2 = ev.clone();
        let w = spawn(async move { ev2.wait().await });
        yield_now().await;
        ev.set();
        w.await.unwrap();
    })
    .unwrap();
    // Waiting on an event nobody can set is a reported deadlock.
    let r = rt.block_on(async { Event::new().wait().await });
    let Err(RuntimeError::Deadlock(d)) = r else { panic!("expected a deadlock") };
    assert_eq!(d.stuck[0].waiting_on, "an Event to be set");
}
