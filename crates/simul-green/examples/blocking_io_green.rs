//! Seeds 001/004, `blocking_io`, green style: fetch from K loopback
//! servers that each reply after a delay d.
//!
//! The fetch is one generic function over `Read + Write`:
//! write the request, read the reply to the end. Handed a
//! `std::net::TcpStream` it blocks the OS thread, so the hub cannot
//! switch: the K fetches happen one after the other (about K x d) and the
//! heartbeat green thread stalls meanwhile. Handed a
//! `simul_green::net::TcpStream` (same function, different type) every
//! wait parks only its green thread: the K fetches overlap (about d) and
//! the heartbeat keeps beating. This is gevent's monkeypatching done by
//! type: no code changed, only which socket it was given.
//!
//! The servers are green threads too, on a hub of their own in another OS
//! thread (a blocked client hub could not serve them); each replies `d`
//! after the request, with a plain `sleep(d)`. Real clock; K and d are
//! the shared parameters (`--quick`: the smaller d). `--board` draws each
//! variant's timeline (lanes `heartbeat`, `fetch 1` .. `fetch K`; the
//! servers run on another OS thread, outside the recording).
//!
//! ```text
//! cargo run --release -p simul-green --example blocking_io_green [-- --quick --board]
//! ```

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use simul_green::net::{TcpListener, TcpStream};
use simul_green::{Error, Hub};
use simul_reactor::trace;
use simul_scenario::params::blocking_io::{BEAT, DELAY, QUICK_DELAY, REPLY, REQUEST, SERVERS};
use simul_scenario::{IoRun, Options, Outcome, Scenario, Style, Traces, say};

/// The client, written once: it does not know whether it blocks.
fn fetch(mut conn: impl Read + Write) -> io::Result<Vec<u8>> {
    conn.write_all(REQUEST)?;
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply)?; // the server closes after replying
    Ok(reply)
}

/// Starts `k` servers, each serving `conns` connections, on a green hub
/// in its own OS thread. Returns their addresses and the thread.
pub fn start_servers(
    k: usize,
    conns: usize,
    delay: Duration,
) -> io::Result<(Vec<SocketAddr>, std::thread::JoinHandle<io::Result<()>>)> {
    let listeners = (0..k)
        .map(|_| TcpListener::bind(([127, 0, 0, 1], 0).into()))
        .collect::<io::Result<Vec<_>>>()?;
    let addrs = listeners.iter().map(TcpListener::local_addr).collect::<io::Result<Vec<_>>>()?;
    let thread = std::thread::spawn(move || -> io::Result<()> {
        Hub::new()?.run(move || -> Result<(), Error> {
            let mut servers = Vec::new();
            for listener in listeners {
                servers.push(simul_green::spawn(move || -> Result<(), Error> {
                    let mut replies = Vec::new();
                    for _ in 0..conns {
                        let (mut conn, _) = listener.accept()?;
                        replies.push(simul_green::spawn(move || -> io::Result<()> {
                            let mut request = [0; REQUEST.len()];
                            conn.read_exact(&mut request)?;
                            simul_green::sleep(delay)?; // "thinking"
                            conn.write_all(REPLY)
                        })?);
                    }
                    for r in replies {
                        r.join()??;
                    }
                    Ok(())
                })?);
            }
            for s in servers {
                s.join()??;
            }
            Ok(())
        })??;
        Ok(())
    });
    Ok((addrs, thread))
}

/// What one run measured.
#[derive(Debug)]
pub struct Figures {
    /// From the first request to the last reply.
    pub elapsed: Duration,
    /// The longest gap between two heartbeats.
    pub longest_gap: Duration,
    /// The replies, in server order.
    pub replies: Vec<Vec<u8>>,
}

/// Fetches from every server at once (one green thread each), with
/// blocking std sockets or with green ones.
pub fn run(addrs: &[SocketAddr], blocking: bool) -> Result<Figures, Error> {
    Hub::new()?.run(|| -> Result<Figures, Error> {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let heartbeat = simul_green::spawn_named("heartbeat", move || -> io::Result<Duration> {
            let mut longest = Duration::ZERO;
            let mut last = simul_green::now()?;
            while !s.get() {
                simul_green::sleep(BEAT)?;
                let now = simul_green::now()?;
                longest = longest.max(now - last);
                last = now;
            }
            Ok(longest)
        })?;
        let start = simul_green::now()?;
        let fetches = addrs
            .iter()
            .enumerate()
            .map(|(i, &addr)| {
                simul_green::spawn(move || {
                    if trace::enabled() {
                        trace::name_current(format!("fetch {}", i + 1));
                    }
                    if blocking {
                        fetch(std::net::TcpStream::connect(addr)?)
                    } else {
                        fetch(TcpStream::connect(addr)?)
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut replies = Vec::new();
        for f in fetches {
            replies.push(f.join()??);
        }
        let elapsed = simul_green::now()? - start;
        stop.set(true);
        let longest_gap = heartbeat.join()??;
        Ok(Figures { elapsed, longest_gap, replies })
    })?
}

/// The scenario: K fetches with std's blocking calls, then with green
/// sockets, against the same K servers.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let delay = if opts.quick { QUICK_DELAY } else { DELAY };
    let (addrs, servers) = start_servers(SERVERS, 2, delay)?;
    say!("{SERVERS} servers, each replying after {delay:?}");
    let mut traces = Traces::default();
    let mut runs = Vec::new();
    for (variant, blocking) in [("blocking", true), ("non_blocking", false)] {
        let f = opts.record(&mut traces, variant, || run(&addrs, blocking))?;
        let ok = f.replies.iter().filter(|r| r.as_slice() == REPLY).count();
        say!(
            "{variant:>12}: {ok} replies in {:.3} s; longest heartbeat gap {:.3} s",
            f.elapsed.as_secs_f64(),
            f.longest_gap.as_secs_f64()
        );
        runs.push(IoRun { took: f.elapsed, worst_gap: f.longest_gap, ok });
    }
    servers.join().map_err(|_| io::Error::other("the server thread panicked"))??;
    let non_blocking = runs.pop().ok_or("no non-blocking run")?;
    let blocking = runs.pop().ok_or("no blocking run")?;
    Ok(Outcome {
        style: Style::Green,
        exact: false,
        figures: simul_scenario::Figures::BlockingIo {
            servers: SERVERS,
            delay,
            blocking,
            non_blocking,
        },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::BlockingIo, Style::Green, scenario)
}
