//! Reliability item 5 with a stated bound, for coroutines: 100 tasks that
//! only yield, beside an echo task. Every round trip completes, and its
//! cost is counted in the yielders' turns between the request and its
//! reply, which makes the bound independent of the machine's speed.
//!
//! **Bound: every round trip takes at most 4 × 100 yielder turns**; the
//! test prints the p50, p99 and maximum it saw.
//!
//! The echo runs over a Unix socket pair, whose writes make the peer
//! readable within the write call itself (over loopback TCP the kernel may
//! deliver a little later, which would tie the count to the machine's
//! load).
//!
//! CI size: 1,000 round trips. `SIMUL_FULL=1`: 100,000.

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use simul_coro::{CoroutineState::*, Reply, Scheduler, Task, Trap, from_fn};

const YIELDERS: u64 = 100;
const BOUND: u64 = 4 * YIELDERS;

fn round_trips() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 100_000 } else { 1_000 }
}

/// Yields until `stop`, counting its turns.
fn yielder(turns: Rc<Cell<u64>>, stop: Rc<Cell<bool>>) -> Task<u64> {
    Box::new(from_fn(move |_: Reply<u64>| {
        if stop.get() {
            return Ok(Complete(0));
        }
        turns.set(turns.get() + 1);
        Ok(Yielded(Trap::YieldNow))
    }))
}

/// Reads exactly 8 bytes from a non-blocking socket, waiting for
/// readability with `Trap::Readable` whenever it would block: `None`
/// means "yield this trap", `Some` is the message.
fn try_read8(conn: &mut UnixStream, have: &mut Vec<u8>) -> Option<[u8; 8]> {
    let mut buf = [0u8; 8];
    while have.len() < 8 {
        match conn.read(&mut buf[..8 - have.len()]) {
            Ok(0) => panic!("end of stream in the middle of the echo"),
            Ok(k) => have.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => panic!("{e}"),
        }
    }
    Some(std::mem::take(have).try_into().unwrap())
}

/// Echoes `n` 8-byte messages (a write of 8 bytes always fits).
fn echo(mut conn: UnixStream, n: u64) -> Task<u64> {
    let fd = conn.as_raw_fd();
    let (mut have, mut done) = (Vec::new(), 0);
    Box::new(from_fn(move |_: Reply<u64>| {
        while done < n {
            match try_read8(&mut conn, &mut have) {
                None => return Ok(Yielded(Trap::Readable(fd))),
                Some(msg) => {
                    conn.write_all(&msg).unwrap();
                    done += 1;
                }
            }
        }
        Ok(Complete(done))
    }))
}

#[test]
fn an_echo_beside_a_hundred_yielders_stays_within_four_rounds() {
    let n = round_trips();
    let turns = Rc::new(Cell::new(0u64));
    let stop = Rc::new(Cell::new(false));
    let costs = Rc::new(RefCell::new(Vec::with_capacity(n as usize)));
    let (mut client, server) = UnixStream::pair().unwrap();
    client.set_nonblocking(true).unwrap();
    server.set_nonblocking(true).unwrap();
    let fd = client.as_raw_fd();
    let mut s = Scheduler::<u64>::new().unwrap();
    for _ in 0..YIELDERS {
        s.spawn(yielder(turns.clone(), stop.clone()));
    }
    s.spawn(echo(server, n));
    let (t, st, c) = (turns.clone(), stop.clone(), costs.clone());
    let (mut i, mut before, mut have, mut sent) = (0u64, 0u64, Vec::new(), false);
    s.run(from_fn(move |_: Reply<u64>| {
        loop {
            if i == n {
                st.set(true);
                return Ok(Complete(i));
            }
            if !sent {
                before = t.get();
                client.write_all(&i.to_le_bytes()).unwrap();
                sent = true;
            }
            match try_read8(&mut client, &mut have) {
                None => return Ok(Yielded(Trap::Readable(fd))),
                Some(back) => {
                    assert_eq!(u64::from_le_bytes(back), i);
                    c.borrow_mut().push(t.get() - before);
                    (i, sent) = (i + 1, false);
                }
            }
        }
    }))
    .unwrap();
    s.run_all().unwrap(); // the yielders see `stop` and finish
    let mut costs = costs.take();
    costs.sort_unstable();
    let at = |q: f64| costs[((costs.len() - 1) as f64 * q) as usize];
    let (p50, p99, max) = (at(0.5), at(0.99), *costs.last().unwrap());
    println!("yielder turns per round trip: p50 {p50}, p99 {p99}, max {max} (bound {BOUND})");
    assert!(turns.get() >= n, "the yielders ran meanwhile");
    assert!(max <= BOUND, "a round trip waited {max} yielder turns (p99 {p99}, bound {BOUND})");
}
