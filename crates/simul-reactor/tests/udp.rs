//! UDP: round trips, zero-length and oversize datagrams, and ICMP errors
//! from a closed port that must neither break receiving nor spin the loop.

mod net_util;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use net_util::wait;
use simul_reactor::net::UdpSocket;
use simul_reactor::{Events, Interest, Reactor, Token};

fn bind() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap()
}

/// A loopback UDP port with nobody behind it (just released).
fn closed_port() -> SocketAddr {
    bind().local_addr().unwrap()
}

#[test]
fn datagrams_round_trip_with_their_source() {
    let (a, b) = (bind(), bind());
    assert_eq!(a.send_to(b"ping", b.local_addr().unwrap()).unwrap(), 4);
    wait(&b, Interest::READABLE);
    let mut buf = [0u8; 16];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));

    b.send_to(b"pong", from).unwrap();
    wait(&a, Interest::READABLE);
    let (n, from) = a.peek_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"pong"[..], b.local_addr().unwrap()));
    assert_eq!(a.recv_from(&mut buf).unwrap().0, 4, "peek left it queued");
    assert_eq!(a.recv_from(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn each_receive_takes_one_whole_datagram() {
    let (a, b) = (bind(), bind());
    let to = b.local_addr().unwrap();
    a.send_to(b"first", to).unwrap();
    a.send_to(b"second", to).unwrap();
    let mut buf = [0u8; 3]; // too small: the rest of "first" is discarded
    wait(&b, Interest::READABLE);
    assert_eq!(b.recv_from(&mut buf).unwrap().0, 3);
    assert_eq!(&buf, b"fir");
    let mut buf = [0u8; 16];
    wait(&b, Interest::READABLE);
    let n = b.recv_from(&mut buf).unwrap().0;
    assert_eq!(&buf[..n], b"second");
}

#[test]
fn a_zero_length_datagram_round_trips() {
    let (a, b) = (bind(), bind());
    assert_eq!(a.send_to(&[], b.local_addr().unwrap()).unwrap(), 0);
    a.send_to(b"after", b.local_addr().unwrap()).unwrap();
    wait(&b, Interest::READABLE);
    let mut buf = [0u8; 16];
    // Received as a datagram of length 0, not as "nothing" (WouldBlock).
    assert_eq!(b.recv_from(&mut buf).unwrap(), (0, a.local_addr().unwrap()));
    wait(&b, Interest::READABLE);
    let (n, _) = b.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"after");
}

#[test]
fn receiving_into_an_empty_buffer_takes_one_datagram_and_reports_its_sender() {
    let (a, b) = (bind(), bind());
    // Nothing queued: WouldBlock, as for any buffer (a datagram socket has
    // no end of stream that an empty buffer could be mistaken for).
    assert_eq!(b.recv_from(&mut []).unwrap_err().kind(), ErrorKind::WouldBlock);
    a.send_to(b"cut", b.local_addr().unwrap()).unwrap();
    a.send_to(b"whole", b.local_addr().unwrap()).unwrap();
    wait(&b, Interest::READABLE);
    // A peek into nothing leaves the datagram queued...
    assert_eq!(b.peek_from(&mut []).unwrap(), (0, a.local_addr().unwrap()));
    // ...a receive into nothing takes it, whole, like any too-small buffer
    // (the bytes that do not fit are discarded), and reports its sender.
    assert_eq!(b.recv_from(&mut []).unwrap(), (0, a.local_addr().unwrap()));
    let mut buf = [0u8; 16];
    wait(&b, Interest::READABLE);
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"whole"[..], a.local_addr().unwrap()));
    assert_eq!(b.recv_from(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    // Connected: recv into nothing is the same.
    b.connect(a.local_addr().unwrap()).unwrap();
    a.send_to(b"again", b.local_addr().unwrap()).unwrap();
    wait(&b, Interest::READABLE);
    assert_eq!(b.recv(&mut []).unwrap(), 0);
    assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn an_oversize_datagram_is_emsgsize() {
    let (a, b) = (bind(), bind());
    let too_big = vec![7u8; 70_000]; // IPv4 allows 65,507 bytes of payload
    let err = a.send_to(&too_big, b.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE), "{err}");
    // The socket is fine afterwards.
    a.send_to(b"fits", b.local_addr().unwrap()).unwrap();
    wait(&b, Interest::READABLE);
    assert_eq!(b.recv_from(&mut [0u8; 8]).unwrap().0, 4);
}

#[test]
fn sending_to_a_closed_port_does_not_stop_receiving() {
    let (a, b) = (bind(), bind());
    for _ in 0..10 {
        a.send_to(b"into the void", closed_port()).unwrap();
    }
    b.send_to(b"hello a", a.local_addr().unwrap()).unwrap();
    wait(&a, Interest::READABLE);
    let mut buf = [0u8; 32];
    // An unconnected socket is not told about the ICMP errors (at most a
    // pending error some systems report once); the datagram arrives.
    let got = loop {
        match a.recv_from(&mut buf) {
            Ok((n, from)) => break (n, from),
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(got, (7, b.local_addr().unwrap()));
}

#[test]
fn a_connected_socket_learns_of_the_closed_port_once_and_does_not_spin() {
    let c = bind();
    c.connect(closed_port()).unwrap();
    let mut reactor = Reactor::new().unwrap();
    reactor.register(c.as_raw_fd(), Token(3), Interest::READABLE).unwrap();
    c.send(b"anyone?").unwrap();

    // The ICMP "port unreachable" becomes an error event and, once,
    // ConnectionRefused from the next receive.
    let mut events = Events::with_capacity(4);
    let deadline = reactor.now() + net_util::PATIENCE;
    reactor.poll(&mut events, Some(deadline)).unwrap();
    assert!(events.iter().any(|e| e.token() == Token(3)), "no event for the ICMP error");
    let mut buf = [0u8; 8];
    let err = c.recv(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert!(c.take_error().unwrap().is_none(), "reported once");
    assert_eq!(c.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);

    // No further events: the loop would sleep, not spin.
    let mut polls_with_events = 0;
    for _ in 0..5 {
        let soon = reactor.now() + Duration::from_millis(10);
        reactor.poll(&mut events, Some(soon)).unwrap();
        polls_with_events += usize::from(!events.is_empty());
    }
    assert_eq!(polls_with_events, 0);

    // Pointed at a live peer, the same socket works normally.
    let peer = bind();
    c.connect(peer.local_addr().unwrap()).unwrap();
    assert_eq!(c.peer_addr().unwrap(), peer.local_addr().unwrap());
    c.send(b"now?").unwrap();
    wait(&peer, Interest::READABLE);
    assert_eq!(peer.recv_from(&mut buf).unwrap(), (4, c.local_addr().unwrap()));
    peer.send_to(b"yes", c.local_addr().unwrap()).unwrap();
    wait(&c, Interest::READABLE);
    assert_eq!(c.peek(&mut buf).unwrap(), 3);
    assert_eq!(c.recv(&mut buf).unwrap(), 3);
}

#[test]
fn binding_a_used_port_is_addr_in_use() {
    let a = bind();
    let err = UdpSocket::bind(a.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn unconnected_send_and_peer_addr_fail_cleanly() {
    let a = bind();
    assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    let err = a.send(b"where to?").unwrap_err();
    assert!(
        err.kind() == ErrorKind::NotConnected || err.raw_os_error() == Some(libc::EDESTADDRREQ),
        "{err}"
    );
}

#[test]
fn ipv6_round_trip_when_available() {
    let Ok(a) = UdpSocket::bind("[::1]:0".parse().unwrap()) else {
        return; // no IPv6 on this machine's loopback
    };
    let b = UdpSocket::bind("[::1]:0".parse().unwrap()).unwrap();
    a.send_to(b"six", b.local_addr().unwrap()).unwrap();
    wait(&b, Interest::READABLE);
    let mut buf = [0u8; 8];
    assert_eq!(b.recv_from(&mut buf).unwrap(), (3, a.local_addr().unwrap()));
}

#[test]
fn std_conversions() {
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = std_socket.local_addr().unwrap();
    let socket = UdpSocket::from_std(std_socket).unwrap();
    assert_eq!(socket.recv(&mut [0u8; 4]).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert!(format!("{socket:?}").contains("UdpSocket"));
    assert_eq!(socket.into_std().local_addr().unwrap(), addr);
}
