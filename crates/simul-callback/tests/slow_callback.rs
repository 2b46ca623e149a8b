//! Debug mode: a callback slower than the threshold is reported with the
//! line that scheduled it and how long it ran.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{CallbackKind, EventLoop, SlowCallback};
use util::virtual_loop;

fn recording(lp: &mut EventLoop) -> Rc<RefCell<Vec<SlowCallback>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    lp.set_slow_callback_hook(move |report| r.borrow_mut().push(*report));
    reports
}

#[test]
fn a_blocking_callback_is_reported_with_its_scheduling_line() {
    let mut lp = virtual_loop();
    lp.set_debug(true);
    let reports = recording(&mut lp);
    let _ = lp.call_soon(|lp| lp.clock().block_for(Duration::from_millis(99))); // under 100 ms
    let line = line!() + 1;
    let _ = lp.call_soon(|lp| lp.clock().block_for(Duration::from_secs(4)));
    let quarter = |lp: &mut EventLoop| lp.clock().block_for(Duration::from_millis(250));
    let timer_line = line!() + 1;
    let _ = lp.call_later(Duration::from_secs(1), quarter);
    let _ = lp.call_later(Duration::from_secs(10), |lp| lp.stop());
    lp.run_forever().unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(reports[0].duration, Duration::from_secs(4));
    assert_eq!(reports[0].kind, CallbackKind::CallSoon);
    assert_eq!(reports[0].location.line(), line);
    assert!(reports[0].location.file().ends_with("slow_callback.rs"));
    assert_eq!(reports[1].duration, Duration::from_millis(250));
    assert_eq!(reports[1].kind, CallbackKind::Timer);
    assert_eq!(reports[1].location.line(), timer_line);
    assert!(reports[0].to_string().contains("took 4.000 seconds"));
}

#[test]
fn off_by_default_and_threshold_settable() {
    let mut lp = virtual_loop();
    let reports = recording(&mut lp);
    let _ = lp.call_soon(|lp| lp.clock().block_for(Duration::from_secs(4)));
    lp.stop();
    lp.run_forever().unwrap();
    assert!(reports.borrow().is_empty(), "debug mode is off by default");

    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(10));
    let _ = lp.call_soon(|lp| lp.clock().block_for(Duration::from_millis(10)));
    let _ = lp.call_soon(|lp| lp.clock().block_for(Duration::from_millis(9)));
    lp.stop();
    lp.run_forever().unwrap();
    let got: Vec<_> = reports.borrow().iter().map(|r| r.duration).collect();
    assert_eq!(got, [Duration::from_millis(10)]);
}

#[test]
fn threadsafe_and_io_callbacks_carry_their_own_kind() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let mut lp = virtual_loop();
    lp.set_debug(true);
    let reports = recording(&mut lp);
    let (rx, mut tx) = std::os::unix::net::UnixStream::pair().unwrap();
    tx.write_all(b"x").unwrap();
    let fd = rx.as_raw_fd();
    lp.add_reader(fd, move |lp| {
        lp.clock().block_for(Duration::from_secs(1));
        lp.remove_reader(fd);
    })
    .unwrap();
    lp.handle().call_soon_threadsafe(|lp| lp.clock().block_for(Duration::from_secs(2))).unwrap();
    let _ = lp.call_later(Duration::from_secs(5), |lp| lp.stop());
    lp.run_forever().unwrap();
    let mut kinds: Vec<_> =
        reports.borrow().iter().map(|r| (r.kind, r.duration.as_secs())).collect();
    kinds.sort_by_key(|(_, d)| *d);
    assert_eq!(kinds, [(CallbackKind::Reader, 1), (CallbackKind::Threadsafe, 2)]);
    drop(rx);
}
