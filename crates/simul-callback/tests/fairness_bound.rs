//! Reliability item 5 with a stated bound, for the callback loop: 100
//! callbacks that reschedule themselves forever, beside an echo driven by
//! readers. Every round trip completes, and its cost is counted in the
//! spinners' turns between the request and its reply, which makes the
//! bound independent of the machine's speed.
//!
//! **Bound: every round trip takes at most 4 × 100 spinner turns**; the
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

use simul_callback::EventLoop;

const SPINNERS: u64 = 100;
const BOUND: u64 = 4 * SPINNERS;

fn round_trips() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 100_000 } else { 1_000 }
}

/// Counts a turn and schedules itself again, until `stop`.
fn spin(lp: &mut EventLoop, turns: Rc<Cell<u64>>, stop: Rc<Cell<bool>>) {
    if stop.get() {
        return;
    }
    turns.set(turns.get() + 1);
    lp.call_soon(move |lp| spin(lp, turns, stop));
}

/// Reads what is there into `have`, up to 8 bytes; the message once whole.
fn read8(conn: &mut UnixStream, have: &mut Vec<u8>) -> Option<[u8; 8]> {
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

#[test]
fn an_echo_beside_a_hundred_spinning_callbacks_stays_within_four_rounds() {
    let n = round_trips();
    let mut lp = EventLoop::new().unwrap();
    let turns = Rc::new(Cell::new(0u64));
    let stop = Rc::new(Cell::new(false));
    for _ in 0..SPINNERS {
        let (t, s) = (turns.clone(), stop.clone());
        lp.call_soon(move |lp| spin(lp, t, s));
    }
    let (mut client, mut server) = UnixStream::pair().unwrap();
    client.set_nonblocking(true).unwrap();
    server.set_nonblocking(true).unwrap();
    let (client_fd, server_fd) = (client.as_raw_fd(), server.as_raw_fd());

    let mut have = Vec::new();
    lp.add_reader(server_fd, move |_| {
        while let Some(msg) = read8(&mut server, &mut have) {
            server.write_all(&msg).unwrap(); // 8 bytes always fit
        }
    })
    .unwrap();

    let costs = Rc::new(RefCell::new(Vec::with_capacity(n as usize)));
    let (c, t, s) = (costs.clone(), turns.clone(), stop.clone());
    client.write_all(&0u64.to_le_bytes()).unwrap();
    let (mut i, mut before, mut have) = (0u64, turns.get(), Vec::new());
    lp.add_reader(client_fd, move |lp| {
        while let Some(back) = read8(&mut client, &mut have) {
            assert_eq!(u64::from_le_bytes(back), i);
            c.borrow_mut().push(t.get() - before);
            i += 1;
            if i == n {
                s.set(true);
                assert!(lp.remove_reader(client_fd));
                return;
            }
            before = t.get();
            client.write_all(&i.to_le_bytes()).unwrap();
        }
    })
    .unwrap();
    let st = stop.clone();
    lp.run_until(|_| st.get()).unwrap();
    assert!(lp.remove_reader(server_fd));
    let mut costs = costs.take();
    assert_eq!(costs.len() as u64, n);
    costs.sort_unstable();
    let at = |q: f64| costs[((costs.len() - 1) as f64 * q) as usize];
    let (p50, p99, max) = (at(0.5), at(0.99), *costs.last().unwrap());
    println!("spinner turns per round trip: p50 {p50}, p99 {p99}, max {max} (bound {BOUND})");
    assert!(turns.get() >= n, "the spinners ran meanwhile");
    assert!(max <= BOUND, "a round trip waited {max} spinner turns (p99 {p99}, bound {BOUND})");
}
