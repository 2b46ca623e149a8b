//! Reliability item 10, real signals: a handler installed without
//! `SA_RESTART` and another OS thread sending it to the reactor's thread
//! every ~100 µs (`pthread_kill`), so thousands of signals land while the
//! thread is blocked in `epoll_wait` or is in the middle of `read`,
//! `write`, `accept` and `connect`. Nothing may change: timers wait their
//! whole time, in order, a TCP echo comes back byte-exact, an idle wait
//! lasts until its deadline, and no `Interrupted` reaches the caller.
//!
//! `scripts/eintr.sh` fakes `EINTR` with strace; this file makes the
//! kernel produce it. The handler counts deliveries, so the test fails if
//! the signals never land, and (on Linux x86-64 and aarch64) it also
//! counts the deliveries that cut a system call short with `EINTR`, read
//! from the saved return register, so the test fails if the signals never
//! interrupt a blocked call either.
//! The storm (handler, sender thread, counters) is
//! `simul_testkit::signal_storm`, shared by every crate's `real_signals.rs`.
//!
//! CI size: one round of 200 timers, echoes of 4, 2, 1 and 0.5 MiB, one
//! 100 ms idle wait; each is repeated (up to a bound) until enough signals
//! have landed. `SIMUL_FULL=1`: 20 rounds of timers, echoes from 64 MiB,
//! idle waits of 1 s.

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::Duration;

use simul_reactor::net::{TcpListener, TcpStream};
use simul_reactor::{Events, Interest, Reactor, TimerQueue, Token};
use simul_testkit::data::pattern;
use simul_testkit::env::full;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use simul_testkit::signal_storm::{Storm, serial};

/// Timers at distinct deadlines between 1 and 20 ms, inserted in a
/// scrambled order: the reactor's waits last until each deadline (no
/// poll returns empty before it), and the timers fire in deadline order.
#[test]
fn timers_wait_their_whole_time_and_fire_in_order_under_signals() {
    let _serial = serial();
    // More timers would not all be pending at once: setting up thousands
    // takes longer than 20 ms in a debug build. The full size runs more
    // rounds instead.
    let count: u64 = 200;
    let rounds = if full() { 20 } else { 1 };
    let mut reactor = Reactor::new().unwrap();
    let storm = Storm::start();
    storm.repeat(rounds, 40, |round| {
        let base = reactor.now();
        let mut timers = TimerQueue::new();
        // A permutation of 0..count (7919 is prime, count is no multiple).
        for i in (0..count).map(|i| i * 7919 % count) {
            // 1 ms + i * (19 ms / count): distinct, spread over 1..20 ms.
            let offset = Duration::from_millis(1) + Duration::from_micros(19_000 * i / count);
            timers.insert(base + offset, i);
        }
        let mut events = Events::with_capacity(16);
        let mut fired = Vec::new();
        while let Some(next) = timers.next_deadline() {
            reactor.poll(&mut events, Some(next)).unwrap();
            let now = reactor.now();
            assert!(events.is_empty(), "no descriptor is registered");
            assert!(now >= next, "round {round}: poll returned {:?} early", next - now);
            while let Some((_, i)) = timers.pop_due(now) {
                fired.push(i);
            }
        }
        assert_eq!(fired, (0..count).collect::<Vec<_>>(), "round {round}: out of order");
    });
    storm.finish();
}

/// One end of the echo.
#[derive(Default)]
struct Side {
    outgoing: Vec<u8>,
    /// How much of `outgoing` may be written for now.
    limit: usize,
    written: usize,
    incoming: Vec<u8>,
    eof: bool,
    shut_down: bool,
}

impl Side {
    /// Reads until `WouldBlock` or EOF; any other error fails the test,
    /// `Interrupted` first of all.
    fn drain(&mut self, stream: &TcpStream) {
        let mut buf = [0u8; 16 << 10];
        loop {
            match (&*stream).read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => self.incoming.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("read: {e} ({:?})", e.kind()),
            }
        }
    }

    /// Writes until everything queued is out or `WouldBlock`.
    fn flush(&mut self, stream: &TcpStream) {
        let limit = self.limit.min(self.outgoing.len());
        while self.written < limit {
            match (&*stream).write(&self.outgoing[self.written..limit]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("write: {e} ({:?})", e.kind()),
            }
        }
    }
}

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// How long the client pauses halfway, so that the reactor blocks in
/// `epoll_wait` in the middle of the transfer, with both sockets idle.
const PAUSE: Duration = Duration::from_millis(2);

/// Connects, accepts and echoes `data` through small socket buffers, both
/// ends driven by one reactor on this thread, the client pausing for
/// [`PAUSE`] once the first half has come back; returns what came back.
fn echo(data: &[u8]) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.set_send_buffer_size(32 << 10).unwrap();
    client.set_recv_buffer_size(32 << 10).unwrap();
    let mut reactor = Reactor::new().unwrap();
    reactor.register(listener.as_raw_fd(), LISTENER, Interest::READABLE).unwrap();
    reactor.register(client.as_raw_fd(), CLIENT, Interest::BOTH).unwrap();
    let half = data.len() / 2;
    let mut c = Side { outgoing: data.to_vec(), limit: half, ..Side::default() };
    let mut s = Side { limit: usize::MAX, ..Side::default() };
    let mut pause_until = None;
    let mut server: Option<TcpStream> = None;
    let mut connected = false;
    let mut events = Events::with_capacity(16);
    while !c.eof {
        if c.limit == half && pause_until.is_none() && c.incoming.len() >= half {
            pause_until = Some(reactor.now() + PAUSE);
        }
        let pausing = c.limit == half && pause_until.is_some();
        let deadline = match pause_until {
            Some(until) if pausing => until,
            _ => reactor.now() + Duration::from_secs(20),
        };
        reactor.poll(&mut events, Some(deadline)).unwrap();
        if pausing && reactor.now() >= deadline {
            // The pause is over: nothing will say writable again (edge
            // triggered), so write the rest now.
            c.limit = usize::MAX;
            c.flush(&client);
            if c.written == c.outgoing.len() && !c.shut_down {
                client.shutdown(Shutdown::Write).unwrap();
                c.shut_down = true;
            }
        }
        assert!(pausing || !events.is_empty(), "stalled for 20 s");
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            reactor.register(stream.as_raw_fd(), SERVER, Interest::BOTH).unwrap();
                            server = Some(stream);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept: {e} ({:?})", e.kind()),
                    }
                },
                CLIENT => {
                    if !connected {
                        assert!(client.take_error().unwrap().is_none());
                        match client.peer_addr() {
                            Ok(_) => connected = true,
                            Err(e) if e.kind() == ErrorKind::NotConnected => continue,
                            Err(e) => panic!("connect: {e} ({:?})", e.kind()),
                        }
                    }
                    c.flush(&client);
                    if c.written == c.outgoing.len() && !c.shut_down {
                        client.shutdown(Shutdown::Write).unwrap();
                        c.shut_down = true;
                    }
                    c.drain(&client);
                }
                SERVER => {
                    let stream = server.as_ref().expect("accepted before its events");
                    s.drain(stream);
                    s.outgoing.append(&mut s.incoming);
                    s.flush(stream);
                    if s.eof && s.written == s.outgoing.len() && !s.shut_down {
                        stream.shutdown(Shutdown::Write).unwrap();
                        s.shut_down = true;
                    }
                }
                other => panic!("unexpected token {other:?}"),
            }
        }
    }
    reactor.deregister(client.as_raw_fd()).unwrap();
    reactor.deregister(listener.as_raw_fd()).unwrap();
    if let Some(stream) = &server {
        reactor.deregister(stream.as_raw_fd()).unwrap();
    }
    c.incoming
}

/// A TCP echo of a few MiB, connect and accept included, with both ends
/// on one reactor: the bytes come back exactly, and every descriptor is
/// closed afterwards.
/// The client pauses [`PAUSE`] halfway, so signals also cut short a wait
/// in the middle of the transfer: some must, where that is counted.
#[test]
fn tcp_echo_is_byte_exact_under_signals() {
    let _serial = serial();
    let len = if full() { 64 << 20 } else { 4 << 20 };
    let data = pattern(len, 10);
    let fds = FdSnapshot::take();
    let storm = Storm::start();
    // Several connections, so connect and accept run under the storm too;
    // the rounds halve in size.
    storm.repeat(4, 40, |round| {
        let sent = &data[..len >> (round % 4)];
        let back = echo(sent);
        assert_eq!(back.len(), sent.len(), "round {round}: echo length");
        assert!(back == sent, "round {round}: echo differs from what was sent");
    });
    storm.finish();
    assert_no_leaks(&fds);
}

/// Waiting with nothing to do: one `poll` with a deadline 100 ms ahead
/// returns no events, and not before the deadline, however many times
/// `epoll_wait` is interrupted on the way.
#[test]
fn an_idle_wait_lasts_until_its_deadline_under_signals() {
    let _serial = serial();
    let wait = if full() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    let mut reactor = Reactor::new().unwrap();
    // An idle registered socket, so the wait is on a descriptor too.
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    reactor.register(listener.as_raw_fd(), LISTENER, Interest::READABLE).unwrap();
    let storm = Storm::start();
    let mut events = Events::with_capacity(16);
    storm.repeat(1, 20, |round| {
        let deadline = reactor.now() + wait;
        reactor.poll(&mut events, Some(deadline)).unwrap();
        assert!(events.is_empty(), "an idle listener reported {:?}", events.iter().next());
        let now = reactor.now();
        assert!(now >= deadline, "round {round}: woke {:?} early", deadline - now);
    });
    storm.finish();
    reactor.deregister(listener.as_raw_fd()).unwrap();
}
