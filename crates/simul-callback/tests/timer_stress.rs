//! 100k timers, half cancelled (some from inside other timers'
//! callbacks): exactly the survivors fire, in deadline order with ties in
//! scheduling order, none early.

mod util;

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::TimerHandle;
use util::virtual_loop;

#[test]
fn exactly_the_survivors_fire_in_order_none_early() {
    const N: usize = 100_000;
    let mut lp = virtual_loop();
    // A fixed pseudo-random sequence (LCG): deadlines 0..1000 ms, so that
    // many share a deadline.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        x >> 33
    };
    let fired = Rc::new(RefCell::new(Vec::with_capacity(N)));
    let handles: Rc<RefCell<Vec<TimerHandle>>> = Rc::new(RefCell::new(Vec::with_capacity(N)));
    let mut deadline_of = Vec::with_capacity(N);
    // Timer i, when it fires, cancels timer `victim[i]` if that is one of
    // the timers chosen to be cancelled from inside a callback.
    let mut cancelled = HashSet::new();
    let mut cancel_in_callback = Vec::with_capacity(N);
    for i in 0..N {
        let ms = next() % 1000;
        deadline_of.push(ms);
        let (f, h) = (fired.clone(), handles.clone());
        let victim = Rc::new(RefCell::new(None::<usize>));
        let v = victim.clone();
        let handle = lp.call_later(Duration::from_millis(ms), move |lp| {
            assert!(lp.time().since_origin() >= Duration::from_millis(ms), "timer {i} early");
            f.borrow_mut().push(i);
            if let Some(j) = *v.borrow() {
                let hj: TimerHandle = h.borrow()[j];
                hj.cancel(lp);
            }
        });
        cancel_in_callback.push(victim);
        handles.borrow_mut().push(handle);
    }
    // Half are cancelled: a third of those up front, the rest by a timer
    // with an earlier deadline.
    let (mut cursor, mut in_callback) = (1, 0);
    for i in (0..N).step_by(2) {
        if i % 3 == 0 {
            assert!(handles.borrow()[i].cancel(&mut lp));
            cancelled.insert(i);
        } else {
            // Find an unused surviving (odd) timer that fires strictly
            // earlier, scanning on from where the last search stopped.
            let killer =
                (0..N / 2).map(|step| ((cursor + 2 * step) % N) | 1).take(2000).find(|&k| {
                    deadline_of[k] < deadline_of[i] && cancel_in_callback[k].borrow().is_none()
                });
            match killer {
                Some(k) => {
                    *cancel_in_callback[k].borrow_mut() = Some(i);
                    cursor = k + 2;
                    in_callback += 1;
                }
                None => assert!(handles.borrow()[i].cancel(&mut lp)),
            }
            cancelled.insert(i);
        }
    }
    assert!(in_callback > N / 8, "only {in_callback} cancelled from callbacks");
    let _ = lp.call_later(Duration::from_secs(2), |lp| lp.stop());
    lp.run_forever().unwrap();

    let mut want: Vec<usize> = (0..N).filter(|i| !cancelled.contains(i)).collect();
    want.sort_by_key(|&i| (deadline_of[i], i));
    assert_eq!(*fired.borrow(), want);
}
