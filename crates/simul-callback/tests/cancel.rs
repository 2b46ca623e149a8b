//! `Handle::cancel` / `TimerHandle::cancel`: effective before the callback
//! runs, a no-op after.

mod util;

use std::rc::Rc;
use std::time::Duration;

use util::{Trace, virtual_loop};

#[test]
fn cancel_before_run_drops_the_callback_at_once() {
    let mut lp = virtual_loop();
    let captured = Rc::new(());
    let c = captured.clone();
    let h = lp.call_soon(move |_| drop(c));
    assert_eq!(Rc::strong_count(&captured), 2);
    assert!(h.cancel(&mut lp));
    assert_eq!(Rc::strong_count(&captured), 1, "cancel drops what the callback captured");
    assert!(!h.cancel(&mut lp), "twice is a no-op");
    lp.stop();
    lp.run_forever().unwrap();
}

#[test]
fn cancel_after_run_is_a_no_op() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let t2 = t.clone();
    let h = lp.call_soon(move |_| t2.log("ran"));
    // Queued after it, so cancelling it would be visible.
    let t2 = t.clone();
    let other = lp.call_soon(move |_| t2.log("other"));
    lp.stop();
    lp.run_forever().unwrap();
    assert!(!h.cancel(&mut lp));
    assert!(!other.cancel(&mut lp));
    assert_eq!(t.take(), ["ran", "other"]);
}

#[test]
fn an_earlier_callback_cancels_a_later_one_in_the_same_batch() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let t2 = t.clone();
    let victim_slot = Rc::new(std::cell::Cell::new(None::<simul_callback::Handle>));
    let v = victim_slot.clone();
    let _ = lp.call_soon(move |lp| {
        t2.log("first");
        assert!(v.get().unwrap().cancel(lp));
    });
    let t2 = t.clone();
    victim_slot.set(Some(lp.call_soon(move |_| t2.log("victim"))));
    let t2 = t.clone();
    let _ = lp.call_soon(move |_| t2.log("last"));
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["first", "last"]);
}

#[test]
fn a_callback_cannot_be_cancelled_while_it_runs() {
    let mut lp = virtual_loop();
    let me = Rc::new(std::cell::Cell::new(None));
    let m = me.clone();
    let h = lp.call_soon(move |lp| {
        let h: simul_callback::Handle = m.get().unwrap();
        assert!(!h.cancel(lp), "already running: too late");
    });
    me.set(Some(h));
    lp.stop();
    lp.run_forever().unwrap();
}

#[test]
fn timer_cancel_pending_due_and_fired() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let s = Duration::from_secs;
    let t2 = t.clone();
    let pending = lp.call_later(s(5), move |_| t2.log("never"));
    assert!(pending.cancel(&mut lp));
    assert!(!pending.cancel(&mut lp));

    // Two timers due in the same iteration: the first cancels the second
    // after it left the timer queue for the ready queue.
    let second = Rc::new(std::cell::Cell::new(None));
    let (t2, sec) = (t.clone(), second.clone());
    let _ = lp.call_later(s(1), move |lp| {
        t2.log("first");
        let h: simul_callback::TimerHandle = sec.get().unwrap();
        assert!(h.cancel(lp), "due but not yet run: cancellable");
    });
    let t2 = t.clone();
    second.set(Some(lp.call_later(s(1), move |_| t2.log("second"))));
    let t2 = t.clone();
    let fired = lp.call_later(s(2), move |lp| {
        t2.log("fired");
        lp.stop();
    });
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["first", "fired"]);
    assert!(!fired.cancel(&mut lp), "after it ran: no-op");
    assert!(!second.get().unwrap().cancel(&mut lp));
}

#[test]
fn an_old_timer_handle_does_not_cancel_the_timer_reusing_its_slot() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    let old = lp.call_later(Duration::from_secs(1), |_| {});
    assert!(old.cancel(&mut lp));
    let t2 = t.clone();
    let _new = lp.call_later(Duration::from_secs(1), move |lp| {
        t2.log("new");
        lp.stop();
    });
    assert!(!old.cancel(&mut lp));
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["new"]);
}

#[test]
fn handles_from_another_loop_are_ignored() {
    let mut a = virtual_loop();
    let mut b = virtual_loop();
    let t = Trace::new();
    let t2 = t.clone();
    let ha = a.call_soon(|_| {});
    let th = a.call_later(Duration::from_secs(1), |_| {});
    let _ = b.call_soon(move |lp| {
        t2.log("b ran");
        lp.stop();
    });
    assert!(!ha.cancel(&mut b));
    assert!(!th.cancel(&mut b));
    b.run_forever().unwrap();
    assert_eq!(t.take(), ["b ran"]);
    assert!(ha.cancel(&mut a));
    assert!(th.cancel(&mut a));
}
