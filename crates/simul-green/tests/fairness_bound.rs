//! Reliability item 5 with a stated bound, for green threads: 100 threads
//! that only yield, beside an echo. Every round trip completes, and its
//! cost is counted in the yielders' turns between the request and its
//! reply, which makes the bound independent of the machine's speed.
//!
//! **Bound: every round trip takes at most 4 × 100 yielder turns**; the
//! test prints the p50, p99 and maximum it saw.
//!
//! The echo runs over two pipes, whose writes make the reader ready
//! within the write call itself (over loopback TCP the kernel may deliver
//! a little later, which would tie the count to the machine's load).
//!
//! CI size: 1,000 round trips. `SIMUL_FULL=1`: 100,000.

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;

use simul_green::Hub;
use simul_green::net::pipe;

const YIELDERS: u64 = 100;
const BOUND: u64 = 4 * YIELDERS;

fn round_trips() -> u64 {
    if std::env::var_os("SIMUL_FULL").is_some() { 100_000 } else { 1_000 }
}

#[test]
fn an_echo_beside_a_hundred_yielders_stays_within_four_rounds() {
    let n = round_trips();
    let hub = Hub::new().unwrap();
    let turns = Rc::new(Cell::new(0u64));
    let t = turns.clone();
    let mut costs = hub
        .run(move || -> std::io::Result<Vec<u64>> {
            let stop = Rc::new(Cell::new(false));
            let yielders: Vec<_> = (0..YIELDERS)
                .map(|_| {
                    let (t, stop) = (t.clone(), stop.clone());
                    simul_green::spawn(move || {
                        while !stop.get() {
                            t.set(t.get() + 1);
                            simul_green::yield_now().unwrap();
                        }
                    })
                })
                .collect::<Result<_, _>>()?;
            let (mut requests_in, mut requests_out) = pipe()?;
            let (mut replies_in, mut replies_out) = pipe()?;
            let echo = simul_green::spawn(move || -> std::io::Result<()> {
                let mut buf = [0u8; 8];
                for _ in 0..n {
                    requests_in.read_exact(&mut buf)?;
                    replies_out.write_all(&buf)?;
                }
                Ok(())
            })?;
            let mut costs = Vec::with_capacity(n as usize);
            for i in 0..n {
                let before = t.get();
                requests_out.write_all(&i.to_le_bytes())?;
                let mut back = [0u8; 8];
                replies_in.read_exact(&mut back)?;
                assert_eq!(u64::from_le_bytes(back), i);
                costs.push(t.get() - before);
            }
            echo.join().map_err(std::io::Error::from)??;
            stop.set(true);
            for y in yielders {
                y.join().map_err(std::io::Error::from)?;
            }
            Ok(costs)
        })
        .unwrap()
        .unwrap();
    costs.sort_unstable();
    let at = |q: f64| costs[((costs.len() - 1) as f64 * q) as usize];
    let (p50, p99, max) = (at(0.5), at(0.99), *costs.last().unwrap());
    println!("yielder turns per round trip: p50 {p50}, p99 {p99}, max {max} (bound {BOUND})");
    assert!(turns.get() >= n, "the yielders ran meanwhile");
    assert!(max <= BOUND, "a round trip waited {max} yielder turns (p99 {p99}, bound {BOUND})");
}
