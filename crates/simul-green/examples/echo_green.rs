//! `echo`, green style: an echo server and a load client on one hub.
//!
//! The server is what you would write with threads: accept in a loop,
//! and for each connection a (green) thread running a `BufReader` line
//! loop, `read_line` then `write_all`. The code is plain `std::io`; it is
//! the socket type, `simul_green::net::TcpStream`, that makes each read
//! park the green thread instead of blocking the OS thread, so one OS
//! thread holds every connection.
//!
//! The client opens `--conns` connections (default: the shared 100);
//! each sends `--rounds` lines (default 100, 20 with `--quick`) of the
//! shared 64 bytes carrying its connection and sequence number, reads the
//! echo and checks it byte for byte. The summary gives connections held,
//! round trips per second and the bytes verified. Bounded by default;
//! `--serve` runs only the server on `--port` (default 7878) until
//! killed, for an outside client. `--board` draws the run (lanes
//! `server`, `echo N`, `client N`).
//!
//! ```text
//! cargo run --release -p simul-green --example echo_green [-- --conns 500 --rounds 1000 --board]
//! ```

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use simul_green::net::{TcpListener, TcpStream};
use simul_green::{Error, Hub};
use simul_reactor::trace;
use simul_scenario::params::echo::{CONNECTIONS, QUICK_ROUNDS, ROUNDS, SIZE};
use simul_scenario::{Extra, Figures as Row, Options, Outcome, Scenario, Style, Traces, say};

/// The example's own options, beside the shared ones.
const EXTRAS: &[Extra] = &[
    Extra { name: "--conns", value: Some("N"), help: "client connections (default 100)" },
    Extra { name: "--rounds", value: Some("N"), help: "round trips per connection (default 100)" },
    Extra { name: "--serve", value: None, help: "only run the server, until killed" },
    Extra { name: "--port", value: Some("P"), help: "the --serve port (default 7878)" },
];

/// Serves one connection: every line comes back as it was.
fn echo(conn: TcpStream) -> io::Result<u64> {
    let mut writer = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    let mut bytes = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(bytes); // the client hung up
        }
        writer.write_all(line.as_bytes())?;
        bytes += line.len() as u64;
    }
}

/// Accepts `conns` connections (forever if `None`), one green thread each.
fn serve(listener: TcpListener, conns: Option<usize>) -> Result<u64, Error> {
    let mut handlers = Vec::new();
    let mut accepted = 0;
    while conns.is_none_or(|n| accepted < n) {
        let (conn, _) = listener.accept()?;
        conn.set_nodelay(true)?;
        let n = accepted + 1;
        handlers.push(simul_green::spawn(move || {
            if trace::enabled() {
                trace::name_current(format!("echo {n}"));
            }
            echo(conn)
        })?);
        accepted += 1;
    }
    let mut bytes = 0;
    for h in handlers {
        bytes += h.join()??;
    }
    Ok(bytes)
}

/// How many client connections are open, and the most that were.
#[derive(Default)]
struct Open {
    now: Cell<usize>,
    peak: Cell<usize>,
}

/// One client connection: `rounds` lines out, each echo checked.
fn client(addr: SocketAddr, id: usize, rounds: u64, open: &Open) -> io::Result<u64> {
    if trace::enabled() {
        trace::name_current(format!("client {}", id + 1));
    }
    let conn = TcpStream::connect(addr)?;
    conn.set_nodelay(true)?;
    open.now.set(open.now.get() + 1);
    open.peak.set(open.peak.get().max(open.now.get()));
    let result = talk(conn, id, rounds);
    open.now.set(open.now.get() - 1);
    result
}

fn talk(conn: TcpStream, id: usize, rounds: u64) -> io::Result<u64> {
    let mut writer = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    let mut back = String::new();
    let mut verified = 0;
    for seq in 0..rounds {
        let mut line = format!("connection {id} line {seq} ");
        let pad = SIZE.saturating_sub(line.len() + 1);
        line.extend(std::iter::repeat_n('x', pad));
        line.push('\n');
        writer.write_all(line.as_bytes())?;
        back.clear();
        reader.read_line(&mut back)?;
        if back != line {
            return Err(io::Error::other(format!("connection {id}: sent {line:?}, got {back:?}")));
        }
        verified += line.len() as u64;
    }
    Ok(verified)
}

/// What a load run measured.
#[derive(Debug)]
pub struct Figures {
    /// The most client connections open at once.
    pub held: usize,
    /// Round trips completed and verified.
    pub round_trips: u64,
    /// Bytes sent and verified by the clients.
    pub bytes_verified: u64,
    /// Bytes the server echoed.
    pub bytes_echoed: u64,
    /// Wall time of the load.
    pub elapsed: Duration,
    /// Client connections whose echo did not match (or failed).
    pub mismatches: u64,
}

/// Runs the server and `conns` clients of `rounds` round trips each on
/// one hub.
pub fn run(conns: usize, rounds: u64) -> Result<Figures, Error> {
    Hub::new()?.run(|| -> Result<Figures, Error> {
        let listener = TcpListener::bind(([127, 0, 0, 1], 0).into())?;
        let addr = listener.local_addr()?;
        let server = simul_green::spawn_named("server", move || serve(listener, Some(conns)))?;
        let open = Rc::new(Open::default());
        let start = simul_green::now()?;
        let clients = (0..conns)
            .map(|id| {
                let open = open.clone();
                simul_green::spawn(move || client(addr, id, rounds, &open))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (mut bytes_verified, mut mismatches, mut ok) = (0, 0, 0);
        for c in clients {
            match c.join()? {
                Ok(bytes) => (bytes_verified, ok) = (bytes_verified + bytes, ok + 1),
                Err(e) => {
                    say!("{e}");
                    mismatches += 1;
                }
            }
        }
        let elapsed = simul_green::now()? - start;
        let bytes_echoed = server.join()??;
        Ok(Figures {
            held: open.peak.get(),
            round_trips: ok * rounds,
            bytes_verified,
            bytes_echoed,
            elapsed,
            mismatches,
        })
    })?
}

/// The scenario: the server and the load client on one hub (or, with
/// `--serve`, the server alone, until killed).
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    if opts.flag("--serve") {
        let port: u16 = opts.extra_or("--port", 7878)?;
        Hub::new()?.run(|| -> Result<(), Error> {
            let listener = TcpListener::bind(([127, 0, 0, 1], port).into())?;
            say!("echo server on {}", listener.local_addr()?);
            serve(listener, None).map(drop)
        })??;
    }
    let conns: usize = opts.extra_or("--conns", CONNECTIONS)?;
    let rounds: u64 =
        opts.extra_or("--rounds", if opts.quick { QUICK_ROUNDS } else { ROUNDS } as u64)?;
    let mut traces = Traces::default();
    let f = opts.record(&mut traces, "echo", || run(conns, rounds))?;
    say!(
        "{} connections held, {} round trips in {:.2} s; {} bytes verified, {} echoed",
        f.held,
        f.round_trips,
        f.elapsed.as_secs_f64(),
        f.bytes_verified,
        f.bytes_echoed
    );
    Ok(Outcome {
        style: Style::Green,
        exact: false,
        figures: Row::Echo {
            connections: conns,
            held: f.held,
            round_trips: f.round_trips,
            bytes: f.bytes_verified,
            mismatches: f.mismatches + u64::from(f.bytes_echoed != f.bytes_verified),
            took: f.elapsed,
        },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::Echo, Style::Green, EXTRAS, scenario)
}
