//! Reliability item 10, real signals, for the futures runtime: a handler
//! installed without `SA_RESTART` and another OS thread sending it to the
//! runtime's thread every ~100 µs (`pthread_kill`), so thousands of
//! signals land while the runtime is blocked in `epoll_wait` or is in the
//! middle of `read`, `write`, `accept` and `connect`. Nothing may change:
//! `sleep_until` and `sleep` timers of 1 to 20 ms never end early and the
//! `sleep_until` ones end in deadline order, a TCP echo between two tasks
//! comes back byte-exact, an idle sleep lasts its whole time, and no
//! `Interrupted` reaches a task or the caller of `block_on`.
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
//! 100 ms idle sleep; each is repeated (up to a bound) until enough signals
//! have landed. `SIMUL_FULL=1`: 20 rounds of timers, echoes from 64 MiB,
//! idle sleeps of 1 s.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{
    AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream, now, sleep, sleep_until, spawn,
};
use simul_reactor::Instant;
use simul_testkit::data::pattern;
use simul_testkit::env::full;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use simul_testkit::signal_storm::{Storm, serial};

/// Tasks record what they saw; the checks run after `block_on`.
type Log<T> = Rc<RefCell<Vec<T>>>;

/// Tasks sleeping until distinct deadlines between 1 and 20 ms, spawned
/// in a scrambled order, and tasks sleeping 1 to 20 ms: none wakes early,
/// and the `sleep_until` ones wake in deadline order.
#[test]
fn timers_are_never_early_and_end_in_order_under_signals() {
    let _serial = serial();
    // More timers would not all be pending at once: setting up thousands
    // takes longer than 20 ms in a debug build. The full size runs more
    // rounds instead.
    let count: u64 = 200;
    let rounds = if full() { 20 } else { 1 };
    let mut rt = Runtime::new().unwrap();
    let storm = Storm::start();
    storm.repeat(rounds, 40, |round| {
        // (index, started, deadline, woke) of the `sleep_until` tasks.
        let until: Log<(u64, Instant, Instant, Instant)> = Rc::default();
        // (earliest allowed, woke) of the `sleep` tasks.
        let after: Log<(Instant, Instant)> = Rc::default();
        let (u, a) = (until.clone(), after.clone());
        rt.block_on(async move {
            let base = now();
            let mut tasks = Vec::new();
            // A permutation of 0..count (7919 is prime, count is no multiple).
            for i in (0..count).map(|i| i * 7919 % count) {
                // 1 ms + i * (19 ms / count): distinct, spread over 1..20 ms.
                let deadline =
                    base + Duration::from_millis(1) + Duration::from_micros(19_000 * i / count);
                let log = u.clone();
                tasks.push(spawn(async move {
                    let started = now();
                    sleep_until(deadline).await;
                    log.borrow_mut().push((i, started, deadline, now()));
                }));
                let log = a.clone();
                tasks.push(spawn(async move {
                    let d = Duration::from_millis(1 + i % 20);
                    let earliest = now() + d;
                    sleep(d).await;
                    log.borrow_mut().push((earliest, now()));
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
        })
        .unwrap();
        let until = until.take();
        for &(i, _, deadline, woke) in &until {
            assert!(
                woke >= deadline,
                "round {round}: sleep_until {i} woke {:?} early",
                deadline - woke
            );
        }
        // Deadline order, among the timers that were still ahead when
        // their task started (with a margin for the time between that
        // reading and the first poll of the sleep). Spawning hundreds of
        // tasks in a debug build can take longer than the first deadlines,
        // and a sleep already due completes at its first poll, in spawn
        // order.
        let pending: Vec<u64> = until
            .iter()
            .filter(|&&(_, started, deadline, _)| started + Duration::from_micros(200) < deadline)
            .map(|&(i, ..)| i)
            .collect();
        let mut sorted = pending.clone();
        sorted.sort_unstable();
        assert!(pending.len() > count as usize / 2, "round {round}: most timers were due at once");
        assert_eq!(pending, sorted, "round {round}: out of order");
        let after = after.take();
        assert_eq!(after.len(), count as usize);
        for &(earliest, woke) in &after {
            assert!(woke >= earliest, "round {round}: sleep woke {:?} early", earliest - woke);
        }
    });
    storm.finish();
}

/// Echoes until end of stream, then closes its writing half; returns how
/// many bytes it echoed.
async fn echo(mut conn: TcpStream) -> io::Result<usize> {
    // Without this, echoed tails meet delayed ACKs (40 ms each).
    conn.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 << 10];
    let mut total = 0;
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            conn.shutdown()?;
            return Ok(total);
        }
        conn.write_all(&buf[..n]).await?;
        total += n;
    }
}

/// How long the client pauses halfway, so that the runtime blocks in
/// `epoll_wait` in the middle of the transfer, with both sockets idle.
const PAUSE: Duration = Duration::from_millis(2);

/// Sends `data` in 64 KiB pieces, reading the echo back between them (so
/// neither side's buffers fill for good) and pausing for [`PAUSE`] once
/// half has come back, half-closes, reads to the end; returns what came
/// back.
async fn client(addr: SocketAddr, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.set_nodelay(true)?;
    let mut back = vec![0u8; data.len()];
    let (mut sent, mut got, mut paused) = (0, 0, false);
    while sent < data.len() {
        if !paused && got >= data.len() / 2 {
            paused = true;
            sleep(PAUSE).await;
        }
        let end = (sent + (64 << 10)).min(data.len());
        conn.write_all(&data[sent..end]).await?;
        sent = end;
        if sent == data.len() {
            conn.shutdown()?;
        }
        while got < sent {
            let n = conn.read(&mut back[got..sent]).await?;
            assert_ne!(n, 0, "early end of stream");
            got += n;
        }
    }
    let mut rest = [0u8; 1];
    assert_eq!(conn.read(&mut rest).await?, 0, "more bytes than were sent");
    Ok(back)
}

/// A TCP echo of a few MiB between two tasks of one runtime, a new
/// connection each round (so connect and accept run under the signals
/// too): every byte comes back, no task sees an error, and no descriptor
/// is left open.
/// The client pauses [`PAUSE`] halfway, so signals also cut short a wait
/// in the middle of the transfer: some must, where that is counted.
#[test]
fn tcp_echo_is_byte_exact_under_signals() {
    let _serial = serial();
    let len = if full() { 64 << 20 } else { 4 << 20 };
    let data = pattern(len, 10);
    let fds = FdSnapshot::take();
    let mut rt = Runtime::new().unwrap();
    let storm = Storm::start();
    storm.repeat(4, 40, |round| {
        let sent = &data[..len >> (round % 4)];
        let (echoed, back) = rt
            .block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
                let addr = listener.local_addr()?;
                let server = spawn(async move { echo(listener.accept().await?.0).await });
                let back = client(addr, sent).await?;
                Ok::<_, io::Error>((server.await.unwrap()?, back))
            })
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: {e} ({:?})", e.kind()));
        assert_eq!(echoed, sent.len(), "round {round}: server echoed");
        assert!(back == sent, "round {round}: echo differs from what was sent");
    });
    storm.finish();
    drop(rt);
    assert_no_leaks(&fds);
}

/// Waiting with nothing to do: a lone task sleeping 100 ms wakes no
/// earlier, however often the runtime's wait is interrupted.
#[test]
fn an_idle_sleep_lasts_its_whole_time_under_signals() {
    let _serial = serial();
    let wait = if full() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    let mut rt = Runtime::new().unwrap();
    let storm = Storm::start();
    storm.repeat(1, 20, |round| {
        let (earliest, woke) = rt
            .block_on(async {
                let earliest = now() + wait;
                sleep(wait).await;
                (earliest, now())
            })
            .unwrap();
        assert!(woke >= earliest, "round {round}: woke {:?} early", earliest - woke);
    });
    storm.finish();
}
