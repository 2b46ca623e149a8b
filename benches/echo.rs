//! Echo round trips on loopback, every server driven by the same client in
//! the same run, so the ratios can be read straight off:
//!
//! * `simul_callback`: the callback loop's transports and a protocol;
//! * `simul_future`: the future runtime, one task per connection;
//! * `tokio_current_thread`: tokio's single-threaded runtime, the peer;
//! * `raw_epoll`: a hand-written edge-triggered epoll loop over `libc`,
//!   the floor no runtime on one thread can beat;
//! * `threads`: one blocking thread per connection.
//!
//! Every server echoes with a 4 KiB read buffer, `TCP_NODELAY` on.
//!
//! The client is built to stay out of the way: all its connections are
//! non-blocking and watched by one level-triggered epoll instance, so one
//! `epoll_wait` collects every reply that has landed, and the client
//! spends a write, a read and a share of one wait per round trip. (It
//! sleeps in `epoll_wait` rather than spinning: on a small shared machine
//! a spinning client steals the core the server needs.) Each connection has one 64-byte message in flight at a time and sends
//! the next as soon as its echo is complete; connections do not wait for
//! one another.
//!
//! * `echo/1conn/*`: one connection (latency bound: one round trip at a time).
//! * `echo/100conn/*`: 100 connections (up to 100 round trips in flight).
//!
//! Throughput is in round trips ("elements") per second. Linux only: the
//! client and the floor are epoll loops.
//!
//! Syscalls per round trip are steadier than times on a shared machine;
//! count them with `strace -ff -o t -e trace=recvfrom,sendto,epoll_wait
//! <bench binary> --bench --profile-time 3 '^echo/1conn/simul_future$'`
//! (each `t.<tid>` file is one thread; the client is the first). Every
//! server here, raw floor included, should show one `recvfrom`, one
//! `sendto` and at most one `epoll_wait` per round trip, and no
//! `epoll_ctl`: a `recvfrom` returning `EAGAIN` per round trip means a
//! reader is not using the short-read rule (simul-reactor, *Triggering*).
#![allow(missing_docs)]

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{self, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    use criterion::{BenchmarkId, Criterion, Throughput};
    use simul_callback::{EventLoop, LoopHandle, Protocol, Transport};

    /// Bytes per message.
    const MSG: usize = 64;
    /// Bytes per server read.
    const BUF: usize = 4096;

    /// The servers, in the order they run.
    const SERVERS: [&str; 5] =
        ["simul_callback", "simul_future", "tokio_current_thread", "raw_epoll", "threads"];

    struct Echo;

    impl Protocol for Echo {
        fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
            let _ = t.write(data);
        }
    }

    /// A running echo server and how to stop it.
    enum Server {
        /// The callback loop: stopped through its handle.
        Callback(LoopHandle, thread::JoinHandle<()>),
        /// An accept loop that checks the flag after every accept: set it,
        /// then connect once to wake it.
        Flagged(Arc<AtomicBool>, thread::JoinHandle<()>),
        /// The raw loop: one byte on this socket stops it.
        Raw(UnixStream, thread::JoinHandle<()>),
        /// Detached threads that end when their clients disconnect.
        Threads,
    }

    fn start(kind: &str) -> (SocketAddr, Server) {
        let (tx, rx) = mpsc::channel::<SocketAddr>();
        let stop = Arc::new(AtomicBool::new(false));
        match kind {
            "simul_callback" => {
                let (tx, rx) = mpsc::channel();
                let join = thread::spawn(move || {
                    let mut lp = EventLoop::new().unwrap();
                    let server = lp.create_server("127.0.0.1:0", || Box::new(Echo)).unwrap();
                    tx.send((server.local_addr(), lp.handle())).unwrap();
                    lp.run_forever().unwrap();
                });
                let (addr, handle) = rx.recv().unwrap();
                (addr, Server::Callback(handle, join))
            }
            "simul_future" => {
                let flag = stop.clone();
                let join = thread::spawn(move || {
                    use simul_future::{AsyncReadExt, AsyncWriteExt};
                    let mut rt = simul_future::Runtime::new().unwrap();
                    rt.block_on(async move {
                        let any = "127.0.0.1:0".parse().unwrap();
                        let listener = simul_future::TcpListener::bind(any).unwrap();
                        tx.send(listener.local_addr().unwrap()).unwrap();
                        loop {
                            let (mut s, _) = listener.accept().await.unwrap();
                            if flag.load(Ordering::Acquire) {
                                return;
                            }
                            s.set_nodelay(true).unwrap();
                            simul_future::spawn(async move {
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
                            });
                        }
                    })
                    .unwrap();
                });
                (rx.recv().unwrap(), Server::Flagged(stop, join))
            }
            "tokio_current_thread" => {
                let flag = stop.clone();
                let join = thread::spawn(move || {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let rt =
                        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async move {
                        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                        tx.send(listener.local_addr().unwrap()).unwrap();
                        loop {
                            let (mut s, _) = listener.accept().await.unwrap();
                            if flag.load(Ordering::Acquire) {
                                return;
                            }
                            s.set_nodelay(true).unwrap();
                            tokio::spawn(async move {
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
                            });
                        }
                    });
                });
                (rx.recv().unwrap(), Server::Flagged(stop, join))
            }
            "raw_epoll" => {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                listener.set_nonblocking(true).unwrap();
                let addr = listener.local_addr().unwrap();
                let (stop_tx, stop_rx) = UnixStream::pair().unwrap();
                let join = thread::spawn(move || raw_epoll_server(listener, stop_rx).unwrap());
                (addr, Server::Raw(stop_tx, join))
            }
            _ => {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                thread::spawn(move || {
                    for s in listener.incoming() {
                        let Ok(mut s) = s else { return };
                        s.set_nodelay(true).unwrap();
                        thread::spawn(move || {
                            let mut buf = [0; BUF];
                            while let Ok(n) = s.read(&mut buf) {
                                if n == 0 || s.write_all(&buf[..n]).is_err() {
                                    return;
                                }
                            }
                        });
                    }
                });
                (addr, Server::Threads)
            }
        }
    }

    fn stop(server: Server, addr: SocketAddr) {
        match server {
            Server::Callback(handle, join) => {
                handle.stop().unwrap();
                join.join().unwrap();
            }
            Server::Flagged(flag, join) => {
                flag.store(true, Ordering::Release);
                drop(TcpStream::connect(addr));
                join.join().unwrap();
            }
            Server::Raw(mut stop, join) => {
                stop.write_all(b"x").unwrap();
                join.join().unwrap();
            }
            Server::Threads => {}
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
    struct Client {
        ep: OwnedFd,
        conns: Vec<TcpStream>,
        events: Vec<libc::epoll_event>,
    }

    impl Client {
        fn connect(addr: SocketAddr, n: usize) -> Client {
            let ep = epoll().unwrap();
            let conns: Vec<TcpStream> = (0..n)
                .map(|i| {
                    let s = TcpStream::connect(addr).unwrap();
                    s.set_nodelay(true).unwrap();
                    s.set_nonblocking(true).unwrap();
                    let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: i as u64 };
                    // SAFETY: `ev` is a valid epoll_event for the call.
                    let r = unsafe {
                        libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev)
                    };
                    check(r).unwrap();
                    s
                })
                .collect();
            let events = vec![libc::epoll_event { events: 0, u64: 0 }; n];
            Client { ep, conns, events }
        }

        /// `rounds` round trips on every connection; the time they took.
        fn run(&mut self, rounds: u64) -> Duration {
            let msg = [7u8; MSG];
            let mut back = [0u8; MSG];
            // Per connection: echoes still to send after the one in
            // flight, and bytes of the current echo received.
            let mut state: Vec<(u64, usize)> = vec![(rounds - 1, 0); self.conns.len()];
            let mut left = rounds * self.conns.len() as u64;
            let start = Instant::now();
            for mut c in &self.conns {
                c.write_all(&msg).unwrap();
            }
            while left > 0 {
                let n = wait(&self.ep, &mut self.events, -1).unwrap();
                for ev in &self.events[..n] {
                    let i = ev.u64 as usize;
                    let (to_send, got) = &mut state[i];
                    let mut c = &self.conns[i];
                    match c.read(&mut back[..MSG - *got]) {
                        Ok(0) => panic!("server closed the connection"),
                        Ok(k) => *got += k,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        Err(e) => panic!("client read: {e}"),
                    }
                    if *got == MSG {
                        *got = 0;
                        left -= 1;
                        if *to_send > 0 {
                            *to_send -= 1;
                            c.write_all(&msg).unwrap();
                        }
                    }
                }
            }
            start.elapsed()
        }
    }

    pub(crate) fn echo(c: &mut Criterion) {
        let mut g = c.benchmark_group("echo");
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(3));
        g.warm_up_time(Duration::from_millis(500));
        for conns in [1usize, 100] {
            g.throughput(Throughput::Elements(conns as u64));
            for kind in SERVERS {
                let (addr, server) = start(kind);
                let mut client = Client::connect(addr, conns);
                g.bench_function(BenchmarkId::new(format!("{conns}conn"), kind), |b| {
                    b.iter_custom(|rounds| std::hint::black_box(client.run(rounds)));
                });
                drop(client);
                stop(server, addr);
            }
        }
        g.finish();
    }
}

#[cfg(target_os = "linux")]
criterion::criterion_group!(benches, linux::echo);
#[cfg(target_os = "linux")]
criterion::criterion_main!(benches);

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the echo bench needs Linux (its client and floor are epoll loops)");
}
