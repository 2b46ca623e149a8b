//! Unix-domain stream sockets: pairs, listeners, half-close, failed
//! connects without descriptor leaks, and no `SIGPIPE`.

mod net_util;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use net_util::{PATIENCE, serial, wait};
use simul_reactor::net::{UnixListener, UnixStream};
use simul_reactor::{Events, Interest, Reactor, Token};
use simul_testkit::data::pattern;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// A fresh directory for this test's socket files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simul-unix-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_pair_carries_bytes_both_ways() {
    let _serial = serial();
    let (a, b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(b.peer_addr().unwrap().is_unnamed());
    (&a).write_all(b"there").unwrap();
    (&b).write_all(b"back").unwrap();
    let mut buf = [0u8; 8];
    wait(&b, Interest::READABLE);
    assert_eq!((&b).read(&mut buf).unwrap(), 5);
    wait(&a, Interest::READABLE);
    assert_eq!((&a).read(&mut buf).unwrap(), 4);
    assert_eq!((&a).read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn empty_buffers_read_and_write_nothing_and_are_not_end_of_stream() {
    let _serial = serial();
    let (a, b) = UnixStream::pair().unwrap();
    net_util::empty_buffers_are_no_ops(&a, &b);
    net_util::empty_buffers_are_no_ops(&b, &a);
}

#[test]
fn listener_accepts_and_echoes_through_the_reactor() {
    let _serial = serial();
    let dir = scratch_dir("echo");
    let path = dir.join("echo.sock");
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    let client = UnixStream::connect(&path).unwrap();
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));

    let mut reactor = Reactor::new().unwrap();
    reactor.register(listener.as_raw_fd(), Token(0), Interest::READABLE).unwrap();
    let mut events = Events::with_capacity(8);
    let server = loop {
        reactor.poll(&mut events, Some(reactor.now() + PATIENCE)).unwrap();
        assert!(!events.is_empty(), "no connection to accept");
        match listener.accept() {
            Ok((stream, addr)) => {
                assert!(addr.is_unnamed());
                break stream;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);

    // 256 KiB each way, more than the socket buffers hold at once.
    let data = pattern(256 << 10, 3);
    reactor.register(client.as_raw_fd(), Token(1), Interest::BOTH).unwrap();
    reactor.register(server.as_raw_fd(), Token(2), Interest::BOTH).unwrap();
    let (mut sent, mut echoed, mut pending, mut back) = (0, 0, Vec::new(), Vec::new());
    let mut buf = vec![0u8; 16 << 10];
    while back.len() < data.len() {
        reactor.poll(&mut events, Some(reactor.now() + PATIENCE)).unwrap();
        assert!(!events.is_empty(), "stalled");
        for event in events.iter() {
            if event.token() == Token(1) {
                while sent < data.len() {
                    match (&client).write(&data[sent..]) {
                        Ok(n) => sent += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
                loop {
                    match (&client).read(&mut buf) {
                        Ok(0) => panic!("unexpected EOF"),
                        Ok(n) => back.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            } else {
                loop {
                    match (&server).read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
                while echoed < pending.len() {
                    match (&server).write(&pending[echoed..]) {
                        Ok(n) => echoed += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }
    }
    assert!(back == data, "echo differs");
    drop(listener);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn half_close_gives_eof_and_keeps_the_other_direction() {
    let _serial = serial();
    let (a, b) = UnixStream::pair().unwrap();
    (&a).write_all(b"last words").unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let mut buf = [0u8; 32];
    wait(&b, Interest::READABLE);
    assert_eq!((&b).read(&mut buf).unwrap(), 10);
    for _ in 0..3 {
        assert_eq!((&b).read(&mut buf).unwrap(), 0, "EOF stays EOF");
    }
    (&b).write_all(b"reply").unwrap();
    wait(&a, Interest::READABLE);
    assert_eq!((&a).read(&mut buf).unwrap(), 5);
    assert_eq!((&a).write(b"more").unwrap_err().kind(), ErrorKind::BrokenPipe);
}

#[test]
fn writing_to_a_closed_peer_is_broken_pipe_not_a_signal() {
    let _serial = serial();
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let err = (&a).write(b"hello?").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
    let err = (&a).write_vectored(&[std::io::IoSlice::new(b"x")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
}

#[test]
fn ten_thousand_failed_connects_give_the_right_errors_and_leak_nothing() {
    let _serial = serial();
    let dir = scratch_dir("failed");
    let missing = dir.join("missing.sock");
    // A socket file nobody listens on any more.
    let stale = dir.join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());

    let before = FdSnapshot::take();
    for i in 0..10_000 {
        if i % 2 == 0 {
            let err = UnixStream::connect(&missing).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        } else {
            let err = UnixStream::connect(&stale).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        }
    }
    assert_no_leaks(&before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_paths_are_refused() {
    let _serial = serial();
    let dir = scratch_dir("paths");
    let path = dir.join("taken.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    assert_eq!(UnixListener::bind(&path).unwrap_err().kind(), ErrorKind::AddrInUse);
    let long = dir.join("x".repeat(200));
    assert_eq!(UnixListener::bind(&long).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(UnixStream::connect(&long).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(UnixStream::connect("nul\0inside").unwrap_err().kind(), ErrorKind::InvalidInput);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn std_conversions() {
    let _serial = serial();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let a = UnixStream::from_std(a).unwrap();
    assert_eq!((&a).read(&mut [0u8; 1]).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert!(a.take_error().unwrap().is_none());
    assert!(format!("{a:?}").contains("UnixStream"));
    let a = a.into_std();
    a.set_nonblocking(false).unwrap();
    (&b).write_all(b"z").unwrap();
    let mut byte = [0u8; 1];
    (&a).read_exact(&mut byte).unwrap(); // blocking again (and std retries EINTR here)
    assert_eq!(&byte, b"z");
}
