//! Reliability item 10, real signals, for green threads: a handler
//! installed without `SA_RESTART` and another OS thread sending it to the
//! hub's thread every ~100 µs (`pthread_kill`), so thousands of signals
//! land while the hub is blocked in `epoll_wait`, is in the middle of
//! `read`, `write`, `accept` and `connect`, or is running a green thread
//! on its own stack (the handler then runs on that stack). Nothing may
//! change: sleeps of 1 to 20 ms never end early and end in deadline order,
//! a TCP echo between two green threads written with `std::io::Read` and
//! `Write` comes back byte-exact, an idle sleep lasts its whole time, and
//! no `Interrupted` reaches a green thread or the caller of `Hub::run`.
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
//! CI size: one round of 200 sleepers, echoes of 4, 2, 1 and 0.5 MiB, one
//! 100 ms idle sleep; each is repeated (up to a bound) until enough signals
//! have landed. `SIMUL_FULL=1`: 20 rounds of timers, echoes from 64 MiB,
//! idle sleeps of 1 s.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream};
use simul_reactor::Instant;
use simul_testkit::data::pattern;
use simul_testkit::env::full;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use simul_testkit::signal_storm::{Storm, check_naps, serial};

/// What a sleeper saw: its index, the time just before it slept, how long
/// it asked for, and the time it woke.
type Nap = (u64, Instant, Duration, Instant);

/// How far apart two sleeps' start-based deadlines must be before waking
/// in the other order counts as out of order. A green thread reads the clock
/// (`now`) and the hub reads it again in `sleep`, so its real
/// deadline can be later than `start + d` by the time between the two
/// reads: normally well under a microsecond, more only if the thread is
/// preempted right there.
const ORDER_SLACK: Duration = Duration::from_millis(2);

/// Asks the time, sleeps `d`, asks again, and logs the two times.
fn nap(i: u64, d: Duration, log: &RefCell<Vec<Nap>>) -> io::Result<()> {
    let start = simul_green::now()?;
    simul_green::sleep(d)?;
    log.borrow_mut().push((i, start, d, simul_green::now()?));
    Ok(())
}

/// Green threads sleeping distinct durations between 1 and 20 ms, spawned
/// in a scrambled order: none wakes early, all wake, in deadline order.
#[test]
fn sleeps_are_never_early_and_end_in_order_under_signals() {
    let _serial = serial();
    // More timers would not all be pending at once: setting up thousands
    // takes longer than 20 ms in a debug build. The full size runs more
    // rounds instead.
    let count: u64 = 200;
    let rounds = if full() { 20 } else { 1 };
    let hub = Hub::new().unwrap();
    let storm = Storm::start();
    storm.repeat(rounds, 40, |round| {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        hub.run(move || -> io::Result<()> {
            let mut sleepers = Vec::new();
            // A permutation of 0..count (7919 is prime, count is no multiple).
            for i in (0..count).map(|i| i * 7919 % count) {
                // 1 ms + i * (19 ms / count): distinct, spread over 1..20 ms.
                let d = Duration::from_millis(1) + Duration::from_micros(19_000 * i / count);
                let log = l.clone();
                sleepers.push(simul_green::spawn(move || nap(i, d, &log))?);
            }
            for sleeper in sleepers {
                sleeper.join().map_err(io::Error::from)??;
            }
            Ok(())
        })
        .unwrap()
        .unwrap_or_else(|e| panic!("round {round}: {e} ({:?})", e.kind()));
        let naps = log.take();
        assert_eq!(naps.len(), count as usize, "round {round}: not every sleeper woke");
        check_naps(round, &naps, ORDER_SLACK);
    });
    storm.finish();
}

/// Accepts one connection and echoes it until end of stream, then closes
/// its writing half; returns how many bytes it echoed.
fn echo(listener: TcpListener) -> io::Result<usize> {
    let (mut conn, _) = listener.accept()?;
    // Without this, echoed tails meet delayed ACKs (40 ms each).
    conn.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 << 10];
    let mut total = 0;
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            conn.shutdown(Shutdown::Write)?;
            return Ok(total);
        }
        conn.write_all(&buf[..n])?;
        total += n;
    }
}

/// How long the client pauses halfway, so that the hub blocks in
/// `epoll_wait` in the middle of the transfer, with both sockets idle.
const PAUSE: Duration = Duration::from_millis(2);

/// Sends `data` in 64 KiB pieces, reading the echo back between them (so
/// neither side's buffers fill for good) and pausing for [`PAUSE`] once
/// half has come back, half-closes, reads to the end; returns what came
/// back.
fn client(addr: SocketAddr, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut conn = TcpStream::connect(addr)?;
    conn.set_nodelay(true)?;
    let mut back = vec![0u8; data.len()];
    let (mut sent, mut got, mut paused) = (0, 0, false);
    while sent < data.len() {
        if !paused && got >= data.len() / 2 {
            paused = true;
            simul_green::sleep(PAUSE)?;
        }
        let end = (sent + (64 << 10)).min(data.len());
        conn.write_all(&data[sent..end])?;
        sent = end;
        if sent == data.len() {
            conn.shutdown(Shutdown::Write)?;
        }
        while got < sent {
            let n = conn.read(&mut back[got..sent])?;
            assert_ne!(n, 0, "early end of stream");
            got += n;
        }
    }
    assert_eq!(conn.read(&mut [0u8; 1])?, 0, "more bytes than were sent");
    Ok(back)
}

/// A TCP echo of a few MiB between green threads of one hub, a new
/// connection each round (so connect and accept run under the signals
/// too): every byte comes back, no green thread sees an error, and no
/// descriptor is left open.
/// The client pauses [`PAUSE`] halfway, so signals also cut short a wait
/// in the middle of the transfer: some must, where that is counted.
#[test]
fn tcp_echo_is_byte_exact_under_signals() {
    let _serial = serial();
    let len = if full() { 64 << 20 } else { 4 << 20 };
    let data = pattern(len, 10);
    let fds = FdSnapshot::take();
    let hub = Hub::new().unwrap();
    let storm = Storm::start();
    storm.repeat(4, 40, |round| {
        let sent = Rc::new(data[..len >> (round % 4)].to_vec());
        let s = sent.clone();
        let (echoed, back) = hub
            .run(move || -> io::Result<(usize, Vec<u8>)> {
                let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
                let addr = listener.local_addr()?;
                let server = simul_green::spawn(move || echo(listener))?;
                let back = client(addr, &s)?;
                Ok((server.join().map_err(io::Error::from)??, back))
            })
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: {e} ({:?})", e.kind()));
        assert_eq!(echoed, sent.len(), "round {round}: server echoed");
        assert!(back == *sent, "round {round}: echo differs from what was sent");
    });
    storm.finish();
    drop(hub);
    assert_no_leaks(&fds);
}

/// Waiting with nothing to do: a lone green thread sleeping 100 ms wakes
/// no earlier, however often the hub's wait is interrupted.
#[test]
fn an_idle_sleep_lasts_its_whole_time_under_signals() {
    let _serial = serial();
    let wait = if full() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    let hub = Hub::new().unwrap();
    let storm = Storm::start();
    storm.repeat(1, 20, |round| {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        hub.run(move || nap(0, wait, &l)).unwrap().unwrap();
        let naps = log.take();
        assert_eq!(naps.len(), 1);
        check_naps(round, &naps, ORDER_SLACK);
    });
    storm.finish();
}
