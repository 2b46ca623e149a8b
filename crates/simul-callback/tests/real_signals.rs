//! Reliability item 10, real signals, for the callback loop: a handler
//! installed without `SA_RESTART` and another OS thread sending it to the
//! loop's thread every ~100 µs (`pthread_kill`), so thousands of signals
//! land while the loop is blocked in `epoll_wait` or is in the middle of
//! `read`, `write`, `accept` and `connect`. Nothing may change: `call_at`
//! and `call_later` timers never run early and run in order, a TCP echo
//! through `create_server`/`create_connection` comes back byte-exact with
//! both connections ending cleanly, an idle wait lasts its whole time, and
//! no `Interrupted` reaches a protocol or the loop's caller.
//!
//! `scripts/eintr.sh` fakes `EINTR` with strace; this file makes the
//! kernel produce it. The handler counts deliveries, so the test fails if
//! the signals never land, and (on Linux x86-64 and aarch64) it also
//! counts the deliveries that cut a system call short with `EINTR`, read
//! from the saved return register, so the tests that block fail if no
//! blocked call was ever interrupted.
//! The storm (handler, sender thread, counters) is
//! `simul_testkit::signal_storm`, shared by every crate's `real_signals.rs`.
//!
//! CI size: one round of 2 x 200 timers, echoes of 4, 2, 1 and 0.5 MiB, one
//! 100 ms idle wait; each is repeated (up to a bound) until enough signals
//! have landed. `SIMUL_FULL=1`: 20 rounds of timers, echoes from 64 MiB,
//! idle waits of 1 s.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Deferred, EventLoop, Protocol, Transport};
use simul_reactor::Instant;
use simul_testkit::data::pattern;
use simul_testkit::env::full;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use simul_testkit::signal_storm::{Storm, serial};

/// Callbacks record what they saw; the checks run after the loop, so
/// nothing depends on how the loop treats a panicking callback.
type Log<T> = Rc<RefCell<Vec<T>>>;

/// `call_at` timers at distinct deadlines between 1 and 20 ms, scheduled
/// in a scrambled order, and `call_later` timers of 1 to 20 ms: none runs
/// before its time, and the `call_at` ones run in deadline order.
#[test]
fn timers_are_never_early_and_run_in_order_under_signals() {
    let _serial = serial();
    // More timers would not all be pending at once: setting up thousands
    // takes longer than 20 ms in a debug build. The full size runs more
    // rounds instead.
    let count: u64 = 200;
    let rounds = if full() { 20 } else { 1 };
    let mut lp = EventLoop::new().unwrap();
    let storm = Storm::start();
    storm.repeat(rounds, 40, |round| {
        let base = lp.time();
        // (index, deadline, when it ran) of the `call_at` timers.
        let at: Log<(u64, Instant, Instant)> = Rc::default();
        // (earliest allowed, when it ran) of the `call_later` timers.
        let later: Log<(Instant, Instant)> = Rc::default();
        // A permutation of 0..count (7919 is prime, count is no multiple).
        for i in (0..count).map(|i| i * 7919 % count) {
            // 1 ms + i * (19 ms / count): distinct, spread over 1..20 ms.
            let deadline =
                base + Duration::from_millis(1) + Duration::from_micros(19_000 * i / count);
            let log = at.clone();
            lp.call_at(deadline, move |lp| log.borrow_mut().push((i, deadline, lp.time())));
            let delay = Duration::from_millis(1 + i % 20);
            let earliest = lp.time() + delay;
            let log = later.clone();
            lp.call_later(delay, move |lp| log.borrow_mut().push((earliest, lp.time())));
        }
        let (a, l) = (at.clone(), later.clone());
        lp.run_until(move |_| a.borrow().len() + l.borrow().len() == 2 * count as usize).unwrap();
        let at = at.take();
        for &(i, deadline, ran) in &at {
            assert!(ran >= deadline, "round {round}: call_at {i} ran {:?} early", deadline - ran);
        }
        let order: Vec<u64> = at.iter().map(|&(i, _, _)| i).collect();
        assert_eq!(order, (0..count).collect::<Vec<_>>(), "round {round}: out of order");
        for &(earliest, ran) in later.borrow().iter() {
            assert!(ran >= earliest, "round {round}: call_later ran {:?} early", earliest - ran);
        }
    });
    storm.finish();
}

/// The server side: writes back what it reads, and on EOF lets the
/// transport flush and close (the default `eof_received`); logs how its
/// connection ended.
struct Echo(Log<Option<io::Error>>);

impl Protocol for Echo {
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        t.write(data).unwrap();
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        self.0.borrow_mut().push(error);
    }
}

/// How long the client pauses halfway, so that the loop blocks in
/// `epoll_wait` in the middle of the transfer, with both sockets idle.
const PAUSE: Duration = Duration::from_millis(2);

/// The client side: sends the first half, and once that has come back
/// waits [`PAUSE`] and sends the rest and half-closes; hands back what
/// came back and how the connection ended.
struct Client {
    data: Rc<[u8]>,
    got: Vec<u8>,
    paused: bool,
    done: Deferred<(Vec<u8>, Option<io::Error>)>,
}

/// Writes `data` in 64 KiB pieces, so writing goes through many partial
/// writes.
fn write_chunks(t: &Transport, data: &[u8]) {
    for chunk in data.chunks(64 << 10) {
        t.write(chunk).unwrap();
    }
}

impl Protocol for Client {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        write_chunks(t, &self.data[..self.data.len() / 2]);
    }
    fn data_received(&mut self, lp: &mut EventLoop, t: &Transport, data: &[u8]) {
        self.got.extend_from_slice(data);
        if !self.paused && self.got.len() >= self.data.len() / 2 {
            self.paused = true;
            let (t, data) = (t.clone(), self.data.clone());
            lp.call_later(PAUSE, move |_| {
                write_chunks(&t, &data[data.len() / 2..]);
                t.write_eof().unwrap();
            });
        }
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        let _ = self.done.set_result((std::mem::take(&mut self.got), error));
    }
}

/// A TCP echo of a few MiB through the loop's server and a connection of
/// the same loop, several connections in turn (so connect and accept run
/// under the signals too): every byte comes back, both ends close
/// cleanly, and no descriptor is left open.
/// The client pauses [`PAUSE`] halfway, so signals also cut short a wait
/// in the middle of the transfer: some must, where that is counted.
#[test]
fn tcp_echo_is_byte_exact_under_signals() {
    let _serial = serial();
    let len = if full() { 64 << 20 } else { 4 << 20 };
    let data: Rc<[u8]> = pattern(len, 10).into();
    let fds = FdSnapshot::take();
    let mut lp = EventLoop::new().unwrap();
    let lost: Log<Option<io::Error>> = Rc::default();
    let l = lost.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Echo(l.clone()))).unwrap();
    let storm = Storm::start();
    storm.repeat(4, 40, |round| {
        let sent: Rc<[u8]> = data[..len >> (round % 4)].into();
        let done = Deferred::new();
        let client =
            Client { data: sent.clone(), got: Vec::new(), paused: false, done: done.clone() };
        lp.create_connection(server.local_addr(), client).unwrap();
        // A hang fails the test instead of blocking the run.
        let watchdog = lp.call_later(Duration::from_secs(60), |lp| lp.stop());
        let (back, error) = lp.run_until_complete(&done).unwrap();
        assert!(error.is_none(), "round {round}: client lost its connection: {error:?}");
        assert_eq!(back.len(), sent.len(), "round {round}: echo length");
        assert!(*back == *sent, "round {round}: echo differs from what was sent");
        let l = lost.clone();
        lp.run_until(move |_| l.borrow().len() == round + 1).unwrap();
        watchdog.cancel(&mut lp);
    });
    storm.finish();
    for error in lost.borrow().iter() {
        assert!(error.is_none(), "the server lost a connection: {error:?}");
    }
    server.close();
    let _ = lp.run_until(|_| false);
    drop(lp);
    assert_no_leaks(&fds);
}

/// Waiting with nothing to do: a loop whose only timer is 100 ms away
/// runs it no earlier, however often its wait is interrupted.
#[test]
fn an_idle_wait_lasts_until_its_deadline_under_signals() {
    let _serial = serial();
    let wait = if full() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    let mut lp = EventLoop::new().unwrap();
    let storm = Storm::start();
    storm.repeat(1, 20, |round| {
        let earliest = lp.time() + wait;
        let done = Deferred::new();
        let d = done.clone();
        lp.call_later(wait, move |lp| {
            let _ = d.set_result(lp.time());
        });
        let ran = lp.run_until_complete(&done).unwrap();
        assert!(ran >= earliest, "round {round}: ran {:?} early", earliest - ran);
    });
    storm.finish();
}
