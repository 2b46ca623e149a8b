//! The per-descriptor wait registry: several waiters on one descriptor,
//! registrations kept across waits, drops while someone waits.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::rc::Rc;

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
