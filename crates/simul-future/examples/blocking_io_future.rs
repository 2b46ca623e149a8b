//! Seeds 001/004, `blocking_io`, hand-written future style: fetch from K
//! loopback servers that each reply after a delay d. No `async` anywhere.
//!
//! With blocking `std` calls inside a poll, the loop waits for each
//! reply in turn: about K × d, and a heartbeat task stalls meanwhile. With
//! the runtime's non-blocking `TcpStream`, each fetch returns `Pending`
//! while its server thinks, the K requests are in flight together: about
//! d, and the heartbeat keeps beating.
//!
//! Each fetch is a task of its own (lanes `fetch 1` .. `fetch K`), beside
//! the `heartbeat` task. The servers are plain threads (one per
//! connection), so that a blocked client loop cannot hold them up. Real
//! clock; K and d come from `params::blocking_io` (d = 100 ms with
//! `--quick`), or `--servers K --delay-ms D`.
//!
//! ```text
//! cargo run -p simul-future --example blocking_io_future [-- --servers 5 --delay-ms 300 --board]
//! ```

use std::cell::Cell;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use simul_future::{AsyncRead, AsyncWrite, Connect, Runtime, Sleep, TcpStream, join_all, sleep};
use simul_reactor::trace;
use simul_scenario::params::blocking_io::{BEAT, DELAY, QUICK_DELAY, REPLY, REQUEST, SERVERS};
use simul_scenario::{Extra, IoRun, Options, Outcome, Scenario, Style, Traces, say};

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

/// Names the task being polled `fetch n`; the `format!` is only paid for
/// while a trace records.
fn name_fetch(n: usize) {
    if trace::enabled() {
        trace::name_current(format!("fetch {n}"));
    }
}

/// The blocking library call: the whole exchange with `std` in one poll,
/// never `Pending`.
///
/// ```text
///   [poll] --connect, write, read to end (all blocking)--> Ready(reply)
/// ```
#[must_use = "futures do nothing unless polled"]
struct FetchBlocking {
    /// Which fetch (from 1): its lane is `fetch n`.
    n: usize,
    addr: SocketAddr,
}

impl Future for FetchBlocking {
    type Output = io::Result<Vec<u8>>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
        name_fetch(self.n);
        let exchange = || {
            let mut s = std::net::TcpStream::connect(self.addr)?;
            s.write_all(REQUEST)?;
            let mut reply = Vec::new();
            s.read_to_end(&mut reply)?;
            Ok(reply)
        };
        Poll::Ready(exchange())
    }
}

/// The same exchange on the runtime's sockets. Every field is `Unpin`
/// (`Connect` and `TcpStream` are), so the enum is too and can be
/// matched through `get_mut` without projection.
///
/// ```text
///   [Start] --name the lane, connect--> [Connecting] --connected--> [Sending{sent}] --all sent--> [Receiving{reply}]
///     | Pending                   | Pending  ^ partial         | Pending  ^ n > 0
///                                            +----             |          +----
///                                                              | 0 (server closed): Ready(reply)
/// ```
#[must_use = "futures do nothing unless polled"]
enum Fetch {
    /// Not polled yet: fetch `n` (from 1).
    Start {
        n: usize,
        addr: SocketAddr,
    },
    Connecting {
        connect: Connect,
    },
    Sending {
        stream: TcpStream,
        sent: usize,
    },
    Receiving {
        stream: TcpStream,
        reply: Vec<u8>,
    },
    Done,
}

impl Future for Fetch {
    type Output = io::Result<Vec<u8>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
        let this = self.get_mut();
        loop {
            match this {
                Fetch::Start { n, addr } => {
                    name_fetch(*n);
                    *this = Fetch::Connecting { connect: TcpStream::connect(*addr) };
                }
                Fetch::Connecting { connect } => {
                    let stream = ready!(Pin::new(connect).poll(cx))?;
                    *this = Fetch::Sending { stream, sent: 0 };
                }
                Fetch::Sending { stream, sent } => {
                    *sent += ready!(Pin::new(&mut *stream).poll_write(cx, &REQUEST[*sent..]))?;
                    if *sent == REQUEST.len() {
                        let Fetch::Sending { stream, .. } = std::mem::replace(this, Fetch::Done)
                        else {
                            unreachable!("the state was Sending a moment ago")
                        };
                        *this = Fetch::Receiving { stream, reply: Vec::new() };
                    }
                }
                Fetch::Receiving { stream, reply } => {
                    let mut buf = [0; 64];
                    match ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf))? {
                        0 => {
                            let reply = std::mem::take(reply);
                            *this = Fetch::Done;
                            return Poll::Ready(Ok(reply));
                        }
                        n => reply.extend_from_slice(&buf[..n]),
                    }
                }
                Fetch::Done => panic!("Fetch polled after it finished"),
            }
        }
    }
}

/// Beats every `BEAT` until `stop`; records the longest gap. Every
/// field is `Unpin` (`Sleep` is), so no pin projection is needed.
///
/// ```text
///   [Beating{beat}] --beat Ready: note the gap, new beat--+
///        ^  | Pending                                    |
///        +-----------------------------------------------+   stop: Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
struct Heartbeat {
    last: Rc<Cell<Instant>>,
    worst: Rc<Cell<Duration>>,
    stop: Rc<Cell<bool>>,
    beat: Sleep,
    /// Whether the lane has its name yet.
    named: bool,
}

impl Future for Heartbeat {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !std::mem::replace(&mut this.named, true) {
            trace::name_current("heartbeat");
        }
        loop {
            if this.stop.get() {
                return Poll::Ready(());
            }
            ready!(Pin::new(&mut this.beat).poll(cx));
            let now = Instant::now();
            this.worst.set(this.worst.get().max(now - this.last.get()));
            this.last.set(now);
            this.beat = sleep(BEAT);
        }
    }
}

/// Fetches from every server, blocking or not.
pub fn run(addrs: &[SocketAddr], blocking: bool) -> io::Result<Figures> {
    let mut rt = Runtime::new()?;
    let (last, worst) = (Rc::new(Cell::new(Instant::now())), Rc::new(Cell::new(Duration::ZERO)));
    let stop = Rc::new(Cell::new(false));
    let (l, w, s) = (last.clone(), worst.clone(), stop.clone());
    let heart = Heartbeat { last: l, worst: w, stop: s, beat: sleep(BEAT), named: false };
    let beating = rt.spawn(heart);
    let start = Instant::now();
    let fetches = (1..)
        .zip(addrs)
        .map(|(n, &addr)| {
            if blocking {
                rt.spawn(FetchBlocking { n, addr })
            } else {
                rt.spawn(Fetch::Start { n, addr })
            }
        })
        .collect();
    let replies = rt.block_on(join_all(fetches))?;
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

/// This example's own options.
const EXTRAS: &[Extra] = &[
    Extra { name: "--servers", value: Some("K"), help: "how many servers (default 5)" },
    Extra { name: "--delay-ms", value: Some("D"), help: "each server's delay (default 300)" },
];

/// The scenario: the fetches with std's blocking calls, then with the
/// runtime's sockets, each traced as its variant.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let servers = opts.extra_or("--servers", SERVERS)?;
    let default_delay = if opts.quick { QUICK_DELAY } else { DELAY };
    let delay = opts.extra_or("--delay-ms", default_delay.as_millis() as u64)?;
    let delay = Duration::from_millis(delay);
    let addrs = start_servers(servers, delay)?;
    say!("{servers} servers, each replying after {delay:?}");
    let mut traces = Traces::default();
    let mut fetch = |variant: &'static str, title: &str, blocking: bool| {
        let f = opts.record(&mut traces, variant, || run(&addrs, blocking))?;
        say!(
            "{title:>20}: {}/{servers} replies in {:.3} s; longest heartbeat gap {:.3} s",
            f.ok,
            f.elapsed.as_secs_f64(),
            f.gap.as_secs_f64()
        );
        Ok::<_, io::Error>(IoRun { took: f.elapsed, worst_gap: f.gap, ok: f.ok })
    };
    let blocking = fetch("blocking", "blocking std calls", true)?;
    let non_blocking = fetch("non_blocking", "non-blocking sockets", false)?;
    Ok(Outcome {
        style: Style::Future,
        exact: false,
        figures: simul_scenario::Figures::BlockingIo { servers, delay, blocking, non_blocking },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::BlockingIo, Style::Future, EXTRAS, scenario)
}
