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
//! after the request, with a plain `sleep(d)`. Real clock.
//!
//! ```text
//! cargo run -p simul-green --example blocking_io_green
//! ```

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use simul_green::net::{TcpListener, TcpStream};
use simul_green::{Error, Hub};

const SERVERS: usize = 5;
const DELAY: Duration = Duration::from_millis(200);
const REQUEST: &[u8] = b"request";
const REPLY: &[u8] = b"reply";

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
        let heartbeat = simul_green::spawn(move || -> io::Result<Duration> {
            let mut longest = Duration::ZERO;
            let mut last = simul_green::now()?;
            while !s.get() {
                simul_green::sleep(Duration::from_millis(10))?;
                let now = simul_green::now()?;
                longest = longest.max(now - last);
                last = now;
            }
            Ok(longest)
        })?;
        let start = simul_green::now()?;
        let fetches = addrs
            .iter()
            .map(|&addr| {
                simul_green::spawn(move || {
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

fn main() -> Result<(), Error> {
    let (addrs, servers) = start_servers(SERVERS, 2, DELAY)?;
    println!("{SERVERS} servers, each replying after {DELAY:?}");
    let mut figures = Vec::new();
    for (name, blocking) in [("blocking std calls", true), ("green sockets", false)] {
        let f = run(&addrs, blocking)?;
        let ok = f.replies.iter().filter(|r| r.as_slice() == REPLY).count();
        println!(
            "{name:>18}: {ok} replies in {:.3} s; longest heartbeat gap {:.3} s",
            f.elapsed.as_secs_f64(),
            f.longest_gap.as_secs_f64()
        );
        figures.push(f.elapsed);
    }
    servers.join().map_err(|_| Error::Io(io::Error::other("the server thread panicked")))??;
    println!(
        "blocking_io, green: blocking {:.3} s (K x d = {:.1} s), green {:.3} s (d = {:.1} s)",
        figures[0].as_secs_f64(),
        (DELAY * SERVERS as u32).as_secs_f64(),
        figures[1].as_secs_f64(),
        DELAY.as_secs_f64()
    );
    Ok(())
}
