//! `echo`, callback style: an echo server and a load client on one loop.
//!
//! The server is a `Protocol` that writes back what it reads. The client
//! opens `--conns` connections (default 100); each sends a 64-byte
//! message, checks that exactly those bytes come back, and sends the next,
//! `--rounds` times (default 100, 20 with `--quick`), or until `--secs`
//! seconds have passed if given. Ctrl-C stops early, cleanly, through
//! `add_signal_handler`. The summary gives connections held, round trips
//! per second and every byte verified.
//!
//! `--serve` runs only the server (until Ctrl-C) on `--port` (default
//! 7878), for an outside client.
//!
//! ```text
//! cargo run --release -p simul-callback --example echo_callback [-- --conns 1000 --rounds 50]
//! ```

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_callback::{Error, EventLoop, Protocol, Transport};
use simul_reactor::{Signal, trace};
use simul_scenario::params::echo::{CONNECTIONS, QUICK_ROUNDS, ROUNDS, SIZE};
use simul_scenario::{Extra, Figures, Options, Outcome, Scenario, Style, Traces, say};

/// Bytes per message; each message carries its connection and sequence
/// number so that a misrouted or stale echo is caught.
const MSG: usize = SIZE;

/// The example's own options.
const EXTRAS: &[Extra] = &[
    Extra { name: "--conns", value: Some("N"), help: "connections (default 100)" },
    Extra {
        name: "--rounds",
        value: Some("N"),
        help: "round trips per connection (default 100, quick 20)",
    },
    Extra { name: "--secs", value: Some("S"), help: "stop after S seconds instead" },
    Extra { name: "--serve", value: None, help: "only run the server, until Ctrl-C" },
    Extra {
        name: "--port",
        value: Some("P"),
        help: "the server's port with --serve (default 7878)",
    },
];

/// The server's side of a connection: writes back what it reads.
struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        // Never blocks, never drops: what the socket will not take now is
        // buffered by the transport.
        let _ = t.write(data);
    }
}

/// What all clients share.
#[derive(Default)]
struct Totals {
    round_trips: Cell<u64>,
    bytes_verified: Cell<u64>,
    connected: Cell<usize>,
    open: Cell<usize>,
    held: Cell<usize>,
    finished: Cell<usize>,
    errors: RefCell<Vec<String>>,
    stop: Cell<bool>,
}

/// One client connection: send, wait for the whole echo, check, repeat.
struct Client {
    id: u32,
    seq: u64,
    rounds: u64,
    expect: Vec<u8>,
    got: Vec<u8>,
    totals: Rc<Totals>,
}

impl Client {
    fn message(&self) -> Vec<u8> {
        let mut m = vec![0u8; MSG];
        m[..4].copy_from_slice(&self.id.to_le_bytes());
        m[4..12].copy_from_slice(&self.seq.to_le_bytes());
        for (i, b) in m[12..].iter_mut().enumerate() {
            *b = (self.seq as u8).wrapping_add(i as u8);
        }
        m
    }

    fn send_next(&mut self, t: &Transport) {
        if self.totals.stop.get() || self.seq >= self.rounds {
            t.close();
            return;
        }
        self.expect = self.message();
        self.got.clear();
        if t.write(&self.expect).is_err() {
            t.abort();
        }
    }
}

impl Protocol for Client {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        trace::name_current(format!("client {}", self.id + 1));
        self.totals.connected.set(self.totals.connected.get() + 1);
        self.totals.open.set(self.totals.open.get() + 1);
        self.totals.held.set(self.totals.held.get().max(self.totals.open.get()));
        self.send_next(t);
    }

    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        self.got.extend_from_slice(data);
        if self.got.len() < MSG {
            return; // the rest of this echo is still on its way
        }
        if self.got != self.expect {
            self.totals.errors.borrow_mut().push(format!("connection {}: echo differs", self.id));
            t.abort();
            return;
        }
        self.totals.round_trips.set(self.totals.round_trips.get() + 1);
        self.totals.bytes_verified.set(self.totals.bytes_verified.get() + MSG as u64);
        self.seq += 1;
        self.send_next(t);
    }

    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        if let Some(e) = error {
            self.totals.errors.borrow_mut().push(format!("connection {}: {e}", self.id));
        }
        self.totals.open.set(self.totals.open.get() - 1);
        self.totals.finished.set(self.totals.finished.get() + 1);
    }
}

/// Runs only the server until Ctrl-C.
fn serve(port: u16) -> Result<(), Error> {
    let mut lp = EventLoop::new()?;
    let server = lp.create_server(("127.0.0.1", port), || Box::new(Echo))?;
    say!("echo server on {} (Ctrl-C stops it)", server.local_addr());
    lp.add_signal_handler(Signal::INT, |lp| lp.stop())?;
    lp.run_forever()?;
    say!("\nstopped");
    Ok(())
}

/// The load: `conns` clients of `rounds` round trips each against a server
/// on the same loop, stopped early after `secs` if given.
pub fn run(conns: usize, rounds: u64, secs: Option<f64>) -> Result<Figures, Error> {
    let mut lp = EventLoop::new()?;
    let server = lp.create_server("127.0.0.1:0", || Box::new(Echo))?;
    let addr: SocketAddr = server.local_addr();
    let totals = Rc::new(Totals::default());
    for id in 0..conns {
        let client = Client {
            id: id as u32,
            seq: 0,
            rounds,
            expect: Vec::new(),
            got: Vec::new(),
            totals: totals.clone(),
        };
        lp.create_connection(addr, client)?;
    }
    let t = totals.clone();
    lp.add_signal_handler(Signal::INT, move |_| t.stop.set(true))?;
    if let Some(secs) = secs {
        let t = totals.clone();
        let _ = lp.call_later(Duration::from_secs_f64(secs.max(0.0)), move |_| t.stop.set(true));
    }

    let start = Instant::now();
    let t = totals.clone();
    lp.run_until(move |_| t.finished.get() == conns)?;
    let took = start.elapsed();
    server.close();

    let errors = totals.errors.borrow();
    for e in errors.iter().take(5) {
        say!("error: {e}");
    }
    let round_trips = totals.round_trips.get();
    say!(
        "{} connections held, {} round trips in {:.2} s: {:.0} round trips/s; {} bytes verified, {} errors",
        totals.held.get(),
        round_trips,
        took.as_secs_f64(),
        round_trips as f64 / took.as_secs_f64().max(1e-9),
        totals.bytes_verified.get(),
        errors.len()
    );
    Ok(Figures::Echo {
        connections: conns,
        held: totals.held.get(),
        round_trips,
        bytes: totals.bytes_verified.get(),
        mismatches: errors.len() as u64,
        took,
    })
}

/// The scenario (or, with `--serve`, only the server).
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    if opts.flag("--serve") {
        // Serve-only mode has no figures to report: it ends with the process.
        serve(opts.extra_or("--port", 7878)?)?;
        std::process::exit(0);
    }
    let conns = opts.extra_or("--conns", CONNECTIONS)?;
    let rounds = opts.extra_or("--rounds", if opts.quick { QUICK_ROUNDS } else { ROUNDS })? as u64;
    let secs = match opts.extra.iter().any(|(n, _)| *n == "--secs") {
        true => Some(opts.extra_or("--secs", 0.0f64)?),
        false => None,
    };
    let mut traces = Traces::default();
    let figures = opts.record(&mut traces, "echo", || run(conns, rounds, secs))?;
    Ok(Outcome { style: Style::Callback, exact: false, figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::Echo, Style::Callback, EXTRAS, scenario)
}
