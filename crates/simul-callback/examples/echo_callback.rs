//! `echo`, callback style: an echo server and a load client on one loop.
//!
//! The server is a `Protocol` that writes back what it reads. The client
//! opens `--conns` connections (default 100); each sends a message,
//! checks that exactly those bytes come back, and sends the next, for
//! `--secs` seconds (default 2) of real time. Ctrl-C stops early, cleanly,
//! through `add_signal_handler`. The summary gives connections held, round
//! trips per second and every byte verified.
//!
//! `--serve` runs only the server (until Ctrl-C) on `--port` (default
//! 7878), for an outside client.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_callback::{Error, EventLoop, Protocol, Transport};
use simul_reactor::Signal;

/// Bytes per message; each message carries its connection and sequence
/// number so that a misrouted or stale echo is caught.
const MSG: usize = 64;

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
    finished: Cell<usize>,
    errors: RefCell<Vec<String>>,
    stop: Cell<bool>,
}

/// One client connection: send, wait for the whole echo, check, repeat.
struct Client {
    id: u32,
    seq: u64,
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
        if self.totals.stop.get() {
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
        self.totals.connected.set(self.totals.connected.get() + 1);
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
        self.totals.finished.set(self.totals.finished.get() + 1);
    }
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let mut lp = EventLoop::new()?;

    if args.iter().any(|a| a == "--serve") {
        let port: u16 = arg(&args, "--port", 7878);
        let server = lp.create_server(("127.0.0.1", port), || Box::new(Echo))?;
        println!("echo server on {} (Ctrl-C stops it)", server.local_addr());
        lp.add_signal_handler(Signal::INT, |lp| lp.stop())?;
        lp.run_forever()?;
        println!("\nstopped");
        return Ok(());
    }

    let conns: usize = arg(&args, "--conns", 100);
    let secs: f64 = arg(&args, "--secs", 2.0);
    let server = lp.create_server("127.0.0.1:0", || Box::new(Echo))?;
    let addr: SocketAddr = server.local_addr();
    let totals = Rc::new(Totals::default());
    for id in 0..conns {
        let client = Client {
            id: id as u32,
            seq: 0,
            expect: Vec::new(),
            got: Vec::new(),
            totals: totals.clone(),
        };
        lp.create_connection(addr, client)?;
    }
    let t = totals.clone();
    lp.add_signal_handler(Signal::INT, move |_| t.stop.set(true))?;
    let t = totals.clone();
    let _ = lp.call_later(Duration::from_secs_f64(secs.max(0.0)), move |_| t.stop.set(true));

    let start = Instant::now();
    let t = totals.clone();
    lp.run_until(move |_| t.finished.get() == conns)?;
    let elapsed = start.elapsed().as_secs_f64();
    server.close();

    let errors = totals.errors.borrow();
    for e in errors.iter().take(5) {
        eprintln!("error: {e}");
    }
    println!(
        "{} connections held, {} round trips in {:.2} s: {:.0} round trips/s; {} bytes verified, {} errors",
        totals.connected.get(),
        totals.round_trips.get(),
        elapsed,
        totals.round_trips.get() as f64 / elapsed,
        totals.bytes_verified.get(),
        errors.len()
    );
    Ok(())
}
