//! asyncio's ordering, asserted on recorded traces.

mod util;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use simul_callback::EventLoop;
use util::{Trace, virtual_loop};

#[test]
fn callbacks_run_first_in_first_out() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    for i in 0..100 {
        let t = t.clone();
        let _ = lp.call_soon(move |_| t.log(i.to_string()));
    }
    let _ = lp.call_soon(|lp| lp.stop());
    lp.run_forever().unwrap();
    let want: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(t.take(), want);
}

#[test]
fn callbacks_scheduled_during_a_run_wait_for_the_next_iteration() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let (ta, tb, tt) = (t.clone(), t.clone(), t.clone());
    let _ = lp.call_soon(move |lp| {
        ta.log("A");
        let ta = ta.clone();
        let _ = lp.call_soon(move |_| ta.log("A's child"));
    });
    let _ = lp.call_later(Duration::ZERO, move |_| tt.log("timer(0)"));
    let _ = lp.call_soon(move |_| tb.log("B"));
    // One iteration: A, B, then the due timer; A's child is next time.
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["A", "B", "timer(0)"]);
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["A's child"]);
}

/// A callback that reschedules itself forever cannot starve I/O or timers:
/// each iteration polls, and what the poll found runs beside it.
#[test]
fn a_self_rescheduling_callback_cannot_starve_io_or_timers() {
    fn spin(lp: &mut EventLoop, t: Trace, n: u32) {
        t.log(format!("spin {n}"));
        if n < 3 {
            let _ = lp.call_soon(move |lp| spin(lp, t, n + 1));
        } else {
            lp.stop();
        }
    }
    let mut lp = virtual_loop();
    let t = Trace::new();
    let (mut rx, mut tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    tx.write_all(b"x").unwrap();
    let t2 = t.clone();
    let _ = lp.call_soon(move |lp| spin(lp, t2, 1));
    let t2 = t.clone();
    let fd = rx.as_raw_fd();
    lp.add_reader(fd, move |lp| {
        let mut b = [0; 1];
        rx.read_exact(&mut b).unwrap();
        t2.log("io");
        lp.remove_reader(fd);
    })
    .unwrap();
    let t2 = t.clone();
    let _ = lp.call_later(Duration::ZERO, move |_| t2.log("timer"));
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["spin 1", "io", "timer", "spin 2", "spin 3"]);
}

/// The same on the real clock: a timer 5 ms out fires while a callback
/// keeps rescheduling itself, and stops it.
#[test]
fn a_spinning_callback_lets_a_real_timer_fire() {
    fn spin(lp: &mut EventLoop, count: std::rc::Rc<std::cell::Cell<u64>>) {
        count.set(count.get() + 1);
        let _ = lp.call_soon(move |lp| spin(lp, count));
    }
    let mut lp = EventLoop::new().unwrap();
    let count = std::rc::Rc::new(std::cell::Cell::new(0));
    let c = count.clone();
    let _ = lp.call_soon(move |lp| spin(lp, c));
    let _ = lp.call_later(Duration::from_millis(5), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert!(count.get() > 0);
}

/// Timers due together run in deadline order, ties in scheduling order,
/// all in one iteration: a callback scheduled by the first runs after the
/// last.
#[test]
fn due_timers_run_in_deadline_order_ties_fifo() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let s = Duration::from_secs;
    for (name, d) in [("c@3", 3), ("a1@1", 1), ("b@2", 2), ("a2@1", 1)] {
        let t = t.clone();
        let _ = lp.call_later(s(d), move |lp| {
            t.log(name);
            if name == "a1@1" {
                let t = t.clone();
                let _ = lp.call_soon(move |_| t.log("a1's child"));
            }
        });
    }
    let t2 = t.clone();
    let at = lp.time() + s(1);
    let _ = lp.call_at(at, move |_| t2.log("a3@1"));
    // Block the loop for 5 s: every timer is due at the next poll.
    let t2 = t.clone();
    let _ = lp.call_soon(move |lp| {
        t2.log("block 5 s");
        lp.clock().block_for(s(5));
    });
    let _ = lp.call_later(s(10), |lp| lp.stop());
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["block 5 s", "a1@1", "a2@1", "a3@1", "b@2", "c@3", "a1's child"]);
}

/// Readiness seen by a poll runs in that iteration: after what was queued
/// before the poll, before the timers that became due.
#[test]
fn io_callbacks_run_in_the_iteration_their_readiness_is_seen() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let (mut rx, tx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    let fd = rx.as_raw_fd();
    let t2 = t.clone();
    lp.add_reader(fd, move |lp| {
        let mut b = [0; 8];
        let n = rx.read(&mut b).unwrap();
        t2.log(format!("io {n}"));
        let t3 = t2.clone();
        let _ = lp.call_soon(move |lp| {
            t3.log("io's child");
            lp.stop();
        });
    })
    .unwrap();
    let t2 = t.clone();
    // A duplicate writes; `tx` stays open, so no end-of-file follows.
    let mut writer = tx.try_clone().unwrap();
    let _ = lp.call_soon(move |lp| {
        writer.write_all(b"ping").unwrap();
        t2.log("write");
        let t3 = t2.clone();
        let _ = lp.call_soon(move |_| t3.log("write's child"));
        let t3 = t2.clone();
        let _ = lp.call_later(Duration::ZERO, move |_| t3.log("timer(0)"));
    });
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["write", "write's child", "io 4", "timer(0)", "io's child"]);
    drop(tx);
}

#[test]
fn stop_finishes_the_iteration_and_keeps_the_rest_queued() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let t2 = t.clone();
    let _ = lp.call_soon(move |lp| {
        lp.stop();
        t2.log("stopper");
        let t3 = t2.clone();
        let _ = lp.call_soon(move |_| t3.log("next run"));
    });
    let t2 = t.clone();
    let _ = lp.call_soon(move |_| t2.log("same iteration"));
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["stopper", "same iteration"]);
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["next run"]);
}
