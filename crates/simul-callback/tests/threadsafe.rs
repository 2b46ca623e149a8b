//! call_soon_threadsafe: every call from other threads is delivered, in
//! each thread's order, and wakes a loop blocked in the reactor.

mod util;

use std::sync::{Arc, Mutex};
use std::thread;

use simul_callback::{Error, EventLoop};

#[test]
fn four_threads_times_ten_thousand_all_delivered_in_order() {
    const THREADS: usize = 4;
    const CALLS: usize = 10_000;
    let mut lp = EventLoop::new().unwrap();
    // Per thread: the values received on the loop, in arrival order. The
    // callbacks cross threads, so what they capture must be Send.
    let got = Arc::new(Mutex::new(vec![Vec::new(); THREADS]));
    let mut senders = Vec::new();
    for th in 0..THREADS {
        let (h, got) = (lp.handle(), got.clone());
        senders.push(thread::spawn(move || {
            for i in 0..CALLS {
                let got = got.clone();
                h.call_soon_threadsafe(move |_| got.lock().unwrap()[th].push(i)).unwrap();
            }
        }));
    }
    let g = got.clone();
    lp.run_until(move |_| g.lock().unwrap().iter().map(Vec::len).sum::<usize>() == THREADS * CALLS)
        .unwrap();
    for s in senders {
        s.join().unwrap();
    }
    for per_thread in got.lock().unwrap().iter() {
        assert_eq!(*per_thread, (0..CALLS).collect::<Vec<_>>());
    }
}

#[test]
fn a_blocked_loop_is_woken() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let t = thread::spawn(move || {
        thread::sleep(std::time::Duration::from_millis(20));
        h.call_soon_threadsafe(|lp| lp.stop()).unwrap();
    });
    // Nothing ready, no timers: the loop blocks in poll until the wake.
    lp.run_forever().unwrap();
    t.join().unwrap();
}

#[test]
fn calls_posted_by_a_handle_that_is_gone_still_run() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    thread::spawn(move || h.call_soon_threadsafe(|lp| lp.stop()).unwrap()).join().unwrap();
    lp.run_forever().unwrap();
    // Now nobody can reach the loop any more.
    assert!(matches!(lp.run_forever(), Err(Error::Stalled)));
}

#[test]
fn after_the_loop_is_dropped_calls_are_refused() {
    let lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let captured = std::sync::Arc::new(());
    let c = captured.clone();
    h.call_soon_threadsafe(move |_| drop(c)).unwrap();
    drop(lp);
    assert_eq!(std::sync::Arc::strong_count(&captured), 1, "queued calls dropped with the loop");
    assert!(matches!(h.call_soon_threadsafe(|_| {}), Err(Error::Closed)));
    assert!(matches!(h.stop(), Err(Error::Closed)));
}
