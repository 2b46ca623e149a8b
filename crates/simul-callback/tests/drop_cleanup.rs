//! Dropping a loop with live connections, servers, UDP endpoints and
//! timers frees everything, even protocols that hold their own transport
//! (a reference cycle the loop must break).

mod util;

use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{DatagramProtocol, DatagramTransport, EventLoop, Protocol, Transport};

struct Holder {
    marker: Rc<()>,
    transport: Option<Transport>,
}

impl Protocol for Holder {
    fn connection_made(&mut self, lp: &mut EventLoop, t: &Transport) {
        self.transport = Some(t.clone()); // protocol -> transport -> protocol
        let t = t.clone();
        let m = self.marker.clone();
        let _ = lp.call_later(Duration::from_secs(3600), move |_| drop((t, m)));
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, _: &[u8]) {}
}

/// Holds the marker (counted by the test) and its own transport.
struct UdpHolder(#[allow(dead_code)] Rc<()>, Option<DatagramTransport>);

impl DatagramProtocol for UdpHolder {
    fn connection_made(&mut self, _: &mut EventLoop, t: &DatagramTransport) {
        self.1 = Some(t.clone());
    }
    fn datagram_received(
        &mut self,
        _: &mut EventLoop,
        _: &DatagramTransport,
        _: &[u8],
        _: SocketAddr,
    ) {
    }
}

#[test]
fn dropping_the_loop_frees_every_protocol_and_transport() {
    let marker = Rc::new(());
    let mut lp = EventLoop::new().unwrap();
    let m = marker.clone();
    let server = lp
        .create_server("127.0.0.1:0", move || {
            Box::new(Holder { marker: m.clone(), transport: None })
        })
        .unwrap();
    let clients: Vec<_> =
        (0..10).map(|_| TcpStream::connect(server.local_addr()).unwrap()).collect();
    lp.create_connection(server.local_addr(), Holder { marker: marker.clone(), transport: None })
        .unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    lp.create_datagram_endpoint(any, None, UdpHolder(marker.clone(), None)).unwrap();
    // 10 accepted + 1 accepted for our own client + our client + UDP.
    let m = marker.clone();
    lp.run_until(move |_| Rc::strong_count(&m) >= 1 + 12 + 1 + 10).unwrap();
    drop(server);
    drop(lp);
    assert_eq!(Rc::strong_count(&marker), 1, "everything the loop held was dropped");
    drop(clients);
}
