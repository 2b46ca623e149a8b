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
//! loop could not serve them). Real clock.

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use simul_callback::{Error, EventLoop, Protocol, Transport};

const SERVERS: usize = 5;
const DELAY: Duration = Duration::from_millis(300);

/// Replies `DELAY` after a request, then closes.
struct SlowServer;

impl Protocol for SlowServer {
    fn data_received(&mut self, lp: &mut EventLoop, t: &Transport, _: &[u8]) {
        let t = t.clone();
        lp.call_later(DELAY, move |_| {
            let _ = t.write(b"reply");
            t.close();
        });
    }
}

/// Starts the servers on their own loop; returns their addresses.
fn start_servers() -> Vec<SocketAddr> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || -> Result<(), Error> {
        let mut lp = EventLoop::new()?;
        let mut addrs = Vec::new();
        for _ in 0..SERVERS {
            addrs.push(lp.create_server("127.0.0.1:0", || Box::new(SlowServer))?.local_addr());
        }
        let _ = tx.send(addrs);
        lp.run_forever()
    });
    rx.recv().unwrap_or_default()
}

/// A heartbeat every 10 ms; records when it last beat and the longest
/// gap between beats.
fn heartbeat(lp: &mut EventLoop, last: Rc<Cell<Instant>>, worst: Rc<Cell<Duration>>) {
    let now = Instant::now();
    worst.set(worst.get().max(now - last.get()));
    last.set(now);
    lp.call_later(Duration::from_millis(10), move |lp| heartbeat(lp, last, worst));
}

/// Sends a request, collects the reply until the server closes.
struct Fetch {
    reply: Vec<u8>,
    done: Rc<RefCell<Vec<Vec<u8>>>>,
}

impl Protocol for Fetch {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        let _ = t.write(b"request");
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        self.reply.extend_from_slice(data);
    }
    fn connection_lost(&mut self, _: &mut EventLoop, _: Option<io::Error>) {
        self.done.borrow_mut().push(std::mem::take(&mut self.reply));
    }
}

fn run(addrs: &[SocketAddr], blocking: bool) -> Result<(Duration, Duration, usize), Error> {
    let mut lp = EventLoop::new()?;
    let worst = Rc::new(Cell::new(Duration::ZERO));
    let last = Rc::new(Cell::new(Instant::now()));
    let (l, w) = (last.clone(), worst.clone());
    lp.call_soon(move |lp| heartbeat(lp, l, w));
    let done = Rc::new(RefCell::new(Vec::new()));
    let start = Instant::now();
    for &addr in addrs {
        let done = done.clone();
        if blocking {
            // What a blocking library does: the whole exchange inside one
            // callback, and the loop can do nothing else until it returns.
            lp.call_soon(move |_| {
                let mut reply = Vec::new();
                let fetched = std::net::TcpStream::connect(addr).and_then(|mut s| {
                    s.write_all(b"request")?;
                    s.read_to_end(&mut reply)
                });
                if fetched.is_ok() {
                    done.borrow_mut().push(reply);
                }
            });
        } else {
            lp.create_connection(addr, Fetch { reply: Vec::new(), done })?;
        }
    }
    lp.run_until(|_| done.borrow().len() == addrs.len())?;
    let elapsed = start.elapsed();
    // The gap still open at the end counts too.
    worst.set(worst.get().max(last.get().elapsed()));
    let ok = done.borrow().iter().filter(|r| r.as_slice() == b"reply").count();
    Ok((elapsed, worst.get(), ok))
}

fn main() -> Result<(), Error> {
    let addrs = start_servers();
    println!("{} servers, each replying after {:?}", addrs.len(), DELAY);
    for (name, blocking) in [("blocking std calls", true), ("non-blocking sockets", false)] {
        let (elapsed, gap, ok) = run(&addrs, blocking)?;
        println!(
            "{name:>20}: {ok} replies in {:.3} s (K x d = {:.1} s, d = {:.1} s); longest heartbeat gap {:.3} s",
            elapsed.as_secs_f64(),
            (DELAY * addrs.len() as u32).as_secs_f64(),
            DELAY.as_secs_f64(),
            gap.as_secs_f64()
        );
    }
    Ok(())
}
