//! Lost-wakeup and slow-poll reports: counted when they happen, and only
//! then.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{
    Event, JoinSet, Runtime, join3, oneshot, sleep, spawn, spawn_blocking, timeout, yield_now,
};
use simul_reactor::Clock;

/// Pending once without keeping its waker, then (if polled) ready.
struct ForgetsOnce(bool);
impl Future for ForgetsOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        Poll::Pending
    }
}

#[test]
fn a_future_keeping_no_waker_is_reported_at_once() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let r = rt.block_on(async {
        let h = spawn(ForgetsOnce(false));
        sleep(Duration::from_secs(1)).await; // the report comes before this ends
        h.abort();
    });
    assert!(r.is_ok());
    assert_eq!(rt.diagnostics().lost_wakeups, 1);
}

#[test]
fn well_behaved_futures_are_never_reported() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..10u64 {
            set.spawn(async move {
                sleep(Duration::from_millis(i)).await;
                yield_now().await;
            });
        }
        while set.join_next().await.is_some() {}
        let (tx, rx) = oneshot::<u8>();
        let ev = Event::new();
        let ev2 = ev.clone();
        let (got, sent, ()) = join3(
            rx,
            async move {
                ev2.wait().await;
                tx.send(1)
            },
            async move {
                yield_now().await;
                ev.set();
            },
        )
        .await;
        assert_eq!((got, sent), (Ok(1), Ok(())));
        let _ = timeout(Duration::from_millis(5), std::future::pending::<()>()).await;
        spawn_blocking(|| 1).await.unwrap();
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rt.diagnostics().lost_wakeups, 0);
}

#[cfg(debug_assertions)]
#[test]
fn a_slow_poll_is_counted_in_debug_builds() {
    let mut rt = Runtime::new().unwrap();
    rt.set_slow_poll_threshold(Duration::from_millis(10));
    rt.block_on(async {
        spawn(async { std::thread::sleep(Duration::from_millis(30)) }).await.unwrap();
        yield_now().await;
    })
    .unwrap();
    assert_eq!(rt.diagnostics().slow_polls, 1);
}
