//! A panicking callback does not poison the loop: the exception handler
//! hears about it and the loop goes on.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{CallbackKind, EventLoop, ExceptionContext};
use util::{Trace, virtual_loop};

fn recording(lp: &mut EventLoop) -> Rc<RefCell<Vec<String>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    lp.set_exception_handler(move |_, ctx: ExceptionContext| {
        let loc = ctx.location.map(|l| l.line()).unwrap_or(0);
        s.borrow_mut().push(format!(
            "{:?} line {loc}: {}",
            ctx.kind.unwrap_or(CallbackKind::CallSoon),
            ctx.panic_message().unwrap_or("?")
        ));
    });
    seen
}

#[test]
fn the_batch_goes_on_after_a_panic() {
    let mut lp = virtual_loop();
    let seen = recording(&mut lp);
    let t = Trace::new();
    let t2 = t.clone();
    let _ = lp.call_soon(move |_| t2.log("before"));
    let line = line!() + 1;
    let _ = lp.call_soon(|_| panic!("boom"));
    let t2 = t.clone();
    let _ = lp.call_soon(move |_| t2.log("after"));
    let timer_line = line!() + 1;
    let _ = lp.call_later(Duration::ZERO, |_| panic!("timer boom"));
    let t2 = t.clone();
    let _ = lp.call_later(Duration::ZERO, move |_| t2.log("timer after"));
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["before", "after", "timer after"]);
    assert_eq!(
        *seen.borrow(),
        [format!("CallSoon line {line}: boom"), format!("Timer line {timer_line}: timer boom")]
    );
}

#[test]
fn a_panicking_reader_stays_registered() {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    let mut lp = virtual_loop();
    let seen = recording(&mut lp);
    let (mut rx, mut tx) = std::os::unix::net::UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    tx.write_all(b"ab").unwrap();
    let fd = rx.as_raw_fd();
    let t = Trace::new();
    let t2 = t.clone();
    lp.add_reader(fd, move |lp| {
        let mut b = [0; 1];
        rx.read_exact(&mut b).unwrap();
        t2.log(String::from_utf8_lossy(&b).into_owned());
        if b[0] == b'a' {
            panic!("bad byte");
        }
        lp.remove_reader(fd);
        lp.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["a", "b"]);
    assert_eq!(seen.borrow().len(), 1);
    assert!(seen.borrow()[0].starts_with("Reader"));
}

#[test]
fn a_panicking_handler_and_the_default_handler_do_not_stop_the_loop() {
    let mut lp = virtual_loop();
    let t = Trace::new();
    lp.set_exception_handler(|_, _| panic!("the handler is broken too"));
    let _ = lp.call_soon(|_| panic!("first"));
    let t2 = t.clone();
    let _ = lp.call_soon(move |_| t2.log("still running"));
    lp.stop();
    lp.run_forever().unwrap();
    // The default handler prints to stderr.
    lp.reset_exception_handler();
    let _ = lp.call_soon(|_| panic!("second"));
    let t2 = t.clone();
    let _ = lp.call_soon(move |_| t2.log("and still"));
    lp.stop();
    lp.run_forever().unwrap();
    assert_eq!(t.take(), ["still running", "and still"]);
}

#[test]
fn the_handler_can_stop_the_loop() {
    let mut lp = virtual_loop();
    lp.set_exception_handler(|lp, _| lp.stop());
    let _ = lp.call_soon(|_| panic!("fatal for this run"));
    let _ = lp.call_later(Duration::from_secs(60), |_| unreachable!("the run stopped first"));
    lp.run_forever().unwrap();
    assert_eq!(lp.time(), simul_reactor::Instant::ZERO);
}
