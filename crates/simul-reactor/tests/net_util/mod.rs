//! Helpers shared by the socket tests: byte patterns, bounded waits, and
//! a connected TCP pair.

#![allow(dead_code)] // each test file uses a different subset

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use simul_reactor::net::{TcpListener, TcpStream};
use simul_reactor::{Events, Interest, Reactor, Token};

/// How long any single wait in a test may take before the test fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// `len` pseudo-random bytes from `seed` (an LCG): no run repeats, so a
/// lost, duplicated or reordered chunk shows up as a mismatch.
pub(crate) fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}

/// Waits (on a fresh reactor, so the current readiness is reported) until
/// `fd` is ready for `interest`, or panics after [`PATIENCE`].
pub(crate) fn wait(fd: &impl AsRawFd, interest: Interest) {
    let mut reactor = Reactor::new().expect("reactor");
    reactor.register(fd.as_raw_fd(), Token(0), interest).expect("register");
    let mut events = Events::with_capacity(4);
    let deadline = reactor.now() + PATIENCE;
    while events.is_empty() {
        reactor.poll(&mut events, Some(deadline)).expect("poll");
        assert!(reactor.now() < deadline || !events.is_empty(), "no readiness within {PATIENCE:?}");
    }
}

/// Finishes a non-blocking connect: waits for writable, then checks
/// `take_error` and `peer_addr` (the documented protocol).
pub(crate) fn finish_connect(stream: &TcpStream) -> io::Result<()> {
    loop {
        wait(stream, Interest::WRITABLE);
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
        match stream.peer_addr() {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A connected loopback pair: `(client, server)`.
pub(crate) fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    wait(&listener, Interest::READABLE);
    let (server, _) = listener.accept().expect("accept");
    finish_connect(&client).expect("connected");
    (client, server)
}
