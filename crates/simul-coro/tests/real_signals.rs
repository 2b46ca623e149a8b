//! Reliability item 10, real signals, for the coroutine scheduler: a
//! handler installed without `SA_RESTART` and another OS thread sending it
//! to the scheduler's thread every ~100 µs (`pthread_kill`), so thousands
//! of signals land while the scheduler is blocked in `epoll_wait` or is in
//! the middle of `read`, `write`, `accept` and `connect`. Nothing may
//! change: sleeps of 1 to 20 ms never end early and end in deadline order,
//! a TCP echo between coroutines (`Accept`, `Connect`, `Read`, `WriteAll`)
//! comes back byte-exact, an idle sleep lasts its whole time, and no
//! `Interrupted` reaches a coroutine or the scheduler's caller.
//!
//! `scripts/eintr.sh` fakes `EINTR` with strace; this file makes the
//! kernel produce it. The handler counts deliveries, so the test fails if
//! the signals never land, and (on Linux x86-64 and aarch64) it also
//! counts the deliveries that cut a system call short with `EINTR`, read
//! from the saved return register, so the tests that block fail if no
//! blocked call was ever interrupted.
//! The storm (handler, sender thread, counters) is
//! `simul_testkit::signal_storm`, shared by every crate's `real_signals.rs`.
//!
//! CI size: one round of 200 sleepers, echoes of 4, 2, 1 and 0.5 MiB, one
//! 100 ms idle sleep; each is repeated (up to a bound) until enough signals
//! have landed. `SIMUL_FULL=1`: 20 rounds of timers, echoes from 64 MiB,
//! idle sleeps of 1 s.

use std::cell::RefCell;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use simul_coro::net::{Accept, Connect, IoHandle, Read, TcpListener, TcpStream, WriteAll};
use simul_coro::{
    Call, Coroutine, CoroutineState::*, Reply, Resume, ResumeError, Scheduler, Trap, from_fn,
    yield_from,
};
use simul_reactor::Instant;
use simul_testkit::data::pattern;
use simul_testkit::env::full;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use simul_testkit::signal_storm::{Storm, check_naps, serial};

mod echo_server;
use echo_server::{R, Server};

/// What a sleeper saw: its index, the time just before it slept, how long
/// it asked for, and the time it woke.
type Nap = (u64, Instant, Duration, Instant);

/// How far apart two sleeps' start-based deadlines must be before waking
/// in the other order counts as out of order. A sleeper reads the clock
/// (`Now`) and the scheduler reads it again for `Sleep`, so its real
/// deadline can be later than `start + d` by the time between the two
/// reads: normally well under a microsecond, more only if the thread is
/// preempted right there.
const ORDER_SLACK: Duration = Duration::from_millis(2);

/// A coroutine that asks the time, sleeps `d`, asks the time again, and
/// logs the two times.
fn sleeper(
    i: u64,
    d: Duration,
    log: Rc<RefCell<Vec<Nap>>>,
) -> impl Coroutine<Reply<()>, Yield = Trap<()>, Return = ()> {
    let mut start = None;
    from_fn(move |reply: Reply<()>| match (reply, start) {
        (Reply::Start, None) => Ok(Yielded(Trap::Now)),
        (Reply::Now(t), None) => {
            start = Some(t);
            Ok(Yielded(Trap::Sleep(d)))
        }
        (Reply::Woke, Some(_)) => Ok(Yielded(Trap::Now)),
        (Reply::Now(woke), Some(t)) => {
            log.borrow_mut().push((i, t, d, woke));
            Ok(Complete(()))
        }
        _ => Err(ResumeError::UnexpectedInput { expected: "Start, Now or Woke" }),
    })
}

/// Sleepers of distinct durations between 1 and 20 ms, spawned in a
/// scrambled order: none wakes early, all wake, in deadline order.
#[test]
fn sleeps_are_never_early_and_end_in_order_under_signals() {
    let _serial = serial();
    // More timers would not all be pending at once: setting up thousands
    // takes longer than 20 ms in a debug build. The full size runs more
    // rounds instead.
    let count: u64 = 200;
    let rounds = if full() { 20 } else { 1 };
    let mut s = Scheduler::<()>::new().unwrap();
    let storm = Storm::start();
    storm.repeat(rounds, 40, |round| {
        let log = Rc::new(RefCell::new(Vec::new()));
        // A permutation of 0..count (7919 is prime, count is no multiple).
        for i in (0..count).map(|i| i * 7919 % count) {
            // 1 ms + i * (19 ms / count): distinct, spread over 1..20 ms.
            let d = Duration::from_millis(1) + Duration::from_micros(19_000 * i / count);
            s.spawn(sleeper(i, d, log.clone()));
        }
        s.run_all().unwrap();
        let naps = log.take();
        assert_eq!(naps.len(), count as usize, "round {round}: not every sleeper woke");
        check_naps(round, &naps, ORDER_SLACK);
    });
    storm.finish();
}

/// A TCP echo of a few MiB between a server coroutine and a client
/// coroutine of one scheduler, a new connection each round (so connect
/// and accept run under the signals too): every byte comes back, no
/// coroutine sees an error, and no descriptor is left open.
/// The client pauses [`PAUSE`] halfway, so signals also cut short a wait
/// in the middle of the transfer: some must, where that is counted.
#[test]
fn tcp_echo_is_byte_exact_under_signals() {
    let _serial = serial();
    let len = if full() { 64 << 20 } else { 4 << 20 };
    let data = pattern(len, 10);
    let fds = FdSnapshot::take();
    let storm = Storm::start();
    storm.repeat(4, 40, |round| {
        let msg = Rc::new(data[..len >> (round % 4)].to_vec());
        let mut s = Scheduler::<R>::new().unwrap();
        let io: IoHandle = s.io_handle();
        let listener =
            Rc::new(TcpListener::bind(&io, "127.0.0.1:0".parse::<SocketAddr>().unwrap()).unwrap());
        let addr = listener.local_addr().unwrap();
        let server =
            s.spawn(Server::Accepting { op: Accept::new(listener.clone()), listener, left: 1 });
        let client = s.spawn(Client::new(&io, addr, msg.clone()));
        s.run_all().unwrap();
        assert_eq!(s.take_result(server).unwrap().unwrap(), Ok(0), "round {round}: server");
        // The client checks the bytes itself ("bytes differ").
        assert_eq!(s.take_result(client).unwrap().unwrap(), Ok(msg.len()), "round {round}: client");
    });
    storm.finish();
    assert_no_leaks(&fds);
}

/// Waiting with nothing to do: a lone sleeper of 100 ms wakes no
/// earlier, however often the scheduler's wait is interrupted.
#[test]
fn an_idle_sleep_lasts_its_whole_time_under_signals() {
    let _serial = serial();
    let wait = if full() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    let mut s = Scheduler::<()>::new().unwrap();
    let storm = Storm::start();
    storm.repeat(1, 20, |round| {
        let log = Rc::new(RefCell::new(Vec::new()));
        s.run(sleeper(0, wait, log.clone())).unwrap();
        let naps = log.take();
        assert_eq!(naps.len(), 1);
        check_naps(round, &naps, ORDER_SLACK);
    });
    storm.finish();
}

// ---------------------------------------------------------------------------
// The echo client, pausing halfway (the server is `echo_server`).

/// How long the client pauses halfway, so that the scheduler blocks in
/// `epoll_wait` in the middle of the transfer, with both sockets idle.
const PAUSE: Duration = Duration::from_millis(2);

/// Connects, sends `msg` in 64 KiB pieces and reads each one's echo back
/// before the next (so neither side's buffers fill for good), pausing for
/// [`PAUSE`] once half has come back, half-closes, and checks that end of
/// stream follows; returns how many bytes came back, after checking they
/// are `msg`.
///
/// ```python
/// def client(addr, msg):
///     conn = yield from connect(addr)
///     got, paused = b"", False
///     for piece in chunks(msg, 64 KiB):
///         if not paused and len(got) >= len(msg) // 2:
///             yield from sleep(PAUSE); paused = True
///         yield from sendall(conn, piece)
///         while len(got) < sent: got += yield from recv(conn, ...)
///     conn.shutdown(SHUT_WR)
///     assert (yield from recv(conn, 1)) == b""
///     return len(got) if got == msg else error
/// ```
struct Client {
    conn: Option<Rc<TcpStream>>,
    msg: Rc<Vec<u8>>,
    /// Bytes handed to `WriteAll` so far.
    sent: usize,
    got: Vec<u8>,
    paused: bool,
    step: Step,
}

/// What the [`Client`] waits for.
enum Step {
    Connecting(Connect<R>),
    Writing(WriteAll<R>),
    Reading(Read<R>),
    Pausing(Call<R, ()>),
    /// After the half-close: the next read must be end of stream.
    Draining(Read<R>),
    Done,
}

impl Client {
    fn new(io: &IoHandle, addr: SocketAddr, msg: Rc<Vec<u8>>) -> Client {
        let step = Step::Connecting(Connect::new(io, addr));
        Client { conn: None, msg, sent: 0, got: Vec::new(), paused: false, step }
    }

    fn conn(&self) -> Rc<TcpStream> {
        self.conn.clone().expect("connected")
    }

    /// After a piece came back: pause once at half, else write on.
    fn after_piece(&mut self) -> Result<Step, String> {
        if !self.paused && self.got.len() >= self.msg.len() / 2 {
            self.paused = true;
            return Ok(Step::Pausing(Call::sleep(PAUSE)));
        }
        self.write_next()
    }

    /// The next piece, or the half-close when all is sent.
    fn write_next(&mut self) -> Result<Step, String> {
        if self.sent == self.msg.len() {
            self.conn().shutdown(Shutdown::Write).map_err(|e| format!("shutdown: {e}"))?;
            return Ok(Step::Draining(Read::new(self.conn(), 1)));
        }
        let end = (self.sent + (64 << 10)).min(self.msg.len());
        let piece = self.msg[self.sent..end].to_vec();
        self.sent = end;
        Ok(Step::Writing(WriteAll::new(self.conn(), piece)))
    }
}

impl Coroutine<Reply<R>> for Client {
    type Yield = Trap<R>;
    type Return = R;

    fn resume(&mut self, mut reply: Reply<R>) -> Resume<Trap<R>, R> {
        loop {
            let next = match &mut self.step {
                Step::Connecting(op) => match yield_from!(op, reply) {
                    Ok(conn) => match conn.set_nodelay(true) {
                        Ok(()) => {
                            self.conn = Some(Rc::new(conn));
                            self.write_next()
                        }
                        Err(e) => Err(format!("nodelay: {e}")),
                    },
                    Err(e) => Err(format!("connect: {e}")),
                },
                Step::Writing(op) => match yield_from!(op, reply) {
                    Ok(()) => Ok(Step::Reading(Read::new(self.conn(), self.sent - self.got.len()))),
                    Err(e) => Err(format!("client write: {e}")),
                },
                Step::Reading(op) => match yield_from!(op, reply) {
                    Ok(data) if data.is_empty() => Err("early end of stream".to_string()),
                    Ok(data) => {
                        self.got.extend_from_slice(&data);
                        if self.got.len() < self.sent {
                            Ok(Step::Reading(Read::new(self.conn(), self.sent - self.got.len())))
                        } else {
                            self.after_piece()
                        }
                    }
                    Err(e) => Err(format!("client read: {e}")),
                },
                Step::Pausing(op) => {
                    yield_from!(op, reply);
                    self.write_next()
                }
                Step::Draining(op) => {
                    let result = match yield_from!(op, reply) {
                        Ok(data) if !data.is_empty() => Err("more bytes than were sent".into()),
                        Ok(_) if self.got != *self.msg => Err("bytes differ".into()),
                        Ok(_) => Ok(self.got.len()),
                        Err(e) => Err(format!("client read: {e}")),
                    };
                    self.step = Step::Done;
                    return Ok(Complete(result));
                }
                Step::Done => return Err(ResumeError::AfterCompletion),
            };
            match next {
                Ok(step) => self.step = step,
                Err(e) => {
                    self.step = Step::Done;
                    return Ok(Complete(Err(e)));
                }
            }
            // Entering a new delegation: the sub-call starts fresh.
            reply = Reply::Start;
        }
    }
}
