//! `echo`, generator style: the reason event loops exist. A real TCP echo
//! server holding many connections, and a load client, as coroutines on
//! one scheduler; every socket operation yields `Readable`/`Writable`.
//!
//! The client opens `--conns` connections (default 100); each sends a
//! 64-byte message carrying its connection and sequence number, checks
//! that exactly those bytes come back, and sends the next, until
//! `--rounds` round trips are done (default 100, 20 with `--quick`) or
//! `--secs` seconds have passed (default: no time limit). The summary
//! gives connections held, round trips per second, bytes verified, and
//! the memory a connection costs the server. `--board` draws the lanes
//! `main`, `server`, `client 0` .. and one `echo` per connection.
//!
//! ```text
//! cargo run --release -p simul-coro --example echo_coro [-- --conns 1000 --secs 5 --quick]
//! ```

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_coro::net::{Accept, Connect, IoHandle, Read, TcpListener, TcpStream, WriteAll};
use simul_coro::{
    Call, Coroutine, CoroutineState, JoinError, Reply, Resume, ResumeError, RunError, Scheduler,
    TaskId, Trap, yield_from,
};
use simul_reactor::trace;
use simul_scenario::params::echo::{CONNECTIONS, QUICK_ROUNDS, ROUNDS, SIZE};
use simul_scenario::{Extra, Figures, Options, Outcome, Scenario, Style, Traces, say};

/// The example's own options, beside the shared ones.
const EXTRAS: &[Extra] = &[
    Extra { name: "--conns", value: Some("N"), help: "connections (default 100)" },
    Extra {
        name: "--rounds",
        value: Some("N"),
        help: "round trips per connection (default 100, 20 with --quick)",
    },
    Extra { name: "--secs", value: Some("S"), help: "stop after S seconds (default: no limit)" },
];

/// The most one read takes.
const READ_MAX: usize = 4096;

/// How much load.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Concurrent connections.
    pub conns: usize,
    /// Stop after this long.
    pub duration: Duration,
    /// Stop each connection after this many round trips.
    pub rounds: Option<u64>,
}

/// What all clients share: the load, and the counts.
pub struct Totals {
    /// The load asked for.
    load: Load,
    /// When to stop.
    deadline: Instant,
    /// Connections that were established.
    pub connected: Cell<usize>,
    /// Round trips whose echo was verified.
    pub round_trips: Cell<u64>,
    /// Bytes that came back exactly as sent.
    pub bytes_verified: Cell<u64>,
    /// What went wrong, as text.
    pub errors: RefCell<Vec<String>>,
    /// The scheduler the clients' sockets register with.
    io: IoHandle,
}

/// The server's side of one connection.
///
/// ```python
/// def echo(conn):
///     while data := (yield from recv(conn, 4096)):
///         yield from sendall(conn, data)
/// ```
///
/// ```text
///   +---------+  data  +---------+
///   | Reading | -----> | Writing |
///   +---------+ <----- +---------+
///        | EOF   all sent   | error
///        v                  v
///      Done <---------------+
/// ```
pub enum Echo {
    /// `yield from recv(conn, 4096)`.
    Reading(Rc<TcpStream>, Read<()>),
    /// `yield from sendall(conn, data)`.
    Writing(Rc<TcpStream>, WriteAll<()>),
    /// Returned.
    Done,
}

impl Echo {
    /// Serves `conn`.
    pub fn new(conn: TcpStream) -> Echo {
        let conn = Rc::new(conn);
        Echo::Reading(conn.clone(), Read::new(conn, READ_MAX))
    }
}

impl Coroutine<Reply<()>> for Echo {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, mut reply: Reply<()>) -> Resume<Trap<()>, ()> {
        if matches!(reply, Reply::Start) {
            trace::name_current("echo");
        }
        loop {
            match self {
                Echo::Reading(conn, op) => match yield_from!(op, reply) {
                    Ok(data) if !data.is_empty() => {
                        let conn = conn.clone();
                        *self = Echo::Writing(conn.clone(), WriteAll::new(conn, data));
                    }
                    // EOF, or the client went away: this connection is over.
                    _ => break,
                },
                Echo::Writing(conn, op) => match yield_from!(op, reply) {
                    Ok(()) => {
                        let conn = conn.clone();
                        *self = Echo::Reading(conn.clone(), Read::new(conn, READ_MAX));
                    }
                    Err(_) => break,
                },
                Echo::Done => return Err(ResumeError::AfterCompletion),
            }
            reply = Reply::Start;
        }
        *self = Echo::Done;
        Ok(CoroutineState::Complete(()))
    }
}

/// Accepts forever, one detached `Echo` task per connection.
///
/// ```python
/// def server(listener):
///     while True:
///         conn = yield from accept(listener)
///         yield Detach((yield Spawn(echo(conn))))   # nobody joins it
/// ```
///
/// ```text
///   +-----------+ conn +----------+ id +-----------+ done
///   | Accepting | ---> | Spawning | -> | Detaching | ---+
///   +-----------+      +----------+    +-----------+    |
///        ^                                              |
///        +----------------------------------------------+
/// ```
pub enum Server {
    /// `yield from accept(listener)`.
    Accepting(Rc<TcpListener>, Accept<()>, Rc<Totals>),
    /// `yield Spawn(echo(conn))`.
    Spawning(Rc<TcpListener>, Call<(), TaskId>, Rc<Totals>),
    /// `yield Detach(id)`.
    Detaching(Rc<TcpListener>, Call<(), bool>, Rc<Totals>),
}

impl Coroutine<Reply<()>> for Server {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, mut reply: Reply<()>) -> Resume<Trap<()>, ()> {
        loop {
            match self {
                Server::Accepting(listener, op, totals) => {
                    trace::name_current("server");
                    let (listener, totals) = (listener.clone(), totals.clone());
                    match yield_from!(op, reply) {
                        Ok((conn, _)) => {
                            let op = Call::spawn(Box::new(Echo::new(conn)));
                            *self = Server::Spawning(listener, op, totals);
                        }
                        // E.g. out of descriptors: say so, keep serving.
                        Err(e) => {
                            totals.errors.borrow_mut().push(format!("accept: {e}"));
                            *self =
                                Server::Accepting(listener.clone(), Accept::new(listener), totals);
                        }
                    }
                }
                Server::Spawning(listener, op, totals) => {
                    let id = yield_from!(op, reply);
                    *self = Server::Detaching(listener.clone(), Call::detach(id), totals.clone());
                }
                Server::Detaching(listener, op, totals) => {
                    yield_from!(op, reply);
                    let listener = listener.clone();
                    *self =
                        Server::Accepting(listener.clone(), Accept::new(listener), totals.clone());
                }
            }
            reply = Reply::Start;
        }
    }
}

/// One load-client connection: send, read the whole echo, check, repeat.
///
/// ```python
/// def client(i, addr):
///     conn = yield from connect(addr)
///     seq = 0
///     while not time_is_up():
///         msg = message(i, seq)
///         yield from sendall(conn, msg)
///         got = b""
///         while len(got) < len(msg):
///             got += yield from recv(conn, 4096)
///         assert got == msg
///         seq += 1
/// ```
///
/// ```text
///   +------------+ conn +---------+ sent +--------------+ all 64 B, verified, time left
///   | Connecting | ---> | Sending | ---> | Reading{got} | ---------------------+
///   +------------+      +---------+      +--------------+                      |
///                           ^                  | time up, EOF, differs, error  |
///                           |                  v                               |
///                           |                Done                              |
///                           +--------------------------------------------------+
/// ```
pub enum Client {
    /// `yield from connect(addr)`.
    Connecting {
        /// Which connection.
        id: u32,
        /// The connect.
        op: Connect<()>,
        /// The counts.
        totals: Rc<Totals>,
    },
    /// `yield from sendall(conn, msg)`.
    Sending {
        /// Which connection.
        id: u32,
        /// Round trips done.
        seq: u64,
        /// The connection.
        conn: Rc<TcpStream>,
        /// The write.
        op: WriteAll<()>,
        /// The counts.
        totals: Rc<Totals>,
    },
    /// `got += yield from recv(conn, 4096)` until 64 bytes are in.
    Reading {
        /// Which connection.
        id: u32,
        /// Round trips done.
        seq: u64,
        /// The connection.
        conn: Rc<TcpStream>,
        /// The read.
        op: Read<()>,
        /// What came back so far.
        got: Vec<u8>,
        /// The counts.
        totals: Rc<Totals>,
    },
    /// Returned.
    Done,
}

/// Message `seq` of connection `id`: both numbers, then a pattern, so
/// that a misrouted, stale or corrupted echo is caught.
pub fn message(id: u32, seq: u64) -> Vec<u8> {
    let mut m = vec![0u8; SIZE];
    m[..4].copy_from_slice(&id.to_le_bytes());
    m[4..12].copy_from_slice(&seq.to_le_bytes());
    for (i, b) in m[12..].iter_mut().enumerate() {
        *b = (seq as u8).wrapping_mul(31).wrapping_add(i as u8);
    }
    m
}

impl Client {
    /// Connection `id` of the load, not yet started.
    pub fn new(id: u32, addr: SocketAddr, totals: Rc<Totals>) -> Client {
        Client::Connecting { id, op: Connect::new(&totals.io, addr), totals }
    }

    /// Sends message `seq`, or ends if the load is done.
    fn next(id: u32, seq: u64, conn: Rc<TcpStream>, totals: Rc<Totals>) -> Client {
        let limit_reached = totals.load.rounds.is_some_and(|r| seq >= r);
        if limit_reached || Instant::now() >= totals.deadline {
            return Client::Done; // dropping `conn` closes it: the server sees EOF
        }
        Client::Sending { id, seq, op: WriteAll::new(conn.clone(), message(id, seq)), conn, totals }
    }

    /// Ends with an error.
    fn fail(&mut self, totals: &Totals, what: String) -> Resume<Trap<()>, ()> {
        totals.errors.borrow_mut().push(what);
        *self = Client::Done;
        Ok(CoroutineState::Complete(()))
    }
}

impl Coroutine<Reply<()>> for Client {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, mut reply: Reply<()>) -> Resume<Trap<()>, ()> {
        loop {
            match self {
                Client::Connecting { id, op, totals } => {
                    let (id, totals) = (*id, totals.clone());
                    if trace::enabled() {
                        trace::name_current(format!("client {id}"));
                    }
                    match yield_from!(op, reply) {
                        Ok(conn) => {
                            totals.connected.set(totals.connected.get() + 1);
                            *self = Client::next(id, 0, Rc::new(conn), totals);
                        }
                        Err(e) => {
                            return self.fail(&totals, format!("connection {id}: connect: {e}"));
                        }
                    }
                }
                Client::Sending { id, seq, conn, op, totals } => {
                    let (id, seq, conn, totals) = (*id, *seq, conn.clone(), totals.clone());
                    if let Err(e) = yield_from!(op, reply) {
                        return self.fail(&totals, format!("connection {id}: write: {e}"));
                    }
                    let op = Read::new(conn.clone(), READ_MAX);
                    *self = Client::Reading { id, seq, conn, op, got: Vec::new(), totals };
                }
                Client::Reading { id, seq, conn, op, got, totals } => {
                    let (id, seq, totals) = (*id, *seq, totals.clone());
                    match yield_from!(op, reply) {
                        Ok(data) if data.is_empty() => {
                            return self.fail(&totals, format!("connection {id}: closed early"));
                        }
                        Ok(data) => got.extend_from_slice(&data),
                        Err(e) => return self.fail(&totals, format!("connection {id}: read: {e}")),
                    }
                    if got.len() < SIZE {
                        *op = Read::new(conn.clone(), READ_MAX); // the rest is on its way
                    } else if *got != message(id, seq) {
                        return self.fail(&totals, format!("connection {id}: echo {seq} differs"));
                    } else {
                        totals.round_trips.set(totals.round_trips.get() + 1);
                        totals.bytes_verified.set(totals.bytes_verified.get() + SIZE as u64);
                        *self = Client::next(id, seq + 1, conn.clone(), totals);
                    }
                }
                Client::Done => return Ok(CoroutineState::Complete(())),
            }
            reply = Reply::Start;
        }
    }
}

/// Starts the server and the clients, waits for every client, stops the
/// server.
///
/// ```python
/// def main(load):
///     server_task = yield Spawn(server(listener))
///     clients = [(yield Spawn(client(i, addr))) for i in range(load.conns)]
///     for c in clients:
///         yield Join(c)
///     yield Cancel(server_task)
/// ```
///
/// ```text
///   +----------+ id +------------------+ all spawned +-------------+ all joined +------------+
///   | Starting | -> | Spawning{clients}| ----------> | Joining{..} | ---------> | Cancelling | -> Done
///   +----------+    +------------------+             +-------------+            +------------+
/// ```
pub enum Main {
    /// `server_task = yield Spawn(server(listener))`.
    Starting(Call<(), TaskId>, SocketAddr, Rc<Totals>),
    /// Spawning client `clients.len()`.
    Spawning {
        /// The server's task.
        server: TaskId,
        /// Where it listens.
        addr: SocketAddr,
        /// The clients spawned so far.
        clients: Vec<TaskId>,
        /// The spawn under way.
        op: Call<(), TaskId>,
        /// The counts.
        totals: Rc<Totals>,
    },
    /// `yield Join(c)` for the last client in `clients`.
    Joining {
        /// The server's task.
        server: TaskId,
        /// Clients not yet joined.
        clients: Vec<TaskId>,
        /// The join under way.
        op: Call<(), Result<(), JoinError>>,
        /// The counts.
        totals: Rc<Totals>,
    },
    /// `yield Cancel(server_task)`.
    Cancelling(Call<(), bool>),
    /// Returned.
    Done,
}

impl Main {
    /// The next client to spawn, or the first to join.
    fn after_spawn(
        server: TaskId,
        addr: SocketAddr,
        mut clients: Vec<TaskId>,
        totals: Rc<Totals>,
    ) -> Main {
        if clients.len() < totals.load.conns {
            let client = Client::new(clients.len() as u32, addr, totals.clone());
            return Main::Spawning {
                server,
                addr,
                clients,
                op: Call::spawn(Box::new(client)),
                totals,
            };
        }
        match clients.pop() {
            Some(c) => Main::Joining { server, clients, op: Call::join(c), totals },
            None => Main::Cancelling(Call::cancel(server)),
        }
    }
}

impl Coroutine<Reply<()>> for Main {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, mut reply: Reply<()>) -> Resume<Trap<()>, ()> {
        loop {
            match self {
                Main::Starting(op, addr, totals) => {
                    trace::name_current("main");
                    let server = yield_from!(op, reply);
                    *self = Main::after_spawn(server, *addr, Vec::new(), totals.clone());
                }
                Main::Spawning { server, addr, clients, op, totals } => {
                    clients.push(yield_from!(op, reply));
                    *self =
                        Main::after_spawn(*server, *addr, std::mem::take(clients), totals.clone());
                }
                Main::Joining { server, clients, op, totals } => {
                    if let Err(e) = yield_from!(op, reply) {
                        totals.errors.borrow_mut().push(format!("a client task: {e}"));
                    }
                    *self = match clients.pop() {
                        Some(c) => Main::Joining {
                            server: *server,
                            clients: std::mem::take(clients),
                            op: Call::join(c),
                            totals: totals.clone(),
                        },
                        None => Main::Cancelling(Call::cancel(*server)),
                    };
                }
                Main::Cancelling(op) => {
                    yield_from!(op, reply);
                    *self = Main::Done;
                    return Ok(CoroutineState::Complete(()));
                }
                Main::Done => return Err(ResumeError::AfterCompletion),
            }
            reply = Reply::Start;
        }
    }
}

/// Runs the server and the load on one scheduler; returns the counts and
/// the elapsed time.
pub fn run(load: Load) -> Result<(Rc<Totals>, Duration), RunError> {
    let mut s = Scheduler::<()>::new()?;
    let io = s.io_handle();
    let listener = Rc::new(TcpListener::bind(&io, SocketAddr::from(([127, 0, 0, 1], 0)))?);
    let addr = listener.local_addr()?;
    let start = Instant::now();
    let totals = Rc::new(Totals {
        load,
        deadline: start + load.duration,
        connected: Cell::new(0),
        round_trips: Cell::new(0),
        bytes_verified: Cell::new(0),
        errors: RefCell::default(),
        io,
    });
    let server = Server::Accepting(listener.clone(), Accept::new(listener), totals.clone());
    s.run(Main::Starting(Call::spawn(Box::new(server)), addr, totals.clone()))?;
    Ok((totals, start.elapsed()))
}

/// The scenario: the server and the load client, on the loop's sockets.
/// Real sockets: wall-clock figures, unscaled.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let rounds = if opts.quick { QUICK_ROUNDS } else { ROUNDS };
    let load = Load {
        conns: opts.extra_or("--conns", CONNECTIONS)?,
        duration: Duration::from_secs_f64(opts.extra_or("--secs", NO_LIMIT.as_secs_f64())?),
        rounds: Some(opts.extra_or("--rounds", rounds as u64)?),
    };
    let mut traces = Traces::default();
    let (totals, took) = opts.record(&mut traces, "echo", || run(load))?;
    let errors = totals.errors.borrow();
    for e in errors.iter().take(5) {
        say!("error: {e}");
    }
    let rt = totals.round_trips.get();
    say!(
        "{} connections held, {rt} round trips in {:.2} s: {:.0} round trips/s; {} bytes \
         verified, {} errors",
        totals.connected.get(),
        took.as_secs_f64(),
        rt as f64 / took.as_secs_f64(),
        totals.bytes_verified.get(),
        errors.len()
    );
    say!(
        "memory per connection, server side: a {} B Echo coroutine in a boxed task, plus a \
         {READ_MAX} B buffer while a read is under way, plus the kernel's socket buffers",
        std::mem::size_of::<Echo>(),
    );
    Ok(Outcome {
        style: Style::Coro,
        exact: false,
        figures: Figures::Echo {
            connections: load.conns,
            held: totals.connected.get(),
            round_trips: rt,
            bytes: totals.bytes_verified.get(),
            mismatches: errors.len() as u64,
            took,
        },
        traces,
    })
}

/// `--secs` when not given: in effect, until the rounds are done.
const NO_LIMIT: Duration = Duration::from_secs(24 * 3600);

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main_with(Scenario::Echo, Style::Coro, EXTRAS, scenario)
}
