//! Every descriptor the `net` module creates is non-blocking and
//! close-on-exec from birth, including accepted ones.

mod net_util;

use std::os::fd::{AsRawFd, RawFd};

use net_util::{tcp_pair, wait};
use simul_reactor::Interest;
use simul_reactor::net::{TcpListener, UdpSocket, UnixListener, UnixStream, pipe};

fn assert_flags(fd: RawFd, what: &str) {
    // SAFETY: F_GETFL only reads the open file's status flags.
    let status = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: F_GETFD only reads the descriptor's flags.
    let descriptor = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(status >= 0 && descriptor >= 0, "{what}: fcntl failed");
    assert!(status & libc::O_NONBLOCK != 0, "{what} is blocking");
    assert!(descriptor & libc::FD_CLOEXEC != 0, "{what} is not close-on-exec");
}

#[test]
fn sockets_and_pipes_are_non_blocking_and_close_on_exec() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    assert_flags(listener.as_raw_fd(), "TcpListener");
    let (client, accepted) = tcp_pair();
    assert_flags(client.as_raw_fd(), "connecting TcpStream");
    assert_flags(accepted.as_raw_fd(), "accepted TcpStream");
    let udp = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    assert_flags(udp.as_raw_fd(), "UdpSocket");
    let (a, b) = UnixStream::pair().unwrap();
    assert_flags(a.as_raw_fd(), "UnixStream::pair");
    assert_flags(b.as_raw_fd(), "UnixStream::pair");
    let (r, w) = pipe().unwrap();
    assert_flags(r.as_raw_fd(), "PipeReader");
    assert_flags(w.as_raw_fd(), "PipeWriter");

    let path = std::env::temp_dir().join(format!("simul-flags-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let unix_listener = UnixListener::bind(&path).unwrap();
    assert_flags(unix_listener.as_raw_fd(), "UnixListener");
    let unix_client = UnixStream::connect(&path).unwrap();
    assert_flags(unix_client.as_raw_fd(), "connecting UnixStream");
    wait(&unix_listener, Interest::READABLE);
    let (unix_accepted, _) = unix_listener.accept().unwrap();
    assert_flags(unix_accepted.as_raw_fd(), "accepted UnixStream");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn from_std_makes_sockets_non_blocking() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    assert_flags(listener.as_raw_fd(), "TcpListener::from_std");
    let udp = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
    assert_flags(udp.as_raw_fd(), "UdpSocket::from_std");
}
