//! The per-descriptor wait registry: several waiters on one descriptor,
//! registrations kept across waits (each direction registered only once
//! it is waited for), drops while someone waits.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::mpsc;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream};
use simul_reactor::{Clock, Interest};
use util::Log;

/// A connected pair: (the accepted side, the client side).
fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let l = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let client = TcpStream::connect(l.local_addr()?)?;
    Ok((l.accept()?.0, client))
}

#[test]
fn a_reader_and_a_writer_wait_on_one_stream_at_once() {
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
