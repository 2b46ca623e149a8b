//! Reliability item 5 with a stated bound: 100 always-ready tasks beside
//! an echo. Every round trip completes, and its cost is counted in the
//! spinners' polls between the request and its reply, which makes the
//! bound independent of the machine's speed: the loop looks at the
//! reactor every `BUDGET` polls and runs ready tasks in FIFO order, so a
//! round trip (client write, server read and write, client read) waits
//! at most two reactor looks and two passes over the run queue.
//!
//! **Bound: every round trip takes at most 4 × 100 spinner polls**; the
//! test prints the p50, p99 and maximum it saw.
//!
//! The echo runs over a Unix socket pair, whose writes make the peer
//! readable within the write call itself; over loopback TCP the kernel
//! may deliver from a softirq a little later, which would tie the count
//! to the machine's load (TCP beside spinners is in fairness.rs).
//!
//! CI size: 1,000 round trips. `SIMUL_FULL=1`: 100,000.

use std::cell::Cell;
use std::rc::Rc;

use simul_future::{AsyncReadExt, AsyncWriteExt, BUDGET, Runtime, UnixStream, spawn, yield_now};

const SPINNERS: u64 = 100;
const BOUND: u64 = 4 * SPINNERS;

fn round_trips() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 100_000 } else { 1_000 }
}

/// Yields forever, counting its polls.
async fn spinner(polls: Rc<Cell<u64>>) {
    loop {
        polls.set(polls.get() + 1);
        yield_now().await;
    }
}

#[test]
fn an_echo_beside_a_hundred_spinners_stays_within_four_rounds() {
    assert!(BUDGET as u64 <= SPINNERS, "the bound assumes a budget of at most one round");
    let n = round_trips();
    let mut rt = Runtime::new().unwrap();
    let polls = Rc::new(Cell::new(0u64));
    let p = polls.clone();
    let mut costs = rt
        .block_on(async move {
            let spinners: Vec<_> = (0..SPINNERS).map(|_| spawn(spinner(p.clone()))).collect();
            let (mut client, mut server) = UnixStream::pair()?;
            let echo = spawn(async move {
                let mut buf = [0u8; 8];
                for _ in 0..n {
                    server.read_exact(&mut buf).await?;
                    server.write_all(&buf).await?;
                }
                Ok::<(), std::io::Error>(())
            });
            let mut costs = Vec::with_capacity(n as usize);
            for i in 0..n {
                let before = p.get();
                client.write_all(&i.to_le_bytes()).await?;
                let mut back = [0u8; 8];
                client.read_exact(&mut back).await?;
                assert_eq!(u64::from_le_bytes(back), i);
                costs.push(p.get() - before);
            }
            echo.await.unwrap()?;
            for s in spinners {
                s.abort();
            }
            Ok::<_, std::io::Error>(costs)
        })
        .unwrap()
        .unwrap();
    costs.sort_unstable();
    let at = |q: f64| costs[((costs.len() - 1) as f64 * q) as usize];
    let (p50, p99, max) = (at(0.5), at(0.99), *costs.last().unwrap());
    println!("spinner polls per round trip: p50 {p50}, p99 {p99}, max {max} (bound {BOUND})");
    assert!(polls.get() >= n, "the spinners ran meanwhile");
    assert!(max <= BOUND, "a round trip waited {max} spinner polls (p99 {p99}, bound {BOUND})");
}
