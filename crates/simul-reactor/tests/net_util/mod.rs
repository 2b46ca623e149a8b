//! Helpers shared by the socket tests: byte patterns, bounded waits, a
//! connected TCP pair, and a test lock that makes `SIGPIPE` deadly again.
//! (Descriptor leak checks: `simul_testkit::fds`.)

#![allow(dead_code)] // each test file uses a different subset

use std::io;
use std::os::fd::AsRawFd;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use simul_reactor::net::{TcpListener, TcpStream};
use simul_reactor::{Events, Interest, Reactor, Token};

/// How long any single wait in a test may take before the test fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

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

/// Tests that take this lock run one at a time: the descriptor count is
/// process-wide, and so is the signal disposition. (Each test file is its
/// own binary, so each file has its own lock.)
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the test lock and restores `SIGPIPE`'s default action.
///
/// The Rust runtime ignores `SIGPIPE` before main, which would hide a
/// missing `MSG_NOSIGNAL` / `SO_NOSIGPIPE`. The default action kills the
/// process: a test holding this guard only passes if no write raises it.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: `signal` with SIG_DFL installs no handler; it is called while
    // holding SERIAL, so no two tests race on the disposition.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
    guard
}

/// Reliability item 27 on a connected stream pair `(a, b)`: reading into
/// and writing from an empty buffer give `Ok(0)` at once, whether or not
/// bytes are pending, and are neither end of stream nor an error: they
/// consume nothing, send nothing, and the stream goes on working.
pub(crate) fn empty_buffers_are_no_ops<S: AsRawFd>(a: &S, b: &S)
where
    for<'s> &'s S: io::Read + io::Write,
{
    use io::{Read, Write};
    // Nothing pending: an empty read is 0 bytes, not `WouldBlock`.
    assert_eq!((&*b).read(&mut []).unwrap(), 0);
    assert_eq!((&*b).read_vectored(&mut [io::IoSliceMut::new(&mut [])]).unwrap(), 0);
    assert_eq!((&*a).write(&[]).unwrap(), 0);
    assert_eq!((&*a).write_vectored(&[io::IoSlice::new(&[])]).unwrap(), 0);
    (&*a).flush().unwrap();

    // Bytes pending: an empty read still takes none of them.
    (&*a).write_all(b"after the empty ones").unwrap();
    wait(b, Interest::READABLE);
    assert_eq!((&*b).read(&mut []).unwrap(), 0);
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let start = std::time::Instant::now();
    while got.len() < 20 {
        match (&*b).read(&mut buf) {
            Ok(0) => panic!("end of stream after an empty read or write"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(start.elapsed() < PATIENCE, "the bytes never arrived");
                wait(b, Interest::READABLE);
            }
            Err(e) => panic!("read failed: {e}"),
        }
    }
    assert_eq!(got, b"after the empty ones", "an empty read consumed or added bytes");
    // The empty writes sent nothing, in either direction, and closed nothing.
    assert_eq!((&*b).read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    assert_eq!((&*b).write(&[]).unwrap(), 0);
    assert_eq!((&*a).read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    (&*b).write_all(b"back").unwrap();
    wait(a, Interest::READABLE);
    assert_eq!((&*a).read(&mut [0u8; 4]).unwrap(), 4);
}
