//! `echo`, hand-written future style: the reason event loops exist. An
//! echo server holds many connections at once on one thread, one small
//! task each; a load client on the same runtime opens them all, sends
//! rounds of messages on every one concurrently, and checks that every
//! byte comes back. No `async` anywhere: the server's connection task is
//! an enum `Reading`/`Writing`, the client's `Connecting`/`Sending`/
//! `Receiving`.
//!
//! Every connection task is a lane of its own on the board: `server`
//! (accepting), `echo 1` .. (its connection tasks), `client 1` .., and
//! `main` (the run: the future `block_on` runs).
//!
//! Prints the connections held, the round trips per second and that every
//! byte matched. Bounded by default (`params::echo`: 100 connections, 100
//! rounds, 64 bytes; 20 rounds with `--quick`), or `--conns N --rounds N
//! --size N`.
//!
//! ```text
//! cargo run --release -p simul-future --example echo_future [-- --conns 100 --rounds 100 --size 64 --board]
//! ```

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use simul_future::{
    AsyncRead, AsyncWrite, Connect, JoinAll, JoinError, JoinHandle, Runtime, TcpListener,
    TcpStream, join_all, spawn,
};
use simul_reactor::trace;
use simul_scenario::params::echo::{CONNECTIONS, QUICK_ROUNDS, ROUNDS, SIZE};
use simul_scenario::{Extra, Options, Outcome, Scenario, Style, Traces, say};

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

/// The message for round `round` on connection `conn`: a pattern that
/// differs per connection and per round, so a mixed-up reply is caught.
fn message(conn: usize, round: usize, size: usize) -> Vec<u8> {
    (0..size).map(|i| (conn * 31 + round * 7 + i) as u8).collect()
}

fn join_error(e: JoinError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Names the task being polled `what n`; the `format!` is only paid for
/// while a trace records.
fn name_lane(what: &str, n: usize) {
    if trace::enabled() {
        trace::name_current(format!("{what} {n}"));
    }
}

/// One connection, server side: echo until the client closes. All fields
/// are `Unpin`, so the enum is matched through `get_mut`.
///
/// ```text
///   [Start{n}] --name the lane--> [Reading{buf}] --n bytes--> [Writing{buf, n, written}] --all written--> [Reading]
///     | Pending                   | Pending  ^ partial: again
///     | 0 (client closed): Ready(Ok(()))
/// ```
#[must_use = "futures do nothing unless polled"]
enum Handle {
    /// Not polled yet: the `n`th connection accepted (from 1).
    Start {
        n: usize,
        stream: TcpStream,
    },
    Reading {
        stream: TcpStream,
        buf: Box<[u8; 4096]>,
    },
    Writing {
        stream: TcpStream,
        buf: Box<[u8; 4096]>,
        filled: usize,
        written: usize,
    },
    Done,
}

impl Future for Handle {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(this, Handle::Done) {
                Handle::Start { n, stream } => {
                    name_lane("echo", n);
                    *this = Handle::Reading { stream, buf: Box::new([0; 4096]) };
                }
                Handle::Reading { mut stream, mut buf } => {
                    match Pin::new(&mut stream).poll_read(cx, &mut buf[..]) {
                        Poll::Pending => {
                            *this = Handle::Reading { stream, buf };
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(0)) => return Poll::Ready(Ok(())),
                        Poll::Ready(Ok(filled)) => {
                            *this = Handle::Writing { stream, buf, filled, written: 0 };
                        }
                    }
                }
                Handle::Writing { mut stream, buf, filled, written } => {
                    match Pin::new(&mut stream).poll_write(cx, &buf[written..filled]) {
                        Poll::Pending => {
                            *this = Handle::Writing { stream, buf, filled, written };
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(n)) if written + n == filled => {
                            *this = Handle::Reading { stream, buf };
                        }
                        Poll::Ready(Ok(n)) => {
                            *this = Handle::Writing { stream, buf, filled, written: written + n };
                        }
                    }
                }
                Handle::Done => panic!("Handle polled after it finished"),
            }
        }
    }
}

/// The server: accept `conns` connections, one `Handle` task each, then
/// wait for them all.
///
/// ```text
///   [Start] --name the lane--> [Accepting{left}] --accepted, spawn Handle, left > 1--> [Accepting{left - 1}]
///     | Pending         --last one--> [Gathering{join_all(handles)}] --all Ready--> Ready(conns)
/// ```
#[must_use = "futures do nothing unless polled"]
enum Serve {
    /// Not polled yet: to accept `conns` connections.
    Start {
        listener: TcpListener,
        conns: usize,
    },
    Accepting {
        listener: TcpListener,
        left: usize,
        handles: Vec<JoinHandle<io::Result<()>>>,
    },
    Gathering {
        conns: usize,
        all: JoinAll<JoinHandle<io::Result<()>>>,
    },
    Done,
}

impl Future for Serve {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match this {
                Serve::Start { .. } => {
                    trace::name_current("server");
                    let Serve::Start { listener, conns } = std::mem::replace(this, Serve::Done)
                    else {
                        unreachable!("the state was Start a moment ago")
                    };
                    *this = Serve::Accepting { listener, left: conns, handles: Vec::new() };
                }
                Serve::Accepting { left: 0, handles, .. } => {
                    let handles = std::mem::take(handles);
                    *this = Serve::Gathering { conns: handles.len(), all: join_all(handles) };
                }
                Serve::Accepting { listener, left, handles } => {
                    // `Accept` only borrows the listener (whose registration
                    // remembers this task), so a fresh one each poll is fine.
                    let (stream, _peer) = ready!(Pin::new(&mut listener.accept()).poll(cx))?;
                    let n = handles.len() + 1;
                    handles.push(spawn(Handle::Start { n, stream }));
                    *left -= 1;
                }
                Serve::Gathering { conns, all } => {
                    for handled in ready!(Pin::new(all).poll(cx)) {
                        handled.map_err(join_error)??;
                    }
                    let conns = *conns;
                    *this = Serve::Done;
                    return Poll::Ready(Ok(conns));
                }
                Serve::Done => panic!("Serve polled after it finished"),
            }
        }
    }
}

/// One client connection: send each round, read it back, compare.
///
/// ```text
///   [Start] --name the lane--> [Connecting] --> [Sending{round, written}] --all sent--> [Receiving{round, got}]
///     | Pending        | Pending, partial: again               | Pending, partial: again
///                      ^                                       | all back and equal:
///                      +---- round + 1 < rounds ---------------+ round + 1 == rounds: Ready
/// ```
#[must_use = "futures do nothing unless polled"]
enum Client {
    /// Not polled yet: connection `conn` (from 0) to `addr`.
    Start {
        addr: SocketAddr,
        conn: usize,
        load: Load,
    },
    Connecting {
        connect: Connect,
        conn: usize,
        load: Load,
    },
    Sending {
        stream: TcpStream,
        conn: usize,
        load: Load,
        round: usize,
        sent: Vec<u8>,
        written: usize,
    },
    Receiving {
        stream: TcpStream,
        conn: usize,
        load: Load,
        round: usize,
        sent: Vec<u8>,
        back: Vec<u8>,
        got: usize,
    },
    Done,
}

impl Future for Client {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match this {
                Client::Start { addr, conn, load } => {
                    name_lane("client", *conn + 1);
                    let connect = TcpStream::connect(*addr);
                    *this = Client::Connecting { connect, conn: *conn, load: *load };
                }
                Client::Connecting { connect, conn, load } => {
                    let stream = ready!(Pin::new(connect).poll(cx))?;
                    let (conn, load) = (*conn, *load);
                    if load.rounds == 0 {
                        *this = Client::Done;
                        return Poll::Ready(Ok(0));
                    }
                    let sent = message(conn, 0, load.size);
                    *this = Client::Sending { stream, conn, load, round: 0, sent, written: 0 };
                }
                Client::Sending { stream, sent, written, .. } => {
                    *written += ready!(Pin::new(&mut *stream).poll_write(cx, &sent[*written..]))?;
                    if *written == sent.len() {
                        let Client::Sending { stream, conn, load, round, sent, .. } =
                            std::mem::replace(this, Client::Done)
                        else {
                            unreachable!("the state was Sending a moment ago")
                        };
                        let back = vec![0; load.size];
                        *this = Client::Receiving { stream, conn, load, round, sent, back, got: 0 };
                    }
                }
                Client::Receiving { stream, conn, load, round, sent, back, got } => {
                    let n = ready!(Pin::new(&mut *stream).poll_read(cx, &mut back[*got..]))?;
                    if n == 0 {
                        return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                    }
                    *got += n;
                    if *got < back.len() {
                        continue;
                    }
                    if back != sent {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "echo differs",
                        )));
                    }
                    let (conn, load, round) = (*conn, *load, *round + 1);
                    if round == load.rounds {
                        *this = Client::Done;
                        return Poll::Ready(Ok(load.rounds));
                    }
                    let Client::Receiving { stream, .. } = std::mem::replace(this, Client::Done)
                    else {
                        unreachable!("the state was Receiving a moment ago")
                    };
                    let sent = message(conn, round, load.size);
                    *this = Client::Sending { stream, conn, load, round, sent, written: 0 };
                }
                Client::Done => panic!("Client polled after it finished"),
            }
        }
    }
}

/// The whole run: bind (sockets need the runtime, so inside the first
/// poll), spawn the server and the clients, gather the clients, then the
/// server.
///
/// ```text
///   [Start] --bind, spawn--> [Loading{server, clients}] --clients Ready--> [Closing{server}]
///                              | Pending                                   | server Ready:
///                                                                          v Ready(figures)
/// ```
#[must_use = "futures do nothing unless polled"]
enum EchoRun {
    Start {
        load: Load,
    },
    Loading {
        server: JoinHandle<io::Result<usize>>,
        clients: JoinAll<JoinHandle<io::Result<usize>>>,
    },
    Closing {
        server: JoinHandle<io::Result<usize>>,
        round_trips: usize,
    },
    Done,
}

impl Future for EchoRun {
    type Output = io::Result<(usize, usize)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<(usize, usize)>> {
        let this = self.get_mut();
        loop {
            match this {
                EchoRun::Start { load } => {
                    trace::name_current("main");
                    let load = *load;
                    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
                    let addr = listener.local_addr()?;
                    let server = spawn(Serve::Start { listener, conns: load.conns });
                    let clients = (0..load.conns)
                        .map(|conn| spawn(Client::Start { addr, conn, load }))
                        .collect();
                    *this = EchoRun::Loading { server, clients: join_all(clients) };
                }
                EchoRun::Loading { clients, .. } => {
                    let mut round_trips = 0;
                    for done in ready!(Pin::new(clients).poll(cx)) {
                        round_trips += done.map_err(join_error)??;
                    }
                    let EchoRun::Loading { server, .. } = std::mem::replace(this, EchoRun::Done)
                    else {
                        unreachable!("the state was Loading a moment ago")
                    };
                    *this = EchoRun::Closing { server, round_trips };
                }
                EchoRun::Closing { server, round_trips } => {
                    let accepted = ready!(Pin::new(server).poll(cx)).map_err(join_error)??;
                    let round_trips = *round_trips;
                    *this = EchoRun::Done;
                    return Poll::Ready(Ok((accepted, round_trips)));
                }
                EchoRun::Done => panic!("EchoRun polled after it finished"),
            }
        }
    }
}

/// Runs the server and the load client on one runtime; the run is the
/// runtime's root task (`main`).
pub fn run(load: Load) -> io::Result<Figures> {
    let mut rt = Runtime::new()?;
    let start = Instant::now();
    let (accepted, round_trips) = rt.block_on(EchoRun::Start { load })??;
    let elapsed = start.elapsed();
    Ok(Figures { conns: accepted, round_trips, bytes: round_trips * load.size, elapsed })
}

/// This example's own options.
const EXTRAS: &[Extra] = &[
    Extra { name: "--conns", value: Some("N"), help: "connections held at once (default 100)" },
    Extra {
        name: "--rounds",
        value: Some("N"),
        help: "round trips per connection (default 100, 20 with --quick)",
    },
    Extra { name: "--size", value: Some("N"), help: "bytes per message (default 64)" },
];

/// The scenario: one traced run of the load against the server.
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
        f.round_trips as f64 / f.elapsed.as_secs_f64().max(1e-9),
        f.bytes
    );
    Ok(Outcome {
        style: Style::Future,
        exact: false,
        figures: simul_scenario::Figures::Echo {
            connections: load.conns,
            held: f.conns,
            round_trips: f.round_trips as u64,
            bytes: f.bytes as u64,
            // A reply that differs ends the run with an error instead.
            mismatches: 0,
            took: f.elapsed,
        },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::Echo, Style::Future, EXTRAS, scenario)
}
