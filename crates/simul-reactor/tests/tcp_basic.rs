//! TCP basics: connect, accept, and a byte-exact echo driven by the
//! reactor under edge triggering (read and write until `WouldBlock`).

mod net_util;

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};

use net_util::{PATIENCE, tcp_pair, wait};
use simul_reactor::net::{TcpListener, TcpStream};
use simul_reactor::{Events, Interest, Reactor, Token};
use simul_testkit::data::pattern;

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// One side of the echo: what it still has to write, what it has read,
/// and whether its peer has finished sending.
#[derive(Default)]
struct Side {
    outgoing: Vec<u8>,
    written: usize,
    incoming: Vec<u8>,
    eof: bool,
    shut_down: bool,
    /// Writes that found the send buffer full.
    write_blocks: usize,
}

impl Side {
    /// Reads until `WouldBlock` or EOF: the edge-triggered rule.
    fn drain(&mut self, stream: &TcpStream) {
        let mut buf = [0u8; 8192];
        loop {
            match (&*stream).read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => self.incoming.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    /// Writes until everything queued is out or `WouldBlock`.
    fn flush(&mut self, stream: &TcpStream) {
        while self.written < self.outgoing.len() {
            match (&*stream).write(&self.outgoing[self.written..]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.write_blocks += 1;
                    return;
                }
                Err(e) => panic!("write failed: {e}"),
            }
        }
    }
}

/// Client sends 1 MiB, half-closes; the server echoes everything and
/// half-closes when it sees EOF; the client must get back exactly what it
/// sent. Everything runs on one thread, one reactor.
fn echo(addr: SocketAddr, len: usize) {
    let listener = TcpListener::bind(addr).expect("bind");
    let client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    // Loopback buffers can swallow a whole mebibyte in one write; small
    // ones make the echo take many rounds of WouldBlock and re-polling.
    client.set_send_buffer_size(32 << 10).unwrap();
    client.set_recv_buffer_size(32 << 10).unwrap();
    let mut reactor = Reactor::new().unwrap();
    reactor.register(listener.as_raw_fd(), LISTENER, Interest::READABLE).unwrap();
    reactor.register(client.as_raw_fd(), CLIENT, Interest::BOTH).unwrap();

    let data = pattern(len, 7);
    let mut c = Side { outgoing: data.clone(), ..Side::default() };
    let mut s = Side::default();
    let mut server: Option<TcpStream> = None;
    let mut connected = false;
    let mut events = Events::with_capacity(16);
    let mut polls = 0u64;

    while !c.eof {
        let deadline = reactor.now() + PATIENCE;
        reactor.poll(&mut events, Some(deadline)).unwrap();
        assert!(!events.is_empty(), "stalled: no event within {PATIENCE:?}");
        polls += 1;
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((stream, peer)) => {
                            assert_eq!(peer, client.local_addr().unwrap());
                            reactor.register(stream.as_raw_fd(), SERVER, Interest::BOTH).unwrap();
                            assert!(server.replace(stream).is_none(), "one client only");
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept: {e}"),
                    }
                },
                CLIENT => {
                    if !connected {
                        assert!(client.take_error().unwrap().is_none());
                        match client.peer_addr() {
                            Ok(_) => connected = true,
                            Err(e) if e.kind() == ErrorKind::NotConnected => continue,
                            Err(e) => panic!("connect: {e}"),
                        }
                    }
                    c.flush(&client);
                    if c.written == c.outgoing.len() && !c.shut_down {
                        client.shutdown(Shutdown::Write).unwrap();
                        c.shut_down = true;
                    }
                    c.drain(&client);
                }
                SERVER => {
                    let stream = server.as_ref().expect("accepted before its events");
                    s.drain(stream);
                    // Echo: everything read so far becomes output.
                    s.outgoing.extend_from_slice(&s.incoming);
                    s.incoming.clear();
                    s.flush(stream);
                    if s.eof && s.written == s.outgoing.len() && !s.shut_down {
                        stream.shutdown(Shutdown::Write).unwrap();
                        s.shut_down = true;
                    }
                }
                other => panic!("unexpected token {other:?}"),
            }
        }
    }
    assert_eq!(c.incoming.len(), data.len());
    assert!(c.incoming == data, "echo differs from what was sent");
    // The data could not cross the small buffers in one go: the test
    // really went through WouldBlock and re-polling.
    assert!(c.write_blocks > 0, "the client never had to wait for writable");
    assert!(polls > 4, "{polls} polls");
}

#[test]
fn echo_one_mebibyte_ipv4() {
    echo("127.0.0.1:0".parse().unwrap(), 1 << 20);
}

#[test]
fn echo_over_ipv6_when_available() {
    // Machines without IPv6 on loopback cannot bind ::1; there is nothing
    // to test there.
    if TcpListener::bind("[::1]:0".parse().unwrap()).is_err() {
        return;
    }
    echo("[::1]:0".parse().unwrap(), 1 << 20);
}

#[test]
fn accept_reports_would_block_when_idle() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
    assert!(listener.take_error().unwrap().is_none());
}

#[test]
fn binding_a_used_port_is_addr_in_use() {
    let first = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let err = TcpListener::bind(first.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let err = TcpListener::bind_with_backlog(first.local_addr().unwrap(), 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn addresses_match_on_both_ends() {
    let (client, server) = tcp_pair();
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    let debug = format!("{client:?}");
    assert!(debug.contains("TcpStream") && debug.contains("127.0.0.1"), "{debug}");
}

#[test]
fn empty_buffers_read_and_write_nothing_and_are_not_end_of_stream() {
    let (client, server) = tcp_pair();
    net_util::empty_buffers_are_no_ops(&client, &server);
    net_util::empty_buffers_are_no_ops(&server, &client);
}

#[test]
fn vectored_io_and_peek() {
    let (client, server) = tcp_pair();
    let n = (&client).write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg")]).unwrap();
    assert_eq!(n, 7);
    wait(&server, Interest::READABLE);
    let mut peeked = [0u8; 7];
    let mut got = 0;
    while got < 7 {
        got = server.peek(&mut peeked).unwrap();
    }
    assert_eq!(&peeked, b"abcdefg");
    let (mut a, mut b) = ([0u8; 2], [0u8; 5]);
    let n =
        (&server).read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)]).unwrap();
    assert_eq!((n, &a, &b), (7, b"ab", b"cdefg"));
    assert_eq!((&server).read(&mut a).unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn options_read_back() {
    let (client, _server) = tcp_pair();
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());
    assert_eq!(client.linger().unwrap(), None);
    client.set_linger(Some(std::time::Duration::from_secs(3))).unwrap();
    assert_eq!(client.linger().unwrap(), Some(std::time::Duration::from_secs(3)));
    client.set_linger(None).unwrap();
    assert_eq!(client.linger().unwrap(), None);
    client.set_send_buffer_size(8192).unwrap();
    assert!(client.send_buffer_size().unwrap() >= 4096);
    client.set_recv_buffer_size(8192).unwrap();
    assert!(client.recv_buffer_size().unwrap() >= 4096);
    let too_big = client.set_send_buffer_size(usize::MAX).unwrap_err();
    assert_eq!(too_big.kind(), ErrorKind::InvalidInput);
}

#[test]
fn std_conversions_keep_the_socket_non_blocking() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);

    let std_client = std::net::TcpStream::connect(addr).unwrap();
    let client = TcpStream::from_std(std_client).unwrap();
    wait(&listener, Interest::READABLE);
    let (server, _) = listener.accept().unwrap();
    assert_eq!((&client).read(&mut [0u8; 4]).unwrap_err().kind(), ErrorKind::WouldBlock);

    let back = server.into_std();
    back.set_nonblocking(false).unwrap();
    (&back).write_all(b"blocking again").unwrap();
    wait(&client, Interest::READABLE);
    let mut buf = [0u8; 32];
    assert!((&client).read(&mut buf).unwrap() > 0);
    let fd: OwnedFd = client.into();
    assert!(fd.as_raw_fd() >= 0);
    let std_listener = listener.into_std();
    assert_eq!(std_listener.local_addr().unwrap(), addr);
}
