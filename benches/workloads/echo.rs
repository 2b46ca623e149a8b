//! `echo`: 64-byte round trips over loopback TCP, the same load client
//! against an echo server written in each style.
//!
//! Every server reads into a 4 KiB buffer and writes each chunk straight
//! back, with `TCP_NODELAY` on, on a thread of its own with one runtime:
//!
//! * callback: `create_server` and a `Protocol` whose `data_received`
//!   writes the data back to its transport;
//! * coro: a coroutine per connection yielding `Readable` / `Writable`
//!   around non-blocking reads and writes (`CoroConn`);
//! * future: the per-connection future written by hand (`FutureConn`)
//!   over `poll_read` / `poll_write`, and its accept loop (`FutureServer`);
//! * async: the same handler as an `async` block (`read`, `write_all`);
//! * green: a green thread per connection, written as blocking code
//!   (`std::io::Read` / `Write` on `simul_green::net::TcpStream`);
//! * tokio: a task per connection on the current-thread runtime;
//! * floor: one thread, one edge-triggered epoll instance, no runtime:
//!   the floor no runtime on one thread can beat.
//!
//! The client stays out of the way: its connections are non-blocking and
//! watched by one level-triggered epoll instance, each with one message in
//! flight, the next sent as soon as the echo is complete and *verified*
//! (each message carries its connection and round number). It sleeps in
//! `epoll_wait` rather than spinning: on a 2-core machine a spinning client
//! steals the core the server needs. Linux only (the client and the floor
//! are epoll loops); elsewhere [`Server::start`] says `Unsupported`.
//!
//! On one connection the workload pins the server thread and the client
//! to the same CPU ([`one_cpu`]): a round trip is then two context
//! switches on one core, and the figure is what the runtimes cost. Left to
//! the scheduler, the two land on different cores as often as not, and a
//! round trip waits for two cross-core wake-ups, which on a virtual
//! machine take from a few to a hundred microseconds: the same server
//! measured 10k and 85k round trips/s in consecutive runs. A hundred
//! connections are left unpinned (the client's work overlaps the
//! server's).
//!
//! Count system calls per round trip with `strace -f -c`: every server,
//! the floor included, should show one `recvfrom` and one `sendto` per
//! round trip and at most one `epoll_wait` (the short-read rule, see
//! simul-reactor's *Triggering*).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::Style;

/// Bytes per message.
pub const MSG: usize = 64;

/// Bytes per server read.
pub const BUF: usize = 4096;

/// An echo server of one style, on its own thread.
pub struct Server {
    addr: SocketAddr,
    inner: Option<imp::Running>,
}

impl Server {
    /// Starts `style`'s echo server on 127.0.0.1, on a port of its own.
    pub fn start(style: Style) -> io::Result<Server> {
        Server::start_on(style, None)
    }

    /// As [`Server::start`], with the server thread pinned to `cpu` when
    /// one is given (see [`one_cpu`]).
    pub fn start_on(style: Style, cpu: Option<usize>) -> io::Result<Server> {
        let (addr, running) = imp::start(style, cpu)?;
        Ok(Server { addr, inner: Some(running) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it: its thread is joined and every socket it held is closed,
    /// whether or not clients are still connected. Reports an error the
    /// server thread ended with.
    pub fn stop(mut self) -> io::Result<()> {
        match self.inner.take() {
            Some(r) => imp::stop(r, self.addr),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(r) = self.inner.take() {
            let _ = imp::stop(r, self.addr);
        }
    }
}

/// The load client.
pub struct Client {
    inner: imp::Client,
}

impl Client {
    /// Opens `conns` connections to `addr`.
    pub fn connect(addr: SocketAddr, conns: usize) -> io::Result<Client> {
        Ok(Client { inner: imp::Client::connect(addr, conns)? })
    }

    /// `rounds` round trips on every connection, each echo checked byte
    /// for byte; the time they took. A closed connection, a wrong byte or
    /// a server silent for 10 s is an error.
    pub fn run(&mut self, rounds: u64) -> io::Result<Duration> {
        self.inner.run(rounds)
    }

    /// As [`Client::run`], with the calling thread pinned to `cpu` while
    /// it runs (its own affinity is restored after).
    pub fn run_on(&mut self, rounds: u64, cpu: usize) -> io::Result<Duration> {
        let saved = imp::pin(cpu)?;
        let result = self.inner.run(rounds);
        imp::unpin(saved)?;
        result
    }
}

/// A CPU this thread may run on, for pinning a server and its client
/// together: on one connection a round trip is then two context switches
/// on one core rather than two cross-core wake-ups, whose latency on a
/// virtual machine swings by ten times from one run to the next (an idle
/// virtual CPU has to be woken through the hypervisor), so the figure is
/// what the runtimes cost, not where the scheduler put the threads.
pub fn one_cpu() -> io::Result<usize> {
    imp::one_cpu()
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    pub(super) struct Running;
    pub(super) struct Client;

    fn unsupported() -> io::Error {
        io::Error::new(io::ErrorKind::Unsupported, "the echo workload needs Linux (epoll)")
    }

    pub(super) fn start(_: Style, _: Option<usize>) -> io::Result<(SocketAddr, Running)> {
        Err(unsupported())
    }

    pub(super) struct Saved;

    pub(super) fn pin(_: usize) -> io::Result<Saved> {
        Err(unsupported())
    }

    pub(super) fn unpin(_: Saved) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn one_cpu() -> io::Result<usize> {
        Err(unsupported())
    }

    pub(super) fn stop(_: Running, _: SocketAddr) -> io::Result<()> {
        Ok(())
    }

    impl Client {
        pub(super) fn connect(_: SocketAddr, _: usize) -> io::Result<Client> {
            Err(unsupported())
        }
        pub(super) fn run(&mut self, _: u64) -> io::Result<Duration> {
            Err(unsupported())
        }
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::future::Future;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::net::UnixStream;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::task::{Context, Poll};
    use std::thread;
    use std::time::Instant;

    use simul_callback::{EventLoop, LoopHandle, Protocol, Transport};
    use simul_coro::{Coroutine, CoroutineState, Reply, Resume, Scheduler, Trap};

    use super::*;

    /// How the running server is stopped.
    enum Stop {
        /// The callback loop: through its thread-safe handle.
        Callback(LoopHandle),
        /// An accept loop that checks the flag after every accept: set it,
        /// then connect once to wake it.
        Flag(Arc<AtomicBool>),
        /// The raw loop: one byte on this socket stops it.
        Raw(UnixStream),
    }

    /// A running server: how to stop it, and its thread.
    pub(super) struct Running {
        stop: Stop,
        thread: thread::JoinHandle<io::Result<()>>,
    }

    /// The calling thread's CPU affinity, kept to be restored.
    pub(super) struct Saved(libc::cpu_set_t);

    fn affinity() -> io::Result<libc::cpu_set_t> {
        // SAFETY: an all-zero cpu_set_t is a valid (empty) set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a writable cpu_set_t of the size passed; 0 is
        // the calling thread.
        let r = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
        check(r)?;
        Ok(set)
    }

    fn set_affinity(set: &libc::cpu_set_t) -> io::Result<()> {
        // SAFETY: `set` is a valid cpu_set_t of the size passed.
        check(unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), set) }).map(drop)
    }

    pub(super) fn one_cpu() -> io::Result<usize> {
        let set = affinity()?;
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: CPU_ISSET reads bit `cpu` (< CPU_SETSIZE) of a valid set.
            .find(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .ok_or_else(|| io::Error::other("this thread may run on no CPU"))
    }

    /// Pins the calling thread to `cpu`; returns the affinity it had.
    pub(super) fn pin(cpu: usize) -> io::Result<Saved> {
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("no CPU {cpu}")));
        }
        let saved = affinity()?;
        // SAFETY: an all-zero cpu_set_t is a valid (empty) set.
        let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `cpu` < CPU_SETSIZE, checked above.
        unsafe { libc::CPU_SET(cpu, &mut one) };
        set_affinity(&one)?;
        Ok(Saved(saved))
    }

    pub(super) fn unpin(saved: Saved) -> io::Result<()> {
        set_affinity(&saved.0)
    }

    /// The address `bind` gives a server.
    fn any() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    /// Runs `serve` on a new thread; it sends its address once bound.
    fn spawn_server(
        cpu: Option<usize>,
        stop: impl FnOnce() -> Stop,
        serve: impl FnOnce(mpsc::Sender<SocketAddr>) -> io::Result<()> + Send + 'static,
    ) -> io::Result<(SocketAddr, Running)> {
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new().name("echo-server".into()).spawn(move || {
            if let Some(cpu) = cpu {
                pin(cpu)?;
            }
            serve(tx)
        })?;
        match rx.recv() {
            Ok(addr) => Ok((addr, Running { stop: stop(), thread })),
            // The thread ended before binding: its error says why.
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                Ok(Ok(())) => io::Error::other("the echo server ended before it was bound"),
                Err(_) => io::Error::other("the echo server panicked while starting"),
            }),
        }
    }

    fn sent(tx: &mpsc::Sender<SocketAddr>, addr: SocketAddr) -> io::Result<()> {
        tx.send(addr).map_err(|_| io::Error::other("the starter went away"))
    }

    /// The callback style's protocol: write back what arrives.
    struct Echo;

    impl Protocol for Echo {
        fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
            let _ = t.write(data);
        }
    }

    pub(super) fn start(style: Style, cpu: Option<usize>) -> io::Result<(SocketAddr, Running)> {
        let flag = Arc::new(AtomicBool::new(false));
        let flagged = || Stop::Flag(flag.clone());
        match style {
            Style::Callback => {
                let (htx, hrx) = mpsc::channel();
                let (addr, mut running) = spawn_server(
                    cpu,
                    || Stop::Flag(flag.clone()),
                    move |tx| {
                        let mut lp = EventLoop::new()?;
                        let server = lp
                            .create_server("127.0.0.1:0", || Box::new(Echo))
                            .map_err(io::Error::other)?;
                        let _ = htx.send(lp.handle());
                        sent(&tx, server.local_addr())?;
                        lp.run_forever().map_err(io::Error::other)
                    },
                )?;
                let handle = hrx.recv().map_err(|_| io::Error::other("no loop handle"))?;
                running.stop = Stop::Callback(handle);
                Ok((addr, running))
            }
            Style::Coro => {
                let f = flag.clone();
                spawn_server(cpu, flagged, move |tx| {
                    let mut s = Scheduler::<()>::new()?;
                    let listener = simul_coro::net::TcpListener::bind(&s.io_handle(), any())?;
                    sent(&tx, listener.local_addr()?)?;
                    s.run(CoroServer { listener, stop: f }).map_err(io::Error::other)
                })
            }
            Style::Future => {
                let f = flag.clone();
                spawn_server(cpu, flagged, move |tx| {
                    let mut rt = simul_future::Runtime::new()?;
                    rt.block_on(FutureServer::Binding { tx, stop: f }).map_err(io::Error::other)?
                })
            }
            Style::Async => {
                let f = flag.clone();
                spawn_server(cpu, flagged, move |tx| {
                    let mut rt = simul_future::Runtime::new()?;
                    rt.block_on(async move {
                        let listener = simul_future::TcpListener::bind(any())?;
                        sent(&tx, listener.local_addr()?)?;
                        loop {
                            let (s, _) = listener.accept().await?;
                            if f.load(Ordering::Acquire) {
                                return Ok(());
                            }
                            s.set_nodelay(true)?;
                            drop(simul_future::spawn(async_conn(s)));
                        }
                    })
                    .map_err(io::Error::other)?
                })
            }
            Style::Green => {
                let f = flag.clone();
                spawn_server(cpu, flagged, move |tx| {
                    let hub = simul_green::Hub::new()?;
                    hub.run(move || -> io::Result<()> {
                        let listener = simul_green::net::TcpListener::bind(any())?;
                        sent(&tx, listener.local_addr()?)?;
                        loop {
                            let (mut s, _) = listener.accept()?;
                            if f.load(Ordering::Acquire) {
                                return Ok(());
                            }
                            s.set_nodelay(true)?;
                            drop(simul_green::spawn(move || {
                                let mut buf = [0u8; BUF];
                                loop {
                                    match s.read(&mut buf) {
                                        Ok(0) | Err(_) => return,
                                        Ok(n) => {
                                            if s.write_all(&buf[..n]).is_err() {
                                                return;
                                            }
                                        }
                                    }
                                }
                            })?);
                        }
                    })?
                })
            }
            Style::Tokio => {
                let f = flag.clone();
                spawn_server(cpu, flagged, move |tx| {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    super::super::tokio_runtime().block_on(async move {
                        let listener = tokio::net::TcpListener::bind(any()).await?;
                        sent(&tx, listener.local_addr()?)?;
                        loop {
                            let (mut s, _) = listener.accept().await?;
                            if f.load(Ordering::Acquire) {
                                return Ok(());
                            }
                            s.set_nodelay(true)?;
                            drop(tokio::spawn(async move {
                                let mut buf = vec![0; BUF];
                                loop {
                                    match s.read(&mut buf).await {
                                        Ok(0) | Err(_) => return,
                                        Ok(n) => {
                                            if s.write_all(&buf[..n]).await.is_err() {
                                                return;
                                            }
                                        }
                                    }
                                }
                            }));
                        }
                    })
                })
            }
            Style::Floor => {
                let listener = TcpListener::bind(any())?;
                listener.set_nonblocking(true)?;
                let addr = listener.local_addr()?;
                let (stop_tx, stop_rx) = UnixStream::pair()?;
                let thread = thread::Builder::new().name("echo-floor".into()).spawn(move || {
                    if let Some(cpu) = cpu {
                        pin(cpu)?;
                    }
                    raw_epoll_server(listener, stop_rx)
                })?;
                Ok((addr, Running { stop: Stop::Raw(stop_tx), thread }))
            }
        }
    }

    pub(super) fn stop(r: Running, addr: SocketAddr) -> io::Result<()> {
        match r.stop {
            Stop::Callback(handle) => handle.stop().map_err(io::Error::other)?,
            Stop::Flag(flag) => {
                flag.store(true, Ordering::Release);
                // Wake the accept; a refused connection means it is gone.
                drop(TcpStream::connect(addr));
            }
            Stop::Raw(mut s) => s.write_all(b"x")?,
        }
        match r.thread.join() {
            Ok(result) => result,
            Err(_) => Err(io::Error::other("the echo server thread panicked")),
        }
    }

    /// The `async` handler: what [`FutureConn`] is written by hand.
    async fn async_conn(mut s: simul_future::TcpStream) {
        use simul_future::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0; BUF];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if s.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The future style's accept loop, by hand: what the async style's
    /// `async` block is. It binds on its first poll (a listener registers
    /// with the runtime polling it), then accepts until the stop flag is
    /// set, spawning one detached [`FutureConn`] per connection; `Pending`
    /// leaves the waker with the listener's readiness.
    ///
    /// ```text
    ///   +---------+ bound, address sent +-----------+ stop flag set
    ///   | Binding | ------------------> | Accepting | ------------> Ready(Ok(()))
    ///   +---------+                     +-----------+
    ///        |                    connection |  ^  |
    ///        | bind error                    v  |  | accept error
    ///        v                   spawn(FutureConn) v
    ///   Ready(Err(e))                           Ready(Err(e))
    /// ```
    enum FutureServer {
        /// Not polled yet.
        Binding { tx: mpsc::Sender<SocketAddr>, stop: Arc<AtomicBool> },
        /// Listening.
        Accepting { listener: simul_future::TcpListener, stop: Arc<AtomicBool> },
        /// Returned `Ready`.
        Done,
    }

    impl Future for FutureServer {
        type Output = io::Result<()>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = &mut *self; // every field is Unpin
            loop {
                match std::mem::replace(this, FutureServer::Done) {
                    FutureServer::Binding { tx, stop } => {
                        let listener = simul_future::TcpListener::bind(any())?;
                        sent(&tx, listener.local_addr()?)?;
                        *this = FutureServer::Accepting { listener, stop };
                    }
                    FutureServer::Accepting { listener, stop } => {
                        // `Accept` holds no state of its own: a new one per poll.
                        let accepted = Pin::new(&mut listener.accept()).poll(cx);
                        match accepted {
                            Poll::Pending => {
                                *this = FutureServer::Accepting { listener, stop };
                                return Poll::Pending;
                            }
                            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                            Poll::Ready(Ok((s, _))) => {
                                if stop.load(Ordering::Acquire) {
                                    return Poll::Ready(Ok(()));
                                }
                                s.set_nodelay(true)?;
                                drop(simul_future::spawn(FutureConn::new(s)));
                                *this = FutureServer::Accepting { listener, stop };
                            }
                        }
                    }
                    FutureServer::Done => panic!("FutureServer polled after it returned Ready"),
                }
            }
        }
    }

    /// One connection's echo, as a hand-written future:
    ///
    /// ```text
    ///   +---------+  n bytes   +---------+
    ///   | Reading | ---------> | Writing | --(all written)--+
    ///   +---------+            +---------+                  |
    ///     ^  | EOF / error        | error                   |
    ///     |  v                    v                         |
    ///     | Ready(()) <-----------+                         |
    ///     +-------------------------------------------------+
    /// ```
    ///
    /// Reading while `start == end`, writing `buf[start..end]` otherwise;
    /// `Pending` from either leaves the waker with the stream's readiness.
    pub struct FutureConn {
        stream: simul_future::TcpStream,
        buf: Box<[u8; BUF]>,
        start: usize,
        end: usize,
    }

    impl FutureConn {
        /// Serves `stream`.
        pub fn new(stream: simul_future::TcpStream) -> FutureConn {
            FutureConn { stream, buf: Box::new([0; BUF]), start: 0, end: 0 }
        }
    }

    impl Future for FutureConn {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            use simul_future::{AsyncRead, AsyncWrite};
            let this = &mut *self; // every field is Unpin
            loop {
                if this.start < this.end {
                    let chunk = &this.buf[this.start..this.end];
                    match Pin::new(&mut this.stream).poll_write(cx, chunk) {
                        Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Poll::Ready(()),
                        Poll::Ready(Ok(n)) => this.start += n,
                        Poll::Pending => return Poll::Pending,
                    }
                    continue;
                }
                match Pin::new(&mut this.stream).poll_read(cx, &mut this.buf[..]) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Poll::Ready(()),
                    Poll::Ready(Ok(n)) => (this.start, this.end) = (0, n),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
    }

    /// The coro style's accept loop: accepts until the stop flag is set,
    /// spawning and detaching one [`CoroConn`] per connection.
    ///
    /// ```text
    ///   accept --conn--> yield Spawn(conn) --id--> yield Detach(id) --+
    ///     |  ^ WouldBlock: yield Readable(listener)                   |
    ///     +--+<-------------------------------------------------------+
    /// ```
    struct CoroServer {
        listener: simul_coro::net::TcpListener,
        stop: Arc<AtomicBool>,
    }

    impl Coroutine<Reply<()>> for CoroServer {
        type Yield = Trap<()>;
        type Return = ();
        fn resume(&mut self, reply: Reply<()>) -> Resume<Trap<()>, ()> {
            if let Reply::Spawned(id) = reply {
                return Ok(CoroutineState::Yielded(Trap::Detach(id)));
            }
            loop {
                match self.listener.try_accept() {
                    Ok((s, _)) => {
                        if self.stop.load(Ordering::Acquire) {
                            return Ok(CoroutineState::Complete(()));
                        }
                        if s.set_nodelay(true).is_err() {
                            continue;
                        }
                        let conn =
                            CoroConn { stream: s, buf: Box::new([0; BUF]), start: 0, end: 0 };
                        return Ok(CoroutineState::Yielded(Trap::Spawn(Box::new(conn))));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let fd = self.listener.as_raw_fd();
                        return Ok(CoroutineState::Yielded(Trap::Readable(fd)));
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // Out of descriptors, say: this bench's server stops.
                    Err(_) => return Ok(CoroutineState::Complete(())),
                }
            }
        }
    }

    /// One connection's echo as a coroutine: non-blocking reads and writes,
    /// yielding `Readable` / `Writable` when the socket would block. The
    /// stream is registered once and the scheduler keeps its readiness, so
    /// a wait costs no `epoll_ctl`; after a short read the stream's
    /// readable bit is clear (the receive queue was empty) and the next
    /// `try_read` says `WouldBlock` without a syscall (the short-read rule).
    ///
    /// ```text
    ///   +---------+  n bytes   +---------+
    ///   | Reading | ---------> | Writing | --(all written)--+
    ///   +---------+            +---------+                  |
    ///     ^  | yield Readable     | yield Writable          |
    ///     +--+--------------------+--------------------------+
    /// ```
    pub struct CoroConn {
        stream: simul_coro::net::TcpStream,
        buf: Box<[u8; BUF]>,
        start: usize,
        end: usize,
    }

    impl Coroutine<Reply<()>> for CoroConn {
        type Yield = Trap<()>;
        type Return = ();
        fn resume(&mut self, reply: Reply<()>) -> Resume<Trap<()>, ()> {
            if let Reply::Io(Err(_)) = reply {
                return Ok(CoroutineState::Complete(()));
            }
            let fd = self.stream.as_raw_fd();
            loop {
                if self.start < self.end {
                    match self.stream.try_write(&self.buf[self.start..self.end]) {
                        Ok(0) => return Ok(CoroutineState::Complete(())),
                        Ok(n) => self.start += n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            return Ok(CoroutineState::Yielded(Trap::Writable(fd)));
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => return Ok(CoroutineState::Complete(())),
                    }
                    continue;
                }
                match self.stream.try_read(&mut self.buf[..]) {
                    Ok(0) => return Ok(CoroutineState::Complete(())),
                    Ok(n) => (self.start, self.end) = (0, n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(CoroutineState::Yielded(Trap::Readable(fd)));
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Ok(CoroutineState::Complete(())),
                }
            }
        }
    }
    /// `libc`'s `-1` as an `io::Error`.
    fn check(r: libc::c_int) -> io::Result<libc::c_int> {
        if r < 0 { Err(io::Error::last_os_error()) } else { Ok(r) }
    }

    /// A new epoll instance.
    fn epoll() -> io::Result<OwnedFd> {
        // SAFETY: epoll_create1 takes no pointers; the flag is valid.
        let fd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: a descriptor just returned to us, owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Adds `fd` to `ep` with `events`, `data` = `fd`.
    fn add(ep: &OwnedFd, fd: RawFd, events: u32) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: fd as u64 };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        check(unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) })
            .map(drop)
    }

    /// Waits on `ep` (`timeout` ms; 0 polls), filling `events`; EINTR
    /// counts as no events.
    fn wait(ep: &OwnedFd, events: &mut [libc::epoll_event], timeout: i32) -> io::Result<usize> {
        // SAFETY: `events` is writable for `events.len()` entries.
        let n = unsafe {
            libc::epoll_wait(ep.as_raw_fd(), events.as_mut_ptr(), events.len() as i32, timeout)
        };
        match check(n) {
            Ok(n) => Ok(n as usize),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// The floor: one thread, one edge-triggered epoll instance, no
    /// buffering. Reads until a short read (the queue was empty: see
    /// simul-reactor's `## Triggering` docs) or `WouldBlock`, and writes
    /// each chunk straight back. With one 64-byte message in flight per
    /// connection the send buffer never fills, so a write that would
    /// block only happens to a misbehaving client, which is dropped.
    fn raw_epoll_server(listener: TcpListener, stop: UnixStream) -> io::Result<()> {
        let ep = epoll()?;
        let et_in = (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
        add(&ep, listener.as_raw_fd(), et_in)?;
        add(&ep, stop.as_raw_fd(), et_in)?;
        let mut conns: std::collections::HashMap<RawFd, TcpStream> = Default::default();
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
        let mut buf = [0u8; BUF];
        loop {
            let n = wait(&ep, &mut events, -1)?;
            for ev in &events[..n] {
                let (fd, flags) = (ev.u64 as RawFd, ev.events);
                if fd == stop.as_raw_fd() {
                    return Ok(());
                }
                if fd == listener.as_raw_fd() {
                    loop {
                        match listener.accept() {
                            Ok((s, _)) => {
                                s.set_nonblocking(true)?;
                                s.set_nodelay(true)?;
                                add(&ep, s.as_raw_fd(), et_in)?;
                                conns.insert(s.as_raw_fd(), s);
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                    continue;
                }
                let hup = flags & (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0;
                let Some(mut s) = conns.get(&fd) else { continue };
                let close = loop {
                    match s.read(&mut buf) {
                        Ok(0) => break true,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                break true;
                            }
                            if n < buf.len() && !hup {
                                break false;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break true,
                    }
                };
                if close {
                    // Closing the last descriptor removes it from epoll.
                    conns.remove(&fd);
                }
            }
        }
    }

    /// The client: `conns` non-blocking connections in one level-triggered
    /// epoll instance.
    pub(super) struct Client {
        ep: OwnedFd,
        conns: Vec<TcpStream>,
        events: Vec<libc::epoll_event>,
        /// Rounds run so far, so that every run's messages differ.
        epoch: u64,
    }

    /// The message connection `conn` sends in round `round`.
    fn message(conn: usize, round: u64) -> [u8; MSG] {
        let mut m = [0x5a; MSG];
        m[..8].copy_from_slice(&round.to_le_bytes());
        m[8..16].copy_from_slice(&(conn as u64).to_le_bytes());
        m
    }

    impl Client {
        pub(super) fn connect(addr: SocketAddr, n: usize) -> io::Result<Client> {
            let ep = epoll()?;
            let mut conns = Vec::with_capacity(n);
            for _ in 0..n {
                let s = TcpStream::connect(addr)?;
                s.set_nodelay(true)?;
                s.set_nonblocking(true)?;
                add(&ep, s.as_raw_fd(), libc::EPOLLIN as u32)?;
                conns.push(s);
            }
            let events = vec![libc::epoll_event { events: 0, u64: 0 }; n.max(1)];
            Ok(Client { ep, conns, events, epoch: 0 })
        }

        pub(super) fn run(&mut self, rounds: u64) -> io::Result<Duration> {
            if rounds == 0 || self.conns.is_empty() {
                return Ok(Duration::ZERO);
            }
            let by_fd: std::collections::HashMap<RawFd, usize> =
                self.conns.iter().enumerate().map(|(i, c)| (c.as_raw_fd(), i)).collect();
            let epoch = self.epoch;
            self.epoch += rounds;
            // Per connection: the round in flight, and bytes of its echo in.
            let mut state: Vec<(u64, usize)> = vec![(0, 0); self.conns.len()];
            let mut back = [0u8; MSG];
            let mut got = vec![[0u8; MSG]; self.conns.len()];
            let mut left = rounds * self.conns.len() as u64;
            let start = Instant::now();
            for (i, mut c) in self.conns.iter().enumerate() {
                c.write_all(&message(i, epoch))?;
            }
            while left > 0 {
                let n = wait(&self.ep, &mut self.events, 10_000)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("echo: no reply for 10 s with {left} round trips to go"),
                    ));
                }
                for ev in &self.events[..n] {
                    let Some(&i) = by_fd.get(&(ev.u64 as RawFd)) else { continue };
                    let (round, have) = &mut state[i];
                    let mut c = &self.conns[i];
                    match c.read(&mut back[..MSG - *have]) {
                        Ok(0) => {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                format!("echo: the server closed connection {i}"),
                            ));
                        }
                        Ok(k) => {
                            got[i][*have..*have + k].copy_from_slice(&back[..k]);
                            *have += k;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                    if *have == MSG {
                        if got[i] != message(i, epoch + *round) {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!(
                                    "echo: connection {i} got back other bytes in round {round}"
                                ),
                            ));
                        }
                        *have = 0;
                        left -= 1;
                        *round += 1;
                        if *round < rounds {
                            c.write_all(&message(i, epoch + *round))?;
                        }
                    }
                }
            }
            Ok(start.elapsed())
        }
    }
}
