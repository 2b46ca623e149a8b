//! A read that returns fewer bytes than asked for tells the hub the
//! socket is drained, and the next read parks for the next edge without a
//! system call. These tests guard the two ways that could go wrong: data
//! arriving later must still raise an edge that wakes the reader, and an
//! end-of-file that came with the data (no later edge will ever come) must
//! still be read.
//!
//! Each test runs its hub on another OS thread and waits for it with a
//! deadline, so a reader that parks for an edge that never comes fails
//! the test instead of hanging it.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use simul_green::Hub;
use simul_green::net::TcpListener;

/// Far longer than any of these takes on a loaded machine.
const LIMIT: Duration = Duration::from_secs(60);

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Runs `f` in a hub on its own OS thread; its result, or a panic saying
/// it hung.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    let runner = thread::spawn(move || {
        let hub = Hub::new().unwrap();
        done.send(hub.run(f).unwrap()).unwrap();
    });
    match result.recv_timeout(LIMIT) {
        Ok(v) => {
            runner.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The hub thread panicked: show its panic.
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("a reader waited for an edge that never came")
        }
    }
}

#[test]
fn pieces_arriving_after_a_short_read_each_wake_the_reader() {
    const PIECES: usize = 50;
    let got = bounded(|| {
        let listener = TcpListener::bind(loopback()).unwrap();
        let addr = listener.local_addr().unwrap();
        // The peer writes a piece whenever the reader asks, so every
        // piece arrives after the reader's previous read was short.
        let (ask, asked) = mpsc::channel::<()>();
        let peer = thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            for i in 0..PIECES {
                if asked.recv().is_err() {
                    return;
                }
                // A moment, so the reader is parked (or about to) when
                // the piece lands.
                thread::sleep(Duration::from_millis(2));
                s.write_all(&[i as u8; 10]).unwrap();
            }
        });
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        for _ in 0..PIECES {
            ask.send(()).unwrap();
            let mut piece = 0;
            while piece < 10 {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "end of stream before the last piece");
                got.extend_from_slice(&buf[..n]);
                piece += n;
            }
        }
        drop(ask);
        peer.join().unwrap();
        got
    });
    let want: Vec<u8> = (0..PIECES).flat_map(|i| [i as u8; 10]).collect();
    assert_eq!(got, want);
}

#[test]
fn data_and_end_of_file_in_one_event_are_both_read() {
    let (first, rest) = bounded(|| {
        let listener = TcpListener::bind(loopback()).unwrap();
        let addr = listener.local_addr().unwrap();
        let (go, gone) = mpsc::channel::<()>();
        let peer = thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"first").unwrap();
            // Then, once told: the rest and the end of the stream
            // together, while the reader is not reading.
            gone.recv().unwrap();
            s.write_all(b"and the rest").unwrap();
            drop(s);
        });
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        // Parks (the peer may not have written yet), then a short read:
        // the socket is drained, as far as the hub knows.
        let mut first = Vec::new();
        while first.len() < 5 {
            let n = conn.read(&mut buf).unwrap();
            first.extend_from_slice(&buf[..n]);
        }
        // The rest and the FIN arrive while this thread sleeps, so the
        // hub sees them in one event that announces the end of the stream.
        go.send(()).unwrap();
        peer.join().unwrap();
        simul_green::sleep(Duration::from_millis(50)).unwrap();
        // A short read of the rest must not mark the socket drained: no
        // edge will come for the end of the stream, which is already here.
        let mut rest = Vec::new();
        loop {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&buf[..n]);
        }
        (first, rest)
    });
    assert_eq!(first, b"first");
    assert_eq!(rest, b"and the rest");
}
