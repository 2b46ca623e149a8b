//! `EventLoop::getaddrinfo`: names are resolved on the executor's pool,
//! off the loop, and the answer comes back as a callback on the loop.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use simul_callback::{Deferred, EventLoop};

#[test]
fn an_ip_address_resolves_to_itself() {
    let mut lp = EventLoop::new().unwrap();
    let found = Deferred::new();
    let f = found.clone();
    lp.getaddrinfo("::1", 443, move |_, r| {
        let _ = f.set_result(r.map_err(|e| e.to_string()));
    })
    .unwrap();
    let addrs = lp.run_until_complete(&found).unwrap().unwrap();
    assert_eq!(addrs, ["[::1]:443".parse::<SocketAddr>().unwrap()]);
}

#[test]
fn localhost_resolves_to_loopback_and_the_answer_arrives_on_the_loop() {
    let mut lp = EventLoop::new().unwrap();
    let found = Deferred::new();
    let f = found.clone();
    let loop_thread = thread::current().id();
    lp.getaddrinfo("localhost", 80, move |_, r| {
        assert_eq!(thread::current().id(), loop_thread, "done runs on the loop");
        let _ = f.set_result(r.map_err(|e| e.to_string()));
    })
    .unwrap();
    let addrs = lp.run_until_complete(&found).unwrap().unwrap();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80), "{addrs:?}");
}

#[test]
fn the_loop_keeps_running_callbacks_while_a_lookup_is_pending() {
    // The executor is where blocking calls go. With one worker, held by a
    // job that waits for the loop's own timer (a stand-in for a resolver
    // waiting on DNS), the lookup can only finish after the loop has run
    // that timer: so the loop was not blocked while the lookup waited.
    let mut lp = EventLoop::new().unwrap();
    lp.set_executor_workers(NonZeroUsize::MIN);
    let (tx, rx) = mpsc::channel::<()>();
    lp.run_in_executor(move || rx.recv_timeout(Duration::from_secs(30)), |_, _| {}).unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    let found = Deferred::new();
    let (o, f) = (order.clone(), found.clone());
    lp.getaddrinfo("127.0.0.1", 9, move |_, r| {
        o.borrow_mut().push("resolved");
        let _ = f.set_result(r.is_ok());
    })
    .unwrap();
    let o = order.clone();
    lp.call_later(Duration::from_millis(1), move |_| {
        o.borrow_mut().push("timer");
        tx.send(()).unwrap();
    });
    assert!(lp.run_until_complete(&found).unwrap());
    assert_eq!(*order.borrow(), ["timer", "resolved"]);
}
