//! UDP endpoints: round trips (zero-length too), errors as
//! error_received without closing (`EMSGSIZE`, a closed port), close and
//! connection_lost, `AddrInUse`.

mod util;

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use simul_callback::{DatagramProtocol, DatagramTransport, EventLoop};
use util::Trace;

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

struct Logger(Trace);

impl DatagramProtocol for Logger {
    fn connection_made(&mut self, _: &mut EventLoop, _: &DatagramTransport) {
        self.0.log("made");
    }
    fn datagram_received(
        &mut self,
        _: &mut EventLoop,
        _: &DatagramTransport,
        data: &[u8],
        _: SocketAddr,
    ) {
        self.0.log(format!("got {:?}", String::from_utf8_lossy(data)));
    }
    fn error_received(&mut self, _: &mut EventLoop, error: io::Error) {
        self.0.log(format!("error {:?}", error.kind()));
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        self.0.log(format!("lost {:?}", error.map(|e| e.kind())));
    }
}

#[test]
fn datagrams_arrive_whole_and_in_order_including_empty_ones() {
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let ep = lp.create_datagram_endpoint(any(), None, Logger(trace.clone())).unwrap();
    let peer = UdpSocket::bind(any()).unwrap();
    let to = ep.local_addr().unwrap();
    for msg in ["one", "", "three"] {
        peer.send_to(msg.as_bytes(), to).unwrap();
    }
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 4).unwrap();
    assert_eq!(trace.take(), ["made", "got \"one\"", "got \"\"", "got \"three\""]);

    // And back out, to the peer.
    ep.sendto(b"reply", Some(peer.local_addr().unwrap())).unwrap();
    let mut buf = [0; 16];
    let (n, from) = peer.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"reply"[..], to));

    ep.close();
    assert!(ep.sendto(b"late", Some(to)).is_err());
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    assert_eq!(trace.take(), ["lost None"]);
}

/// Reliability item 15. Sending to a closed port: the ICMP reply surfaces
/// as ConnectionRefused in error_received, once, and the endpoint keeps
/// receiving, without spinning while it waits.
#[test]
fn a_closed_port_is_an_error_received_not_the_end() {
    let mut lp = EventLoop::new().unwrap();
    let closed = UdpSocket::bind(any()).unwrap().local_addr().unwrap(); // closed again
    let trace = Trace::new();
    let ep = lp.create_datagram_endpoint(any(), Some(closed), Logger(trace.clone())).unwrap();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    ep.sendto(b"anyone?", None).unwrap();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 2).unwrap();
    assert_eq!(trace.take(), ["made", "error ConnectionRefused"]);

    // Still open, and (being connected) still able to receive from its
    // peer, which sends 300 ms later. Meanwhile the loop waits without
    // spinning on the error it has reported (CPU time of this thread, where
    // the loop runs).
    let peer = UdpSocket::bind(closed).unwrap();
    let to = ep.local_addr().unwrap();
    let _ = lp.call_later(Duration::from_millis(300), move |_| {
        // std's send_to hands back the EINTR that scripts/eintr.sh injects.
        while let Err(e) = peer.send_to(b"late", to) {
            assert_eq!(e.kind(), io::ErrorKind::Interrupted, "{e}");
        }
    });
    #[cfg(target_os = "linux")]
    let mut ticks = util::ThreadTicks::open();
    #[cfg(target_os = "linux")]
    let before = ticks.now();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    assert_eq!(trace.take(), ["got \"late\""]);
    // Spinning for the 300 ms would burn about 30 ticks (of 10 ms); an
    // idle wait burns none. The margin is wide for a loaded machine.
    #[cfg(target_os = "linux")]
    {
        let ticks = ticks.now() - before;
        assert!(ticks < 15, "{ticks} ticks of CPU while waiting: the loop spins");
    }
}

/// `EMSGSIZE` ("Message too long"): 90 on Linux, 40 on macOS and the BSDs.
#[cfg(target_os = "linux")]
const EMSGSIZE: i32 = 90;
#[cfg(not(target_os = "linux"))]
const EMSGSIZE: i32 = 40;

/// Logs errors by their OS error number, which is how `EMSGSIZE` is told
/// apart (std has no `ErrorKind` for it).
struct RawErrors(Trace);

impl DatagramProtocol for RawErrors {
    fn datagram_received(
        &mut self,
        _: &mut EventLoop,
        _: &DatagramTransport,
        data: &[u8],
        _: SocketAddr,
    ) {
        self.0.log(format!("got {} bytes", data.len()));
    }
    fn error_received(&mut self, _: &mut EventLoop, error: io::Error) {
        self.0.log(format!("error {:?}", error.raw_os_error()));
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        self.0.log(format!("lost {:?}", error.map(|e| e.kind())));
    }
}

/// Reliability item 27: a datagram larger than UDP allows reaches
/// `error_received` as `EMSGSIZE`; the endpoint stays open and the next,
/// legal, datagram goes through.
#[test]
fn an_oversize_datagram_is_reported_and_misuse_refused() {
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let ep = lp.create_datagram_endpoint(any(), None, RawErrors(trace.clone())).unwrap();
    let to = ep.local_addr().unwrap();
    assert_eq!(ep.sendto(b"x", None).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    ep.sendto(&vec![0u8; 70_000], Some(to)).unwrap();
    ep.sendto(&[1u8; 1_000], Some(to)).unwrap();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 2).unwrap();
    assert_eq!(trace.take(), [format!("error Some({EMSGSIZE})"), "got 1000 bytes".to_string()]);
    ep.abort();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    assert_eq!(trace.take(), ["lost None"]);
}

/// Sends back every datagram it gets, empty ones included.
struct Echo;

impl DatagramProtocol for Echo {
    fn datagram_received(
        &mut self,
        _: &mut EventLoop,
        t: &DatagramTransport,
        data: &[u8],
        from: SocketAddr,
    ) {
        t.sendto(data, Some(from)).unwrap();
    }
}

/// Reliability item 27: a zero-length datagram sent with `sendto(b"")`
/// goes out, is echoed back by another endpoint of the loop, and arrives
/// as a datagram of its own, in order with the others.
#[test]
fn a_zero_length_datagram_round_trips_through_sendto() {
    let mut lp = EventLoop::new().unwrap();
    let echo = lp.create_datagram_endpoint(any(), None, Echo).unwrap();
    let trace = Trace::new();
    let ep = lp
        .create_datagram_endpoint(any(), Some(echo.local_addr().unwrap()), Logger(trace.clone()))
        .unwrap();
    for msg in ["", "between", ""] {
        ep.sendto(msg.as_bytes(), None).unwrap();
    }
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 4).unwrap();
    assert_eq!(trace.take(), ["made", "got \"\"", "got \"between\"", "got \"\""]);
    ep.close();
    echo.close();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 1).unwrap();
    assert_eq!(trace.take(), ["lost None"]);
}

/// Reliability item 27: binding an address that a socket already holds
/// (one of the loop's endpoints, or a std socket) is `AddrInUse`, and the
/// endpoint that holds it keeps working.
#[test]
fn binding_a_used_address_is_addr_in_use() {
    let mut lp = EventLoop::new().unwrap();
    let trace = Trace::new();
    let ep = lp.create_datagram_endpoint(any(), None, Logger(trace.clone())).unwrap();
    let used = ep.local_addr().unwrap();
    let err = lp.create_datagram_endpoint(used, None, Logger(Trace::new())).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    let held = UdpSocket::bind(any()).unwrap();
    let err = lp
        .create_datagram_endpoint(held.local_addr().unwrap(), None, Logger(Trace::new()))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    drop(held);

    ep.sendto(b"still here", Some(used)).unwrap();
    let t = trace.clone();
    lp.run_until(move |_| t.len() == 2).unwrap();
    assert_eq!(trace.take(), ["made", "got \"still here\""]);
}
