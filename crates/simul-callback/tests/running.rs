//! run_forever / run_until / run_until_complete: how runs end.

mod util;

use std::time::Duration;

use simul_callback::{Deferred, Error, EventLoop};
use util::virtual_loop;

#[test]
fn an_empty_loop_reports_stalled_instead_of_hanging() {
    let mut lp = virtual_loop();
    assert!(matches!(lp.run_forever(), Err(Error::Stalled)));
    let d = Deferred::<()>::new();
    let _ = lp.call_later(Duration::from_secs(1), |_| {});
    assert!(matches!(lp.run_until_complete(&d), Err(Error::Stalled)));
    assert_eq!(lp.time().since_origin(), Duration::from_secs(1), "the timer ran first");
    assert!(!lp.is_running());
}

#[test]
fn stop_before_the_result_is_an_error() {
    let mut lp = virtual_loop();
    let d = Deferred::<u8>::new();
    let _ = lp.call_soon(|lp| lp.stop());
    assert!(matches!(lp.run_until_complete(&d), Err(Error::Stopped)));
    // The loop is usable again.
    let d2 = d.clone();
    let _ = lp.call_soon(move |_| d2.set_result(1).unwrap());
    assert_eq!(lp.run_until_complete(&d).unwrap(), 1);
}

#[test]
fn a_result_taken_by_someone_else() {
    let mut lp = virtual_loop();
    let d = Deferred::new();
    let d2 = d.clone();
    let _ = lp.call_soon(move |_| {
        d2.set_result(5).unwrap();
        assert_eq!(d2.take(), Some(5));
    });
    assert!(matches!(lp.run_until_complete(&d), Err(Error::Taken)));
}

#[test]
fn runs_do_not_nest() {
    let mut lp = virtual_loop();
    let _ = lp.call_soon(|lp| {
        assert!(matches!(lp.run_forever(), Err(Error::AlreadyRunning)));
        assert!(matches!(lp.run_until(|_| true), Err(Error::AlreadyRunning)));
        lp.stop();
    });
    lp.run_forever().unwrap();
}

#[test]
fn run_until_checks_before_the_first_iteration() {
    let mut lp = virtual_loop();
    let _ = lp.call_soon(|_| unreachable!("no iteration ran"));
    lp.run_until(|_| true).unwrap();
}

#[test]
fn dropping_a_busy_loop_drops_everything_once() {
    let lp_captures = std::rc::Rc::new(());
    {
        let mut lp = EventLoop::new().unwrap();
        for _ in 0..1000 {
            let c = lp_captures.clone();
            let _ = lp.call_soon(move |_| drop(c));
            let c = lp_captures.clone();
            let _ = lp.call_later(Duration::from_secs(3600), move |_| drop(c));
        }
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let c = lp_captures.clone();
        use std::os::fd::AsRawFd;
        lp.add_reader(a.as_raw_fd(), move |_| drop(c.clone())).unwrap();
        drop(lp);
    }
    assert_eq!(std::rc::Rc::strong_count(&lp_captures), 1);
}
