//! Seeds 001/004, `blocking_io`, hand-written future style: fetch from K
//! loopback servers that each reply after a delay d. No `async` anywhere.
//!
//! With blocking `std` calls inside a poll, the loop waits for each
//! reply in turn: about K × d, and a heartbeat task stalls meanwhile. With
//! the runtime's non-blocking `TcpStream`, each fetch returns `Pending`
//! while its server thinks, the K requests are in flight together: about
//! d, and the heartbeat keeps beating.
//!
//! The servers are plain threads (one per connection), so that a blocked
//! client loop cannot hold them up. Real clock; `--servers K --delay-ms D`.
//!
//! ```text
//! cargo run -p simul-future --example blocking_io_future [-- --servers 5 --delay-ms 300]
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

const REQUEST: &[u8] = b"request";
const REPLY: &[u8] = b"reply";
const BEAT: Duration = Duration::from_millis(10);

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

/// The blocking library call: the whole exchange with `std` in one poll,
/// never `Pending`.
///
/// ```text
///   [poll] --connect, write, read to end (all blocking)--> Ready(reply)
/// ```
struct FetchBlocking {
    addr: SocketAddr,
}

impl Future for FetchBlocking {
    type Output = io::Result<Vec<u8>>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
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
///   [Connecting] --connected--> [Sending{sent}] --all sent--> [Receiving{reply}]
///     | Pending                   | Pending  ^ partial         | Pending  ^ n > 0
///                                            +----             |          +----
///                                                              | 0 (server closed): Ready(reply)
/// ```
enum Fetch {
    Connecting { connect: Connect },
    Sending { stream: TcpStream, sent: usize },
    Receiving { stream: TcpStream, reply: Vec<u8> },
    Done,
}

impl Future for Fetch {
    type Output = io::Result<Vec<u8>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
        let this = self.get_mut();
        loop {
            match this {
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

pin_project_lite::pin_project! {
    /// Beats every `BEAT` until `stop`; records the longest gap.
    ///
    /// ```text
    ///   [Beating{beat}] --beat Ready: note the gap, new beat--+
    ///        ^  | Pending                                    |
    ///        +-----------------------------------------------+   stop: Ready(())
    /// ```
    struct Heartbeat {
        last: Rc<Cell<Instant>>,
        worst: Rc<Cell<Duration>>,
        stop: Rc<Cell<bool>>,
        #[pin]
        beat: Sleep,
    }
}

impl Future for Heartbeat {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            if this.stop.get() {
                return Poll::Ready(());
            }
            ready!(this.beat.as_mut().poll(cx));
            let now = Instant::now();
            this.worst.set(this.worst.get().max(now - this.last.get()));
            this.last.set(now);
            this.beat.set(sleep(BEAT));
        }
    }
}

/// Fetches from every server, blocking or not.
pub fn run(addrs: &[SocketAddr], blocking: bool) -> io::Result<Figures> {
    let mut rt = Runtime::new()?;
    let (last, worst) = (Rc::new(Cell::new(Instant::now())), Rc::new(Cell::new(Duration::ZERO)));
    let stop = Rc::new(Cell::new(false));
    let (l, w, s) = (last.clone(), worst.clone(), stop.clone());
    let beating = rt.spawn(Heartbeat { last: l, worst: w, stop: s, beat: sleep(BEAT) });
    let start = Instant::now();
    let fetches = addrs
        .iter()
        .map(|&addr| {
            if blocking {
                rt.spawn(FetchBlocking { addr })
            } else {
                rt.spawn(Fetch::Connecting { connect: TcpStream::connect(addr) })
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

fn arg(args: &[String], name: &str, default: u64) -> Result<u64, Box<dyn std::error::Error>> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or(format!("{name} needs a number"))?.parse()?),
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let k = arg(&args, "--servers", 5)? as usize;
    let delay = Duration::from_millis(arg(&args, "--delay-ms", 300)?);
    let addrs = start_servers(k, delay)?;
    println!("{k} servers, each replying after {delay:?}");
    for (name, blocking) in [("blocking std calls", true), ("non-blocking sockets", false)] {
        let f = run(&addrs, blocking)?;
        println!(
            "{name:>20}: {}/{k} replies in {:.3} s (the seeds: K x d = {:.1} s blocking, d = {:.1} s not); longest heartbeat gap {:.3} s",
            f.ok,
            f.elapsed.as_secs_f64(),
            (delay * k as u32).as_secs_f64(),
            delay.as_secs_f64(),
            f.gap.as_secs_f64()
        );
    }
    Ok(())
}
