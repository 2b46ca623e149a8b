//! Seeds 001/004, `blocking_io`, callback style: fetch from K loopback
//! servers that each reply after a delay d.
//!
//! With blocking `std` calls inside a callback, the loop waits for each
//! reply in turn: about K x d, and a heartbeat callback stalls meanwhile.
//! With the loop's non-blocking sockets (`create_connection` and a
//! `Protocol`), the K requests are in flight together: about d, and the
//! heartbeat keeps beating.
//!
//! The servers run on their own loop in another thread (a blocked client
//! loop could not serve them). Real clock; `--quick` uses a shorter d.
//!
//! ```text
//! cargo run --release -p simul-callback --example blocking_io_callback [-- --quick --board]
//! ```

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use simul_callback::{Error, EventLoop, LoopHandle, Protocol, Transport};
use simul_reactor::trace;
use simul_scenario::params::blocking_io::{BEAT, DELAY, QUICK_DELAY, REPLY, REQUEST, SERVERS};
use simul_scenario::{Figures, IoRun, Options, Outcome, Scenario, Style, Traces, say};

/// Replies `delay` after a request, then closes.
struct SlowServer {
    delay: Duration,
}

impl Protocol for SlowServer {
    fn data_received(&mut self, lp: &mut EventLoop, t: &Transport, _: &[u8]) {
        let t = t.clone();
        lp.call_later(self.delay, move |_| {
            let _ = t.write(REPLY);
            t.close();
        });
    }
}

/// The servers' loop, running on its own thread until dropped.
struct Servers {
    /// Where they listen.
    addrs: Vec<SocketAddr>,
    /// Stops their loop.
    handle: Option<LoopHandle>,
    /// Their thread.
    thread: Option<std::thread::JoinHandle<Result<(), Error>>>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.call_soon_threadsafe(|lp| lp.stop());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts K servers replying after `delay` on their own loop.
fn start_servers(delay: Duration) -> Result<Servers, Error> {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || -> Result<(), Error> {
        let mut lp = EventLoop::new()?;
        let mut addrs = Vec::new();
        for _ in 0..SERVERS {
            addrs.push(
                lp.create_server("127.0.0.1:0", move || Box::new(SlowServer { delay }))?
                    .local_addr(),
            );
        }
        let _ = tx.send((addrs, lp.handle()));
        lp.run_forever()
    });
    match rx.recv() {
        Ok((addrs, handle)) => Ok(Servers { addrs, handle: Some(handle), thread: Some(thread) }),
        Err(_) => Err(match thread.join() {
            Ok(Err(e)) => e,
            _ => Error::from(io::Error::other("the servers' thread ended before listening")),
        }),
    }
}

/// A heartbeat every `BEAT`; records when it last beat and the longest
/// gap between beats.
fn heartbeat(lp: &mut EventLoop, last: Rc<Cell<Instant>>, worst: Rc<Cell<Duration>>) {
    let now = Instant::now();
    worst.set(worst.get().max(now - last.get()));
    last.set(now);
    lp.call_later(BEAT, move |lp| heartbeat(lp, last, worst));
}

/// Sends a request, collects the reply until the server closes.
struct Fetch {
    reply: Vec<u8>,
    done: Rc<RefCell<Vec<Vec<u8>>>>,
}

impl Protocol for Fetch {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        let _ = t.write(REQUEST);
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.reply.extend_from_slice(data);
    }
    fn connection_lost(&mut self, _: &mut EventLoop, _: Option<io::Error>) {
        self.done.borrow_mut().push(std::mem::take(&mut self.reply));
    }
}

/// Fetches once from every server, with blocking std calls or with the
/// loop's sockets, beside a heartbeat.
pub fn run(addrs: &[SocketAddr], blocking: bool) -> Result<IoRun, Error> {
    let mut lp = EventLoop::new()?;
    let worst = Rc::new(Cell::new(Duration::ZERO));
    let last = Rc::new(Cell::new(Instant::now()));
    let (l, w) = (last.clone(), worst.clone());
    lp.call_soon(move |lp| {
        trace::name_current("heartbeat");
        heartbeat(lp, l, w)
    });
    let done = Rc::new(RefCell::new(Vec::new()));
    let start = Instant::now();
    for (i, &addr) in addrs.iter().enumerate() {
        let done = done.clone();
        let name = format!("fetch {}", i + 1);
        if blocking {
            // What a blocking library does: the whole exchange inside one
            // callback, and the loop can do nothing else until it returns.
            lp.call_soon(move |_| {
                trace::name_current(name);
                let mut reply = Vec::new();
                let fetched = std::net::TcpStream::connect(addr).and_then(|mut s| {
                    s.write_all(REQUEST)?;
                    s.read_to_end(&mut reply)
                });
                if fetched.is_ok() {
                    done.borrow_mut().push(reply);
                }
            });
        } else {
            // A callback that opens the connection, so the fetch is a unit
            // of its own (its protocol's callbacks continue it).
            lp.call_soon(move |lp| {
                trace::name_current(name);
                if let Err(e) =
                    lp.create_connection(addr, Fetch { reply: Vec::new(), done: done.clone() })
                {
                    say!("fetch from {addr} failed: {e}");
                    done.borrow_mut().push(Vec::new());
                }
            });
        }
    }
    lp.run_until(|_| done.borrow().len() == addrs.len())?;
    let took = start.elapsed();
    // The gap still open at the end counts too.
    worst.set(worst.get().max(last.get().elapsed()));
    let ok = done.borrow().iter().filter(|r| r.as_slice() == REPLY).count();
    Ok(IoRun { took, worst_gap: worst.get(), ok })
}

/// The scenario: both ways against the same servers.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let delay = if opts.quick { QUICK_DELAY } else { DELAY };
    let servers = start_servers(delay)?;
    say!("{} servers, each replying after {delay:?}", servers.addrs.len());
    let mut traces = Traces::default();
    let blocking = opts.record(&mut traces, "blocking", || run(&servers.addrs, true))?;
    say!(
        "blocking std calls: {} replies in {:.3} s, heartbeat gap {:.3} s",
        blocking.ok,
        blocking.took.as_secs_f64(),
        blocking.worst_gap.as_secs_f64()
    );
    let non_blocking = opts.record(&mut traces, "non_blocking", || run(&servers.addrs, false))?;
    say!(
        "the loop's sockets: {} replies in {:.3} s, heartbeat gap {:.3} s",
        non_blocking.ok,
        non_blocking.took.as_secs_f64(),
        non_blocking.worst_gap.as_secs_f64()
    );
    let figures = Figures::BlockingIo { servers: SERVERS, delay, blocking, non_blocking };
    Ok(Outcome { style: Style::Callback, exact: false, figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::BlockingIo, Style::Callback, scenario)
}
