//! `blocking_io`, generator style (seeds 001 and 004): blocking library
//! calls stall the loop; the non-blocking replacement does not.
//!
//! K loopback servers each reply `d` after a request. The loop fetches
//! from all K, beside a heartbeat task due every 10 ms:
//!
//! * with **blocking std calls** (`std::net::TcpStream`, as a blocking
//!   library would) the whole exchange happens inside one `resume`; the
//!   loop waits for each reply in turn: about K x d, and the heartbeat
//!   stalls for d at a time;
//! * with the loop's **non-blocking sockets** ([`simul_coro::net`]) each
//!   fetch yields `Writable`/`Readable` while it waits, so the K requests
//!   are in flight together: about d, and the heartbeat keeps beating.
//!
//! The servers are plain threads standing in for remote machines (a
//! blocked loop could not serve them). Real clock: the sockets are real
//! (`--quick`: a shorter d). `--board` draws the lanes `heartbeat` and
//! `fetch 0` .. `fetch 4`.
//!
//! ```text
//! cargo run --release -p simul-coro --example blocking_io_coro [-- --quick --board]
//! ```

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use simul_coro::net::{Connect, IoHandle, Read, TcpStream, WriteAll};
use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Trap, yield_from,
};
use simul_reactor::trace;
use simul_scenario::params::blocking_io::{BEAT, DELAY, QUICK_DELAY, REPLY, REQUEST, SERVERS};
use simul_scenario::{Figures, IoRun, Options, Outcome, Scenario, Style, Traces, say};

/// Starts `k` servers, each on its own thread, each answering every
/// connection's request with [`REPLY`] after `delay` and then closing;
/// returns their addresses.
pub fn start_servers(k: usize, delay: Duration) -> io::Result<Vec<SocketAddr>> {
    let mut addrs = Vec::new();
    for _ in 0..k {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        addrs.push(listener.local_addr()?);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let mut request = [0u8; 64];
                    if conn.read(&mut request).is_ok() {
                        std::thread::sleep(delay);
                        let _ = conn.write_all(REPLY);
                    }
                });
            }
        });
    }
    Ok(addrs)
}

/// What the tasks share, and what is measured.
#[derive(Default)]
pub struct Shared {
    /// The replies, in the order they arrived.
    pub replies: RefCell<Vec<Vec<u8>>>,
    /// Fetches finished (well or not).
    pub finished: Cell<usize>,
    /// Errors met, as text.
    pub errors: RefCell<Vec<String>>,
    /// The longest gap between two heartbeats.
    pub worst_gap: Cell<Duration>,
}

/// ```python
/// async def heartbeat():
///     while fetches_left():
///         last = perf_counter()
///         await asyncio.sleep(0.01)
///         worst = max(worst, perf_counter() - last)
/// ```
///
/// ```text
///   +---------------+  resume: note the gap; fetches left: yield Sleep(10 ms)
///   | Beating{last} | --+
///   +---------------+ <-+
///          | resume: all fetched: return
///          v
///        Done
/// ```
pub enum Heartbeat {
    /// Between beats.
    Beating {
        /// The shared state.
        sh: Rc<Shared>,
        /// When the previous beat ran.
        last: Instant,
        /// How many fetches there are.
        fetches: usize,
    },
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Heartbeat {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        let Heartbeat::Beating { sh, last, fetches } = self else {
            return Err(ResumeError::AfterCompletion);
        };
        trace::name_current("heartbeat");
        let now = Instant::now();
        sh.worst_gap.set(sh.worst_gap.get().max(now - *last));
        *last = now;
        if sh.finished.get() == *fetches {
            *self = Heartbeat::Done;
            return Ok(CoroutineState::Complete(()));
        }
        Ok(CoroutineState::Yielded(Trap::Sleep(BEAT)))
    }
}

/// The blocking fetch: what calling a blocking library from a coroutine
/// does. No suspension point, so nobody else runs until it returns.
///
/// ```python
/// async def fetch(addr):
///     return requests.get(addr).content      # blocks the loop for d
/// ```
///
/// ```text
///   +-------+  resume: connect, send, read to EOF (all blocking), return   +------+
///   | Start | -----------------------------------------------------------> | Done |
///   +-------+                                                              +------+
/// ```
pub enum BlockingFetch {
    /// Not started.
    Start(Rc<Shared>, SocketAddr),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for BlockingFetch {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        let BlockingFetch::Start(sh, addr) = std::mem::replace(self, BlockingFetch::Done) else {
            return Err(ResumeError::AfterCompletion);
        };
        let mut reply = Vec::new();
        let fetched = std::net::TcpStream::connect(addr).and_then(|mut s| {
            s.write_all(REQUEST)?;
            s.read_to_end(&mut reply)
        });
        match fetched {
            Ok(_) => sh.replies.borrow_mut().push(reply),
            Err(e) => sh.errors.borrow_mut().push(format!("{addr}: {e}")),
        }
        sh.finished.set(sh.finished.get() + 1);
        Ok(CoroutineState::Complete(()))
    }
}

/// The non-blocking fetch, delegating to the socket coroutines.
///
/// ```python
/// async def fetch(addr):
///     sock = yield from connect(addr)
///     yield from sendall(sock, b"request")
///     reply = b""
///     while data := (yield from recv(sock, 4096)):
///         reply += data
///     return reply
/// ```
///
/// ```text
///   +------------+ connected +---------+ sent +--------------+ EOF +------+
///   | Connecting | --------> | Sending | ---> | Reading{got} | --> | Done |
///   +------------+           +---------+      +--------------+     +------+
///      each state yields what its socket operation waits for; an error ends it
/// ```
pub enum Fetch {
    /// `yield from connect(addr)`.
    Connecting(Rc<Shared>, Connect<()>),
    /// `yield from sendall(sock, b"request")`.
    Sending(Rc<Shared>, Rc<TcpStream>, WriteAll<()>),
    /// `yield from recv(sock, 4096)`, until EOF.
    Reading(Rc<Shared>, Rc<TcpStream>, Read<()>, Vec<u8>),
    /// Returned.
    Done,
}

impl Fetch {
    /// A fetch from `addr`, not yet started, on the scheduler of `io`.
    pub fn new(sh: Rc<Shared>, io: &IoHandle, addr: SocketAddr) -> Fetch {
        Fetch::Connecting(sh, Connect::new(io, addr))
    }

    fn end(&mut self, sh: &Shared, outcome: io::Result<Vec<u8>>) -> Resume<Trap<()>, ()> {
        match outcome {
            Ok(reply) => sh.replies.borrow_mut().push(reply),
            Err(e) => sh.errors.borrow_mut().push(e.to_string()),
        }
        sh.finished.set(sh.finished.get() + 1);
        *self = Fetch::Done;
        Ok(CoroutineState::Complete(()))
    }
}

impl Coroutine<Reply<()>> for Fetch {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, mut reply: Reply<()>) -> Resume<Trap<()>, ()> {
        loop {
            match self {
                Fetch::Connecting(sh, op) => {
                    let sh = sh.clone();
                    match yield_from!(op, reply) {
                        Ok(conn) => {
                            let conn = Rc::new(conn);
                            let op = WriteAll::new(conn.clone(), REQUEST.to_vec());
                            *self = Fetch::Sending(sh, conn, op);
                        }
                        Err(e) => return self.end(&sh, Err(e)),
                    }
                }
                Fetch::Sending(sh, conn, op) => {
                    let (sh, conn) = (sh.clone(), conn.clone());
                    match yield_from!(op, reply) {
                        Ok(()) => {
                            *self =
                                Fetch::Reading(sh, conn.clone(), Read::new(conn, 4096), Vec::new())
                        }
                        Err(e) => return self.end(&sh, Err(e)),
                    }
                }
                Fetch::Reading(sh, conn, op, got) => {
                    let sh = sh.clone();
                    match yield_from!(op, reply) {
                        Ok(data) if data.is_empty() => {
                            let got = std::mem::take(got);
                            return self.end(&sh, Ok(got));
                        }
                        Ok(data) => {
                            got.extend_from_slice(&data);
                            *op = Read::new(conn.clone(), 4096);
                        }
                        Err(e) => return self.end(&sh, Err(e)),
                    }
                }
                Fetch::Done => return Err(ResumeError::AfterCompletion),
            }
            // Entering the next operation: it starts fresh.
            reply = Reply::Start;
        }
    }
}

/// Fetches from every address, blocking or not, beside the heartbeat;
/// returns what happened and the elapsed time.
pub fn run(addrs: &[SocketAddr], blocking: bool) -> Result<(Rc<Shared>, Duration), RunError> {
    let mut s = Scheduler::<()>::new()?;
    let sh = Rc::new(Shared::default());
    let start = Instant::now();
    s.spawn(Heartbeat::Beating { sh: sh.clone(), last: start, fetches: addrs.len() });
    for (i, &addr) in addrs.iter().enumerate() {
        let id = if blocking {
            s.spawn(BlockingFetch::Start(sh.clone(), addr))
        } else {
            s.spawn(Fetch::new(sh.clone(), &s.io_handle(), addr))
        };
        if trace::enabled() {
            trace::name(s.unit(id), format!("fetch {i}"));
        }
    }
    s.run_all()?;
    Ok((sh, start.elapsed()))
}

/// One variant, traced as `variant`.
fn fetch_all(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    addrs: &[SocketAddr],
    blocking: bool,
) -> Result<IoRun, RunError> {
    let (sh, took) = opts.record(traces, variant, || run(addrs, blocking))?;
    let ok = sh.replies.borrow().iter().filter(|r| r.as_slice() == REPLY).count();
    for e in sh.errors.borrow().iter() {
        say!("error: {e}");
    }
    say!(
        "{variant:>12}: {ok} replies in {:.3} s; longest heartbeat gap {:.3} s",
        took.as_secs_f64(),
        sh.worst_gap.get().as_secs_f64()
    );
    Ok(IoRun { took, worst_gap: sh.worst_gap.get(), ok })
}

/// The scenario: the fetches with std's blocking calls, then with the
/// loop's sockets. Real sockets and threads: wall-clock figures, unscaled.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let delay = if opts.quick { QUICK_DELAY } else { DELAY };
    let addrs = start_servers(SERVERS, delay)?;
    say!("{} servers, each replying after {delay:?}", addrs.len());
    let mut traces = Traces::default();
    let blocking = fetch_all(opts, &mut traces, "blocking", &addrs, true)?;
    let non_blocking = fetch_all(opts, &mut traces, "non_blocking", &addrs, false)?;
    Ok(Outcome {
        style: Style::Coro,
        exact: false,
        figures: Figures::BlockingIo { servers: SERVERS, delay, blocking, non_blocking },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::BlockingIo, Style::Coro, scenario)
}
