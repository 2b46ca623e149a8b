//! The per-descriptor wait registry: several waiters on one descriptor,
//! registrations kept across waits (each direction registered only once
//! it is waited for), drops while someone waits.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream};
use simul_reactor::{Clock, Interest};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::Log;

/// Held by every test here: one of them closes a descriptor and needs the
/// next one opened to get its number, and counts descriptors; another
/// test opening sockets meanwhile would take the number.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A connected pair: (the accepted side, the client side).
fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let client = TcpStream::connect(l.local_addr()?)?;
    Ok((l.accept()?.0, client))
}

#[test]
fn a_reader_and_a_writer_wait_on_one_stream_at_once() {
    let _serial = serial();
    for clock in [Clock::real(), Clock::new_virtual()] {
        let hub = Hub::with_clock(clock).unwrap();
        let log = Log::default();
        let l = log.clone();
        hub.run(move || -> std::io::Result<()> {
            let (conn, mut peer) = pair()?;
            let conn = Rc::new(conn);
            // The reader parks on `conn` (nothing to read yet)...
            let (reader, l2) = (conn.clone(), l.clone());
            let read = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
                let mut got = vec![0u8; 4];
                l2.push("reader parks");
                (&*reader).read_exact(&mut got)?;
                l2.push("reader woke");
                Ok(got)
            })?;
            // ...while the writer fills the socket (32 MiB: more than loopback
            // buffers hold) until it parks too:
            // two waiters, two directions, one descriptor.
            let (writer, l3) = (conn.clone(), l.clone());
            let write = simul_green::spawn(move || -> std::io::Result<usize> {
                let chunk = vec![1u8; 32 << 20];
                l3.push("writer writes 32 MiB");
                (&*writer).write_all(&chunk)?;
                l3.push("writer done");
                Ok(chunk.len())
            })?;
            simul_green::yield_now()?;
            simul_green::yield_now()?;
            l.push("peer drains");
            let mut sink = vec![0u8; 32 << 20];
            peer.read_exact(&mut sink)?;
            assert!(sink.iter().all(|&b| b == 1));
            assert_eq!(write.join().map_err(std::io::Error::from)??, 32 << 20);
            peer.write_all(b"pong")?;
            assert_eq!(read.join().map_err(std::io::Error::from)??, b"pong");
            Ok(())
        })
        .unwrap()
        .unwrap();
        let log = log.take();
        assert_eq!(&log[..3], ["reader parks", "writer writes 32 MiB", "peer drains"], "{log:?}");
        assert_eq!(log.iter().filter(|e| e.as_str() == "reader woke").count(), 1);
        assert_eq!(log.last().map(String::as_str), Some("reader woke"));
    }
}

#[test]
fn try_cloned_streams_read_and_write_at_once() {
    let _serial = serial();
    let hub = Hub::new().unwrap();
    let echoed = hub
        .run(|| -> std::io::Result<Vec<u8>> {
            let (conn, peer) = pair()?;
            let mut reader = conn.try_clone()?;
            let mut writer = conn;
            // The peer echoes what it gets.
            let echo = simul_green::spawn(move || -> std::io::Result<()> {
                let mut peer = peer;
                let mut buf = [0u8; 4096];
                loop {
                    let n = peer.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    peer.write_all(&buf[..n])?;
                }
            })?;
            let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
            let expected = data.len();
            let read = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
                let mut got = vec![0u8; expected];
                reader.read_exact(&mut got)?;
                Ok(got)
            })?;
            writer.write_all(&data)?;
            let got = read.join().map_err(std::io::Error::from)??;
            writer.shutdown(std::net::Shutdown::Write)?;
            echo.join().map_err(std::io::Error::from)??;
            assert!(got == data);
            Ok(got[..4].to_vec())
        })
        .unwrap()
        .unwrap();
    assert_eq!(echoed, [0, 1, 2, 3]);
}

#[test]
fn dropping_the_owner_wakes_a_raw_waiter_with_an_error() {
    let _serial = serial();
    let hub = Hub::new().unwrap();
    hub.run(|| -> std::io::Result<()> {
        let (conn, _peer) = pair()?;
        let fd = conn.as_raw_fd();
        // A read that parks registers the descriptor as the stream's own
        // (kept); the kill ends the read, not the registration.
        let conn = Rc::new(conn);
        let c = conn.clone();
        let read = simul_green::spawn(move || (&*c).read(&mut [0u8; 1]))?;
        simul_green::yield_now()?;
        read.kill().map_err(std::io::Error::from)?;
        let waiter = simul_green::spawn(move || simul_green::wait_fd(fd, Interest::READABLE))?;
        simul_green::yield_now()?; // it parks on the stream's descriptor
        drop(conn);
        let e = waiter.join().map_err(std::io::Error::from)?.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
        Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_stream_dropped_outside_its_hub_leaves_nothing_stale() {
    let _serial = serial();
    // Descriptor numbers are reused at once: the new stream gets the
    // number of the one dropped after `run`, whose registry entry the hub
    // never heard the end of. Its waits must still work.
    let hub = Hub::new().unwrap();
    let leftover = hub
        .run(|| -> std::io::Result<(TcpStream, TcpStream)> {
            let (conn, peer) = pair()?;
            let mut buf = [0u8; 1];
            let reader = simul_green::spawn({
                let conn = Rc::new(conn);
                let c = conn.clone();
                move || -> std::io::Result<TcpStream> {
                    (&*c).read_exact(&mut buf)?; // waits: registers the stream
                    drop(c);
                    Rc::try_unwrap(conn).map_err(|_| std::io::Error::other("still shared"))
                }
            })?;
            simul_green::yield_now()?;
            let mut peer = peer;
            peer.write_all(b"x")?;
            let conn = reader.join().map_err(std::io::Error::from)??;
            Ok((conn, peer))
        })
        .unwrap()
        .unwrap();
    drop(leftover); // outside `run`: the hub is not told
    hub.run(|| -> std::io::Result<()> {
        for _ in 0..3 {
            let (mut conn, mut peer) = pair()?;
            let echo = simul_green::spawn(move || -> std::io::Result<()> {
                let mut b = [0u8; 2];
                peer.read_exact(&mut b)?;
                peer.write_all(&b)
            })?;
            let mut b = [0u8; 2];
            simul_green::yield_now()?;
            conn.write_all(b"hi")?;
            conn.read_exact(&mut b)?;
            assert_eq!(&b, b"hi");
            echo.join().map_err(std::io::Error::from)??;
        }
        Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_stream_registers_each_direction_once_then_waits_cost_no_registration() {
    let _serial = serial();
    // Only the waited-for direction is registered (kqueue refuses a write
    // filter on a descriptor that cannot be written, such as the kqueue a
    // child's exit is watched through), the other is added on its first
    // wait, and after that a wait costs no `epoll_ctl`: counted by
    // `poller_updates`. The peer is a std socket on an OS thread, so the
    // stream under test is the only descriptor the hub registers.
    const BIG: usize = 32 << 20; // more than loopback buffers hold
    let hub = Hub::new().unwrap();
    hub.run(|| -> std::io::Result<()> {
        let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
        let addr = l.local_addr()?;
        let (go, wait_go) = mpsc::channel::<()>();
        let peer = std::thread::spawn(move || -> std::io::Result<()> {
            // std's connect, read_exact and write_all retry EINTR
            // themselves; the plain `read` below must too.
            let mut s = std::net::TcpStream::connect(addr)?;
            wait_go.recv().map_err(std::io::Error::other)?; // the writer parked
            let mut sink = vec![0u8; BIG];
            s.read_exact(&mut sink)?;
            s.write_all(b"ping")?;
            let mut b = [0u8; 1];
            loop {
                match s.read(&mut b) {
                    Ok(0) => return Ok(()),
                    Ok(_) => s.write_all(&b)?,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        });
        let (conn, _) = l.accept()?;
        drop(l);
        let base = hub.poller_updates();
        let conn = Rc::new(conn);
        let c = conn.clone();
        let read = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
            let mut got = vec![0u8; 4];
            (&*c).read_exact(&mut got)?;
            Ok(got)
        })?;
        simul_green::yield_now()?; // the reader parks
        assert_eq!(hub.poller_updates(), base + 1, "registered, for reading only");
        let c = conn.clone();
        let write = simul_green::spawn(move || (&*c).write_all(&vec![7u8; BIG]))?;
        simul_green::yield_now()?; // the writer fills the socket and parks
        assert_eq!(hub.poller_updates(), base + 2, "widened to writing, once");
        go.send(()).map_err(std::io::Error::other)?;
        write.join().map_err(std::io::Error::from)??;
        assert_eq!(read.join().map_err(std::io::Error::from)??, b"ping");
        let mut b = [0u8; 1];
        for i in 0..100u8 {
            (&*conn).write_all(&[i])?;
            (&*conn).read_exact(&mut b)?; // parks unless the echo was quick
            assert_eq!(b, [i]);
        }
        assert_eq!(hub.poller_updates(), base + 2, "no update per wait");
        let conn = Rc::try_unwrap(conn).map_err(|_| std::io::Error::other("still shared"))?;
        drop(conn);
        assert_eq!(hub.poller_updates(), base + 3, "deregistered when dropped");
        peer.join().map_err(|_| std::io::Error::other("peer panicked"))??;
        Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_raw_wait_registers_its_direction_and_leaves() {
    let _serial = serial();
    let hub = Hub::new().unwrap();
    hub.run(|| -> std::io::Result<()> {
        // Plain std sockets: only the raw waits below register them.
        let (r, mut w) = std::os::unix::net::UnixStream::pair()?;
        let fd = r.as_raw_fd();
        let base = hub.poller_updates();
        let waiter = simul_green::spawn(move || simul_green::wait_fd(fd, Interest::READABLE))?;
        simul_green::yield_now()?;
        assert_eq!(hub.poller_updates(), base + 1);
        w.write_all(b"x")?; // std's write_all retries EINTR itself
        waiter.join().map_err(std::io::Error::from)??;
        assert_eq!(hub.poller_updates(), base + 2, "a one-shot entry goes with its waiter");
        // A wait for reading and writing at once registers both.
        simul_green::wait_fd(fd, Interest::BOTH)?;
        assert_eq!(hub.poller_updates(), base + 4);
        drop(r);
        Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_descriptor_closed_and_reused_after_its_event_was_polled_gets_no_stale_wake_up() {
    // Two sockets become ready in one poll, waking both of their waiters.
    // The first waiter to run closes the other's socket (without telling
    // the hub, as a raw `wait_fd` user may) and opens a new one that gets
    // the same number; a third thread waits on it. The event already
    // polled for the old socket must not wake the new socket's waiter:
    // only its own data does.
    let _serial = serial();
    let fds_before = FdSnapshot::take();
    let parks = Rc::new(RefCell::new(Vec::<simul_green::GreenId>::new()));
    let p = parks.clone();
    let hub = Hub::builder()
        .trace(move |e| {
            if let simul_green::TraceEvent::Park { id, wait: simul_green::Wait::Io { .. } } = e {
                p.borrow_mut().push(*id);
            }
        })
        .build()
        .unwrap();
    let parks_of = |id| parks.borrow().iter().filter(|&&p| p == id).count();
    let log = Log::default();
    let l = log.clone();
    hub.run(|| -> std::io::Result<()> {
        let (s0, mut p0) = UnixStream::pair()?;
        let (s1, mut p1) = UnixStream::pair()?;
        let fds = [s0.as_raw_fd(), s1.as_raw_fd()];
        let socks = Rc::new(RefCell::new([Some(s0), Some(s1)]));
        let first = Rc::new(Cell::new(None::<usize>));
        type Reused = (UnixStream, simul_green::JoinHandle<std::io::Result<Vec<u8>>>);
        let reused = Rc::new(RefCell::new(None::<Reused>));
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let (socks, first, reused, l) =
                    (socks.clone(), first.clone(), reused.clone(), l.clone());
                simul_green::spawn(move || -> std::io::Result<()> {
                    let woke = simul_green::wait_fd(fds[i], Interest::READABLE);
                    l.push(format!("waiter {i}: {:?}", woke.as_ref().map_err(|e| e.kind())));
                    if first.get().is_some() {
                        return Ok(());
                    }
                    first.set(Some(i));
                    let other = 1 - i;
                    drop(socks.borrow_mut()[other].take()); // closed, the hub not told
                    let (new, new_peer) = UnixStream::pair()?;
                    assert_eq!(new.as_raw_fd(), fds[other], "the number is reused");
                    new.set_nonblocking(true)?;
                    let third = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
                        simul_green::wait_fd(new.as_raw_fd(), Interest::READABLE)?;
                        // Nonblocking: a wake-up without data fails here
                        // (WouldBlock) instead of blocking the hub.
                        let mut buf = [0u8; 8];
                        let n = (&new).read(&mut buf)?;
                        Ok(buf[..n].to_vec())
                    })?;
                    *reused.borrow_mut() = Some((new_peer, third));
                    Ok(())
                })
            })
            .collect::<Result<_, _>>()?;
        simul_green::yield_now()?; // both park
        // Both ready before the hub polls again: one batch holds both.
        p0.write_all(b"0")?; // std's write_all retries EINTR itself
        p1.write_all(b"1")?;
        for w in waiters {
            w.join().map_err(std::io::Error::from)??;
        }
        let (mut new_peer, third) = reused.take().expect("a waiter reused a number");
        // Polls go on (a real-clock sleep): the third thread stays parked,
        // parked once, until its own data comes.
        simul_green::sleep(std::time::Duration::from_millis(20))?;
        assert!(!third.is_finished(), "woken by the old socket's event");
        assert_eq!(parks_of(third.id()), 1);
        new_peer.write_all(b"new")?;
        let id = third.id();
        assert_eq!(third.join().map_err(std::io::Error::from)??, b"new");
        assert_eq!(parks_of(id), 1, "woken more than once");
        drop(socks);
        Ok(())
    })
    .unwrap()
    .unwrap();
    drop(hub);
    assert_no_leaks(&fds_before);
    // Each waiter was woken by its own socket's event, the loser before
    // its socket was replaced under it (it is told what it waited for
    // was ready, which it was), and neither more than once.
    let mut log = log.take();
    log.sort();
    assert_eq!(log, ["waiter 0: Ok(())", "waiter 1: Ok(())"]);
}
