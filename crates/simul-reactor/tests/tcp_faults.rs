//! TCP faults: refused connects, resets, writes after the peer left,
//! half-close, and no descriptor leaks, with `SIGPIPE` at its default
//! (deadly) disposition so that a write that raised it would kill the test.

mod net_util;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use net_util::{PATIENCE, finish_connect, serial, tcp_pair, wait};
use simul_reactor::net::{TcpListener, TcpStream};
use simul_reactor::{Events, Interest, Reactor, Token};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// A loopback port on which nothing listens (it was just released).
fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    listener.local_addr().unwrap()
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let _serial = serial();
    let addr = refused_addr();
    let err = match TcpStream::connect(addr) {
        // The kernel may settle a loopback handshake inside connect...
        Err(e) => e,
        // ...or report it later through SO_ERROR, the documented protocol.
        Ok(stream) => finish_connect(&stream).expect_err("nothing listens there"),
    };
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn ten_thousand_failed_connects_leak_no_descriptor() {
    let _serial = serial();
    let addr = refused_addr();
    let mut reactor = Reactor::new().unwrap();
    let mut events = Events::with_capacity(4);
    let before = FdSnapshot::take();
    let (mut immediate, mut later) = (0, 0);
    for _ in 0..10_000 {
        match TcpStream::connect(addr) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
                immediate += 1;
            }
            Ok(stream) => {
                reactor.register(stream.as_raw_fd(), Token(1), Interest::WRITABLE).unwrap();
                let deadline = reactor.now() + PATIENCE;
                let err = loop {
                    reactor.poll(&mut events, Some(deadline)).unwrap();
                    assert!(!events.is_empty(), "connect neither failed nor finished");
                    if let Some(e) = stream.take_error().unwrap() {
                        break e;
                    }
                    assert_eq!(stream.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
                };
                assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
                reactor.deregister(stream.as_raw_fd()).unwrap();
                later += 1;
            }
        }
    }
    assert_eq!(immediate + later, 10_000);
    assert_no_leaks(&before);
}

#[test]
fn reset_by_peer_is_connection_reset() {
    let _serial = serial();
    let (client, server) = tcp_pair();
    (&client).write_all(b"never read by the server").unwrap();
    wait(&server, Interest::READABLE);
    // Linger 0: closing sends RST instead of FIN.
    server.set_linger(Some(Duration::ZERO)).unwrap();
    drop(server);
    wait(&client, Interest::READABLE);
    let err = (&client).read(&mut [0u8; 64]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    // The connection is dead: writing fails too, without a signal.
    let err = (&client).write(b"anyone?").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err}");
}

#[test]
fn writing_after_the_peer_closed_is_broken_pipe_not_a_signal() {
    let _serial = serial();
    let (client, server) = tcp_pair();
    drop(server); // an ordinary close: FIN
    wait(&client, Interest::READABLE);
    assert_eq!((&client).read(&mut [0u8; 8]).unwrap(), 0, "EOF first");

    // The first write after a FIN is accepted by our kernel; the peer's
    // kernel answers it with RST, and writes fail from then on.
    let mut failure = None;
    for _ in 0..2_000 {
        match (&client).write(b"are you there?") {
            Ok(n) => {
                assert!(n > 0);
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let err = failure.expect("writes to a closed peer must start failing");
    if cfg!(target_os = "linux") {
        assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
    } else {
        assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err}");
    }
    // And it keeps failing, still without killing us.
    let again = (&client).write(b"really?").unwrap_err();
    assert!(matches!(again.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{again}");
    let vectored = (&client).write_vectored(&[std::io::IoSlice::new(b"x")]).unwrap_err();
    assert!(matches!(vectored.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));
}

#[test]
fn half_close_keeps_eof_and_the_other_direction() {
    let _serial = serial();
    let (client, server) = tcp_pair();
    (&client).write_all(b"request").unwrap();
    client.shutdown(Shutdown::Write).unwrap();

    let mut request = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        wait(&server, Interest::READABLE);
        match (&server).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(request, b"request");
    // EOF stays EOF.
    for _ in 0..3 {
        assert_eq!((&server).read(&mut buf).unwrap(), 0);
    }
    // Our side may still write; the half-closed client still reads.
    (&server).write_all(b"response").unwrap();
    server.shutdown(Shutdown::Write).unwrap();
    let mut response = Vec::new();
    loop {
        wait(&client, Interest::READABLE);
        match (&client).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(response, b"response");
    // Writing after our own shutdown(Write) is an error, not a signal.
    let err = (&client).write(b"late").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
}

#[test]
fn shutdown_of_an_unconnected_stream_is_an_error() {
    let _serial = serial();
    let addr = refused_addr();
    match TcpStream::connect(addr) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}"),
        Ok(stream) => {
            let refused = finish_connect(&stream).unwrap_err();
            assert_eq!(refused.kind(), ErrorKind::ConnectionRefused, "{refused}");
            let err = stream.shutdown(Shutdown::Both).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotConnected, "{err}");
            assert_eq!(stream.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        }
    }
}
