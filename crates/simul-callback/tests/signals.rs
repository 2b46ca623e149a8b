//! add_signal_handler: a signal runs its handler on the loop, in an
//! ordinary iteration; signals that arrive together are coalesced.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::EventLoop;
use simul_reactor::Signal;

#[test]
fn a_signal_runs_its_handler_on_the_loop() {
    let mut lp = EventLoop::new().unwrap();
    let calls = Rc::new(Cell::new(0));
    lp.add_signal_handler(Signal::USR1, |_| unreachable!("replaced")).unwrap();
    let c = calls.clone();
    lp.add_signal_handler(Signal::USR1, move |lp| {
        c.set(c.get() + 1);
        lp.stop();
    })
    .unwrap();
    Signal::USR1.raise().unwrap();
    Signal::USR1.raise().unwrap();
    lp.run_forever().unwrap();
    assert_eq!(calls.get(), 1, "two signals before the loop looked: one call");

    // A signal from another thread while the loop blocks in poll.
    let t = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(20));
        Signal::USR1.raise().unwrap();
    });
    lp.run_forever().unwrap();
    t.join().unwrap();
    assert_eq!(calls.get(), 2);

    assert!(lp.remove_signal_handler(Signal::USR1));
    assert!(!lp.remove_signal_handler(Signal::USR1));
    assert!(lp.add_signal_handler(Signal::KILL, |_| {}).is_err());
}
