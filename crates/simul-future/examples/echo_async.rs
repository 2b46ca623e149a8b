//! `echo`, `async fn` style: the reason event loops exist. An echo server
//! holds many connections at once on one thread, one small task each;
//! a load client on the same runtime opens them all, sends rounds of
//! messages on every one concurrently, and checks that every byte comes
//! back.
//!
//! ```python
//! async def handle(reader, writer):
//!     while data := await reader.read(4096):
//!         writer.write(data)
//!         await writer.drain()
//! ```
//!
//! Prints the connections held, the round trips per second and that every
//! byte matched. Bounded by default (`--conns 100 --rounds 100 --size 64`).
//!
//! ```text
//! cargo run --release -p simul-future --example echo_async [-- --conns 100 --rounds 100 --size 64]
//! ```

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream, join_all, spawn};
use simul_reactor::trace;
use simul_scenario::params::echo::{CONNECTIONS, QUICK_ROUNDS, ROUNDS, SIZE};
use simul_scenario::{Extra, Options, Outcome, Scenario, Style, Traces, say};

/// The example's own options.
const EXTRAS: &[Extra] = &[
    Extra { name: "--conns", value: Some("N"), help: "connections (default 100)" },
    Extra {
        name: "--rounds",
        value: Some("N"),
        help: "round trips per connection (default 100, quick 20)",
    },
    Extra { name: "--size", value: Some("B"), help: "bytes per message (default 64)" },
];

/// The load to drive.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Connections held at once.
    pub conns: usize,
    /// Round trips per connection.
    pub rounds: usize,
    /// Bytes per message.
    pub size: usize,
}

/// What a run measures.
#[derive(Debug)]
pub struct Figures {
    /// Connections the server accepted (and held at once).
    pub conns: usize,
    /// Round trips completed, every byte checked.
    pub round_trips: usize,
    /// Bytes echoed (each checked).
    pub bytes: usize,
    /// From the first connect until the last reply.
    pub elapsed: Duration,
}

/// One connection, server side: echo until the client closes.
async fn handle(mut stream: TcpStream, conn: usize) -> io::Result<()> {
    if trace::enabled() {
        trace::name_current(format!("echo {conn}"));
    }
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Accepts `conns` connections, one task each; returns how many.
async fn serve(listener: TcpListener, conns: usize) -> io::Result<usize> {
    trace::name_current("server");
    let mut handlers = Vec::new();
    for conn in 1..=conns {
        let (stream, _peer) = listener.accept().await?;
        handlers.push(spawn(handle(stream, conn)));
    }
    for h in join_all(handlers).await {
        h.map_err(|e| io::Error::other(e.to_string()))??;
    }
    Ok(conns)
}

/// The message for round `round` on connection `conn`: a pattern that
/// differs per connection and per round, so a mixed-up reply is caught.
fn message(conn: usize, round: usize, size: usize) -> Vec<u8> {
    (0..size).map(|i| (conn * 31 + round * 7 + i) as u8).collect()
}

/// One client connection: send each round, read it back, compare.
async fn client(addr: SocketAddr, conn: usize, load: Load) -> io::Result<usize> {
    if trace::enabled() {
        trace::name_current(format!("client {}", conn + 1));
    }
    let mut stream = TcpStream::connect(addr).await?;
    let mut back = vec![0; load.size];
    for round in 0..load.rounds {
        let sent = message(conn, round, load.size);
        stream.write_all(&sent).await?;
        stream.read_exact(&mut back).await?;
        if back != sent {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "echo differs"));
        }
    }
    Ok(load.rounds)
}

/// Runs the server and the load client on one runtime.
pub fn run(load: Load) -> io::Result<Figures> {
    let mut rt = Runtime::new()?;
    let start = Instant::now();
    let (accepted, round_trips) = rt.block_on(async move {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let server = spawn(serve(listener, load.conns));
        let clients = (0..load.conns).map(|c| spawn(client(addr, c, load))).collect();
        let mut round_trips = 0;
        for done in join_all(clients).await {
            round_trips += done.map_err(|e| io::Error::other(e.to_string()))??;
        }
        let accepted = server.await.map_err(|e| io::Error::other(e.to_string()))??;
        Ok::<_, io::Error>((accepted, round_trips))
    })??;
    let elapsed = start.elapsed();
    Ok(Figures { conns: accepted, round_trips, bytes: round_trips * load.size, elapsed })
}

/// The scenario: the load against the server, every byte checked.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let load = Load {
        conns: opts.extra_or("--conns", CONNECTIONS)?,
        rounds: opts.extra_or("--rounds", if opts.quick { QUICK_ROUNDS } else { ROUNDS })?,
        size: opts.extra_or("--size", SIZE)?.max(1),
    };
    let mut traces = Traces::default();
    let f = opts.record(&mut traces, "echo", || run(load))?;
    say!(
        "{} connections held, {} round trips of {} bytes in {:.3} s: {:.0} round trips/s; all {} bytes came back exactly",
        f.conns,
        f.round_trips,
        load.size,
        f.elapsed.as_secs_f64(),
        f.round_trips as f64 / f.elapsed.as_secs_f64(),
        f.bytes
    );
    // A reply that differs fails the run (`run` returns the error), so a
    // finished run has no mismatches.
    let figures = simul_scenario::Figures::Echo {
        connections: load.conns,
        held: f.conns,
        round_trips: f.round_trips as u64,
        bytes: f.bytes as u64,
        mismatches: 0,
        took: f.elapsed,
    };
    Ok(Outcome { style: Style::Async, exact: false, figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::Echo, Style::Async, EXTRAS, scenario)
}
