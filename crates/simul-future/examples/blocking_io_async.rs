//! Seeds 001/004, `blocking_io`, `async fn` style: fetch from K loopback
//! servers that each reply after a delay d.
//!
//! With blocking `std` calls inside an `async fn`, the loop waits for each
//! reply in turn: about K × d, and a heartbeat task stalls meanwhile. With
//! the runtime's non-blocking `TcpStream`, each fetch returns `Pending`
//! while its server thinks, the K requests are in flight together: about
//! d, and the heartbeat keeps beating.
//!
//! The servers are plain threads (one per connection), so that a blocked
//! client loop cannot hold them up. Real clock; `--servers K --delay-ms D`.
//!
//! ```text
//! cargo run -p simul-future --example blocking_io_async [-- --servers 5 --delay-ms 300]
//! ```

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, TcpStream, join_all, sleep, spawn};
use simul_reactor::trace;
use simul_scenario::params::blocking_io::{BEAT, DELAY, QUICK_DELAY, REPLY, REQUEST, SERVERS};
use simul_scenario::{Extra, IoRun, Options, Outcome, Scenario, Style, Traces, say};

/// The example's own options.
const EXTRAS: &[Extra] = &[
    Extra { name: "--servers", value: Some("K"), help: "how many servers (default 5)" },
    Extra {
        name: "--delay-ms",
        value: Some("D"),
        help: "each server's delay (default 300, quick 100)",
    },
];

/// What a run measures.
#[derive(Debug)]
pub struct Figures {
    /// From the first request until the last reply.
    pub elapsed: Duration,
    /// The longest gap between two heartbeats (or until the end).
    pub gap: Duration,
    /// Replies that came back exactly as sent.
    pub ok: usize,
}

/// Starts `k` servers that each answer a request with `REPLY` after
/// `delay`, then close; returns their addresses.
pub fn start_servers(k: usize, delay: Duration) -> io::Result<Vec<SocketAddr>> {
    let mut addrs = Vec::new();
    for _ in 0..k {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        addrs.push(listener.local_addr()?);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let mut request = [0; REQUEST.len()];
                    if conn.read_exact(&mut request).is_ok() {
                        std::thread::sleep(delay); // the server thinks
                        let _ = conn.write_all(REPLY);
                    }
                });
            }
        });
    }
    Ok(addrs)
}

/// The blocking library call: the whole exchange with `std`, inside an
/// `async fn` that never awaits.
async fn fetch_blocking(addr: SocketAddr) -> io::Result<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.write_all(REQUEST)?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    Ok(reply)
}

/// The same exchange on the runtime's sockets.
async fn fetch(addr: SocketAddr) -> io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(REQUEST).await?;
    let mut reply = Vec::new();
    let mut buf = [0; 64];
    loop {
        match s.read(&mut buf).await? {
            0 => return Ok(reply),
            n => reply.extend_from_slice(&buf[..n]),
        }
    }
}

/// Beats every `BEAT` until `stop`; records the longest gap.
async fn heartbeat(last: Rc<Cell<Instant>>, worst: Rc<Cell<Duration>>, stop: Rc<Cell<bool>>) {
    trace::name_current("heartbeat");
    while !stop.get() {
        sleep(BEAT).await;
        let now = Instant::now();
        worst.set(worst.get().max(now - last.get()));
        last.set(now);
    }
}

/// Fetches from every server, blocking or not.
pub fn run(addrs: &[SocketAddr], blocking: bool) -> io::Result<Figures> {
    let mut rt = Runtime::new()?;
    let (last, worst) = (Rc::new(Cell::new(Instant::now())), Rc::new(Cell::new(Duration::ZERO)));
    let stop = Rc::new(Cell::new(false));
    let beating = rt.spawn(heartbeat(last.clone(), worst.clone(), stop.clone()));
    let start = Instant::now();
    let replies = rt.block_on(async {
        let fetches = addrs
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                spawn(async move {
                    if trace::enabled() {
                        trace::name_current(format!("fetch {}", i + 1));
                    }
                    if blocking { fetch_blocking(a).await } else { fetch(a).await }
                })
            })
            .collect();
        join_all(fetches).await
    })?;
    let elapsed = start.elapsed();
    // The gap still open at the end counts too.
    worst.set(worst.get().max(last.get().elapsed()));
    stop.set(true);
    beating.abort();
    let mut ok = 0;
    for reply in replies {
        let reply = reply.map_err(|e| io::Error::other(e.to_string()))??;
        ok += usize::from(reply == REPLY);
    }
    Ok(Figures { elapsed, gap: worst.get(), ok })
}

/// The scenario: both ways against the same servers.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let k = opts.extra_or("--servers", SERVERS)?;
    let default = if opts.quick { QUICK_DELAY } else { DELAY };
    let delay = Duration::from_millis(opts.extra_or("--delay-ms", default.as_millis() as u64)?);
    let addrs = start_servers(k, delay)?;
    say!("{k} servers, each replying after {delay:?}");
    let mut traces = Traces::default();
    let mut one = |variant: &'static str, name: &str, blocking: bool| {
        let f = opts.record(&mut traces, variant, || run(&addrs, blocking))?;
        say!(
            "{name:>20}: {}/{k} replies in {:.3} s; longest heartbeat gap {:.3} s",
            f.ok,
            f.elapsed.as_secs_f64(),
            f.gap.as_secs_f64()
        );
        Ok::<_, io::Error>(IoRun { took: f.elapsed, worst_gap: f.gap, ok: f.ok })
    };
    let blocking = one("blocking", "blocking std calls", true)?;
    let non_blocking = one("non_blocking", "non-blocking sockets", false)?;
    let figures = simul_scenario::Figures::BlockingIo { servers: k, delay, blocking, non_blocking };
    Ok(Outcome { style: Style::Async, exact: false, figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::BlockingIo, Style::Async, EXTRAS, scenario)
}
