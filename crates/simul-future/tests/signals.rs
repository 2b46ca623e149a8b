//! Signals as events: `raise(SIGUSR1)` seen by a stream, coalescing,
//! several listeners, and `ctrl_c`.
//!
//! One test per signal number, because the test threads share the
//! process's signal dispositions.

use std::time::Duration;

use simul_future::{Runtime, SignalStream, ctrl_c, join, signal, timeout, yield_now};
use simul_reactor::Signal;

#[test]
fn a_raised_sigusr1_is_seen_by_every_listener_and_arrivals_coalesce() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut a = signal(Signal::USR1)?;
        let mut b = SignalStream::new(&[Signal::USR1])?;
        let waiter = async { a.recv().await };
        let raiser = async {
            yield_now().await; // the waiter is parked by now
            Signal::USR1.raise()
        };
        let (got, raised) = join(waiter, raiser).await;
        raised?;
        assert_eq!(got?, Signal::USR1);
        assert_eq!(b.recv().await?, Signal::USR1, "each listener gets it");

        for _ in 0..10 {
            Signal::USR1.raise()?;
        }
        assert_eq!(a.recv().await?, Signal::USR1);
        let again = timeout(Duration::from_millis(30), a.recv()).await;
        assert!(again.is_err(), "ten raises before one recv coalesce into one");
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn ctrl_c_completes_on_sigint_instead_of_ending_the_process() {
    let mut rt = Runtime::new().unwrap();
    let (stopped, raised) = rt
        .block_on(join(ctrl_c(), async {
            yield_now().await;
            Signal::INT.raise()
        }))
        .unwrap();
    raised.unwrap();
    stopped.unwrap();
}

#[test]
fn uncatchable_signals_are_refused() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let err = signal(Signal::KILL).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    })
    .unwrap();
}
