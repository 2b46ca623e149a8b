//! Idle connections beside an active echo (reliability item 18): the
//! harness shared by `tests/idle_connections.rs`, which checks that every
//! style serves the echo and holds the idle connections without spinning,
//! and `examples/idle_echo.rs`, which prints the round trip with and
//! without 10,000 idle connections.
//!
//! The pieces:
//!
//! * [`Server`]: an echo server of one [`Target`], the workloads' echo
//!   servers ([`super::echo`]) plus one on the bare reactor
//!   ([`reactor_server`]), each on a thread of its own;
//! * [`hold`]: the body of a **child process** that opens n idle
//!   connections to a server, says so on stdout, waits for its stdin to
//!   close, then checks that every connection is still open (no end of
//!   file, no reset, no stray byte) and reports it. A child, because both
//!   ends of 10,000 connections in one process need 20,000 descriptors,
//!   this machine's hard limit: the server's process holds one end, the
//!   child the other;
//! * [`IdleClients`]: the parent's side of that child, with a `Drop` that
//!   kills and reaps it on every path, panics included;
//! * [`Active`]: one blocking connection doing verified 64-byte round
//!   trips, each timed;
//! * [`raise_nofile`], [`fd_count`], [`socket_count`], [`cpu_ticks`]:
//!   what the checks read from the process.
//!
//! Every call that can be interrupted is retried on `Interrupted`, so the
//! harness runs under `scripts/eintr.sh`. Linux only (`/proc`,
//! `sched_setaffinity`).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use simul_reactor::net::{TcpListener as RTcpListener, TcpStream as RTcpStream};
use simul_reactor::{Events, Interest, Notifier, Reactor, Token};

use super::Style;
use super::echo;

/// Bytes per round trip, as in the echo workload.
pub const MSG: usize = echo::MSG;

/// The line the child prints once all its connections are established.
const CONNECTED: &str = "IDLE-CONNECTED";

/// The line the child prints after checking its connections.
const CHECKED: &str = "IDLE-CHECKED";

/// A server to put beside idle connections: the bare reactor or a style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// [`reactor_server`]: `simul_reactor` alone, no scheduler.
    Reactor,
    /// One of the echo workload's servers.
    Style(Style),
}

impl Target {
    /// simul's own servers: the reactor and every simul style.
    pub const SIMUL: [Target; 6] = [
        Target::Reactor,
        Target::Style(Style::Callback),
        Target::Style(Style::Coro),
        Target::Style(Style::Future),
        Target::Style(Style::Async),
        Target::Style(Style::Green),
    ];

    /// The name in tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Reactor => "reactor",
            Target::Style(s) => s.name(),
        }
    }

    /// The target called `name`.
    pub fn parse(name: &str) -> Option<Target> {
        if name == "reactor" {
            Some(Target::Reactor)
        } else {
            Style::parse(name).map(Target::Style)
        }
    }
}

/// A running echo server.
pub struct Server {
    addr: SocketAddr,
    inner: Option<Inner>,
}

enum Inner {
    Echo(echo::Server),
    Reactor {
        stop: Arc<AtomicBool>,
        notifier: Notifier,
        thread: thread::JoinHandle<io::Result<()>>,
    },
}

impl Server {
    /// Starts `target`'s echo server on 127.0.0.1, its thread pinned to
    /// `cpu` when one is given.
    pub fn start_on(target: Target, cpu: Option<usize>) -> io::Result<Server> {
        match target {
            Target::Style(style) => {
                let s = echo::Server::start_on(style, cpu)?;
                Ok(Server { addr: s.addr(), inner: Some(Inner::Echo(s)) })
            }
            Target::Reactor => {
                let listener = RTcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
                let addr = listener.local_addr()?;
                let reactor = Reactor::new()?;
                let notifier = reactor.notifier();
                let stop = Arc::new(AtomicBool::new(false));
                let flag = stop.clone();
                let thread =
                    thread::Builder::new().name("echo-reactor".into()).spawn(move || {
                        if let Some(cpu) = cpu {
                            pin(cpu)?;
                        }
                        reactor_server(reactor, listener, &flag)
                    })?;
                Ok(Server { addr, inner: Some(Inner::Reactor { stop, notifier, thread }) })
            }
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it, joining its thread: every socket it held is closed.
    pub fn stop(mut self) -> io::Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> io::Result<()> {
        match self.inner.take() {
            None => Ok(()),
            Some(Inner::Echo(s)) => s.stop(),
            Some(Inner::Reactor { stop, notifier, thread }) => {
                stop.store(true, Ordering::Release);
                notifier.wake()?;
                thread.join().map_err(|_| io::Error::other("the reactor's echo server panicked"))?
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// The echo server on the bare reactor: one thread, one [`Reactor`], the
/// listener under [`LISTENER`](Token) and each connection under the token
/// of its slot. Edge-triggered, so every event is read until `WouldBlock`
/// or a short read that drains ([`simul_reactor::Event::short_read_drains`]),
/// and each chunk is written straight back. With one message in flight per
/// connection the send buffer never fills; a write that would block is a
/// misbehaving client, and it is dropped (as the workloads' floor does).
/// A wake of the reactor's notifier with `stop` set ends it.
pub fn reactor_server(
    mut reactor: Reactor,
    listener: RTcpListener,
    stop: &AtomicBool,
) -> io::Result<()> {
    const LISTENER: Token = Token(usize::MAX - 1);
    reactor.register(listener.as_raw_fd(), LISTENER, Interest::READABLE)?;
    let mut conns: Vec<Option<RTcpStream>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(256);
    let mut buf = [0u8; echo::BUF];
    loop {
        reactor.poll(&mut events, None)?;
        if events.woken() && stop.load(Ordering::Acquire) {
            break;
        }
        for ev in events.iter() {
            if ev.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((s, _)) => {
                            s.set_nodelay(true)?;
                            let slot = free.pop().unwrap_or_else(|| {
                                conns.push(None);
                                conns.len() - 1
                            });
                            reactor.register(s.as_raw_fd(), Token(slot), Interest::READABLE)?;
                            conns[slot] = Some(s);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let slot = ev.token().0;
            let Some(Some(s)) = conns.get(slot) else { continue };
            let mut s = s;
            let close = loop {
                match s.read(&mut buf) {
                    Ok(0) => break true,
                    Ok(n) => {
                        if s.write_all(&buf[..n]).is_err() {
                            break true;
                        }
                        if n < buf.len() && ev.short_read_drains() {
                            break false;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                    Err(_) => break true,
                }
            };
            if close {
                if let Some(s) = conns[slot].take() {
                    reactor.deregister(s.as_raw_fd())?;
                }
                free.push(slot);
            }
        }
    }
    for s in conns.into_iter().flatten() {
        reactor.deregister(s.as_raw_fd())?;
    }
    reactor.deregister(listener.as_raw_fd())
}

/// Pins the calling thread to `cpu`; returns the affinity it had.
pub fn pin(cpu: usize) -> io::Result<libc::cpu_set_t> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("no CPU {cpu}")));
    }
    // SAFETY: an all-zero cpu_set_t is a valid (empty) set.
    let mut saved: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = size_of::<libc::cpu_set_t>();
    // SAFETY: `saved` is a writable cpu_set_t of the size passed; 0 is
    // the calling thread.
    if unsafe { libc::sched_getaffinity(0, size, &mut saved) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: an all-zero cpu_set_t is a valid (empty) set.
    let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` < CPU_SETSIZE, checked above.
    unsafe { libc::CPU_SET(cpu, &mut one) };
    unpin(&one)?;
    Ok(saved)
}

/// Gives the calling thread the affinity `set` (one [`pin`] returned).
pub fn unpin(set: &libc::cpu_set_t) -> io::Result<()> {
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    if unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Raises this process's soft descriptor limit to its hard limit when the
/// soft one is below `need`. `Err` says why `need` descriptors cannot be
/// had (the hard limit is lower, or the call failed). Children spawned
/// afterwards inherit the raised limit.
pub fn raise_nofile(need: u64) -> Result<u64, String> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(format!("getrlimit(RLIMIT_NOFILE): {}", io::Error::last_os_error()));
    }
    if lim.rlim_cur >= need {
        return Ok(lim.rlim_cur);
    }
    if lim.rlim_max < need {
        return Err(format!(
            "{need} descriptors are needed and the hard limit (RLIMIT_NOFILE) is {}",
            lim.rlim_max
        ));
    }
    let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
    // SAFETY: `raised` is a valid rlimit, its soft limit within the hard.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        return Err(format!("setrlimit(RLIMIT_NOFILE): {}", io::Error::last_os_error()));
    }
    Ok(lim.rlim_max)
}

/// Descriptors this process has open (the directory handle that reads
/// them included, the same in every count).
pub fn fd_count() -> io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

/// Sockets this process has open: what an accepted connection adds, while
/// the pipes of a child process and the like do not.
pub fn socket_count() -> io::Result<usize> {
    let mut n = 0;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        // A descriptor closed between the listing and the readlink is gone.
        if let Ok(target) = std::fs::read_link(entry?.path()) {
            n += usize::from(target.as_os_str().as_encoded_bytes().starts_with(b"socket:"));
        }
    }
    Ok(n)
}

/// Waits until this process holds exactly `want` sockets, for up to
/// `limit`; the count seen last is the error.
pub fn wait_for_sockets(want: usize, limit: Duration) -> io::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let n = socket_count()?;
        if n == want {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{n} sockets open after {limit:?}, expected {want}"),
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// This process's CPU time so far (user + system, every thread), in clock
/// ticks (`/proc/self/stat`'s utime and stime; 100 a second on Linux).
pub fn cpu_ticks() -> io::Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "unreadable /proc/self/stat");
    // The fields after the command name (in parentheses): utime and stime
    // are the 12th and 13th.
    let rest = stat.get(stat.rfind(')').ok_or_else(bad)? + 2..).ok_or_else(bad)?;
    let f: Vec<&str> = rest.split(' ').collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).ok_or_else(bad);
    Ok(field(11)? + field(12)?)
}

/// `std`'s blocking connect, retried when interrupted.
fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    loop {
        match TcpStream::connect(addr) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Writes `line` to stdout and flushes it, past any output capture.
fn say(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The child's whole job: opens `n` connections to `addr` and says so
/// (`IDLE-CONNECTED n`), then sends nothing until its stdin is closed;
/// then it checks each connection without blocking (a read must say
/// `WouldBlock`: no end of file, no reset, no byte) and says how many are
/// still open (`IDLE-CHECKED open lost first-problem`). Its connections
/// close when it exits.
pub fn hold(addr: SocketAddr, n: usize) -> io::Result<()> {
    raise_nofile(n as u64 + 64).map_err(io::Error::other)?;
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let s = connect(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("idle connection {i}: {e}")))?;
        conns.push(s);
    }
    say(&format!("{CONNECTED} {n}"))?;
    // Until the parent closes our stdin (`read_to_end` retries EINTR).
    io::stdin().lock().read_to_end(&mut Vec::new())?;
    let (mut open, mut lost, mut first) = (0usize, 0usize, String::from("-"));
    for (i, s) in conns.iter().enumerate() {
        s.set_nonblocking(true)?;
        let problem = loop {
            match (&*s).read(&mut [0u8; 1]) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Some(format!("{e}")),
                Ok(0) => break Some("end of file".to_string()),
                Ok(_) => break Some("a byte nobody sent".to_string()),
            }
        };
        match problem {
            None => open += 1,
            Some(p) => {
                if lost == 0 {
                    first = format!("connection {i}: {p}");
                }
                lost += 1;
            }
        }
    }
    say(&format!("{CHECKED} {open} {lost} {first}"))
}

/// The parent's side of a child running [`hold`]. Dropping it kills the
/// child if it is still running and reaps it, whatever happened before.
pub struct IdleClients {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    reader: Option<thread::JoinHandle<()>>,
    n: usize,
    reaped: bool,
}

impl IdleClients {
    /// Spawns `cmd` (which must end up calling [`hold`] with `n`) with its
    /// stdin and stdout piped, and waits up to `limit` for it to say all
    /// `n` connections are established.
    pub fn spawn(mut cmd: Command, n: usize, limit: Duration) -> io::Result<IdleClients> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (tx, lines) = mpsc::channel();
        // Built before the reader so that `Drop` covers every later path.
        let mut me = IdleClients { child, stdin, lines, reader: None, n, reaped: false };
        let stdout = stdout.ok_or_else(|| io::Error::other("the child has no stdout"))?;
        me.reader =
            Some(thread::Builder::new().name("idle-child-stdout".into()).spawn(move || {
                // `lines` retries EINTR; it ends at the child's exit.
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            })?);
        let said = me.expect(CONNECTED, limit)?;
        if said.trim() != n.to_string() {
            return Err(io::Error::other(format!("the child connected {said}, not {n}")));
        }
        Ok(me)
    }

    /// How many idle connections the child holds.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Waits up to `limit` for the child's line starting with `tag` and
    /// returns the rest (other lines, a test harness's say, are skipped).
    fn expect(&mut self, tag: &str, limit: Duration) -> io::Result<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(tag) {
                        return Ok(rest.trim().to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the idle child did not say {tag} within {limit:?}"),
                    ));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait()?;
                    self.reaped = true;
                    return Err(io::Error::other(format!(
                        "the idle child ended ({status}) before saying {tag}"
                    )));
                }
            }
        }
    }

    /// Closes the child's stdin, so it checks its connections; waits up to
    /// `limit` for its answer and its exit. `Ok` with how many idle
    /// connections were still open; every one lost is an error naming the
    /// first.
    pub fn finish(mut self, limit: Duration) -> io::Result<usize> {
        drop(self.stdin.take());
        let said = self.expect(CHECKED, limit)?;
        let mut f = said.splitn(3, ' ');
        let mut num = || f.next().and_then(|v| v.parse::<usize>().ok());
        let (Some(open), Some(lost)) = (num(), num()) else {
            return Err(io::Error::other(format!("the idle child said {said:?}")));
        };
        let first = said.splitn(3, ' ').nth(2).unwrap_or("-").to_string();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                self.reaped = true;
                if !status.success() {
                    return Err(io::Error::other(format!("the idle child ended with {status}")));
                }
                break;
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "the idle child did not exit"));
            }
            thread::sleep(Duration::from_millis(10));
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        if lost > 0 || open != self.n {
            return Err(io::Error::other(format!(
                "{lost} of {} idle connections were closed under the child ({open} open); \
                 first: {first}",
                self.n
            )));
        }
        Ok(open)
    }
}

impl Drop for IdleClients {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The active connection: blocking, `TCP_NODELAY`, a 10 s read timeout
/// so a broken server fails the run instead of hanging it.
pub struct Active {
    stream: TcpStream,
    round: u64,
}

impl Active {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> io::Result<Active> {
        let stream = connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Active { stream, round: 0 })
    }

    /// One round trip: a 64-byte message carrying its round number out,
    /// the same 64 bytes back, checked. Its time. `write_all` and
    /// `read_exact` retry `Interrupted`.
    pub fn round_trip(&mut self) -> io::Result<Duration> {
        let mut msg = [0x5a; MSG];
        msg[..8].copy_from_slice(&self.round.to_le_bytes());
        let mut back = [0u8; MSG];
        let start = Instant::now();
        self.stream.write_all(&msg)?;
        self.stream.read_exact(&mut back)?;
        let took = start.elapsed();
        if back != msg {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("round {}: other bytes came back", self.round),
            ));
        }
        self.round += 1;
        Ok(took)
    }

    /// `n` round trips; their times.
    pub fn run(&mut self, n: usize) -> io::Result<Vec<Duration>> {
        (0..n).map(|_| self.round_trip()).collect()
    }
}

/// The `q`-quantile (0 to 1) of `times`, sorted here.
pub fn quantile(times: &mut [Duration], q: f64) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    times.sort_unstable();
    let i = ((times.len() - 1) as f64 * q).round() as usize;
    times[i.min(times.len() - 1)]
}
