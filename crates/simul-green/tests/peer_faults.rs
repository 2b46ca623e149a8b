//! Reliability items 12, 13 and 15 for green threads: a peer that resets,
//! writes after the peer closed, half-close, and UDP to a closed port.
//! Errors come back from the blocking-looking sockets as `io::Error`s, no
//! `SIGPIPE` is raised, end of stream stays end of stream, and a UDP
//! socket keeps receiving (without spinning) after an ICMP error.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream, UdpSocket};
use simul_reactor::{Signal, Signals};
use simul_testkit::cpu::process_cpu_ticks;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Held by every test here: the SIGPIPE listener is process-wide, and the
/// descriptor counts must not see another test's sockets.
static SERIAL: Mutex<()> = Mutex::new(());

/// A connected pair inside the hub: (client, server side).
fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind(loopback())?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

#[test]
fn resets_and_writes_after_close_are_errors_and_raise_no_sigpipe() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    let sigpipe = Signals::new(&[Signal::PIPE]).unwrap();
    let hub = Hub::new().unwrap();
    hub.run(|| -> std::io::Result<()> {
        // Closing with unread data sends RST instead of FIN.
        let (mut client, server) = pair()?;
        client.write_all(b"never read by the server")?;
        simul_green::sleep(Duration::from_millis(10))?; // the bytes reach the server
        drop(server);
        let err = client.read(&mut [0u8; 64]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        let err = client.write_all(b"anyone?").unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));

        // An ordinary close (FIN): end of stream, then writes start failing
        // once the peer's kernel has answered one with RST.
        let (mut client, server) = pair()?;
        drop(server);
        assert_eq!(client.read(&mut [0u8; 8])?, 0, "end of stream first");
        let mut failure = None;
        for _ in 0..2_000 {
            match client.write_all(b"are you there?") {
                Ok(()) => simul_green::sleep(Duration::from_millis(1))?,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let err = failure.expect("writes to a closed peer must start failing");
        assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err}");
        let again = client.write_all(b"really?").unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));
        Ok(())
    })
    .unwrap()
    .unwrap();
    drop(hub);
    assert_eq!(sigpipe.pending().unwrap(), [], "a write raised SIGPIPE");
    // The listener works: a SIGPIPE raised on purpose is seen.
    Signal::PIPE.raise().unwrap();
    assert_eq!(sigpipe.pending().unwrap(), [Signal::PIPE]);
    drop(sigpipe);
    assert_no_leaks(&fds);
}

#[test]
fn after_the_peers_half_close_eof_stays_eof_and_writing_back_works() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    let hub = Hub::new().unwrap();
    let reply = hub
        .run(|| -> std::io::Result<Vec<u8>> {
            let listener = TcpListener::bind(loopback())?;
            let addr = listener.local_addr()?;
            let server = simul_green::spawn(move || -> std::io::Result<()> {
                let (mut conn, _) = listener.accept()?;
                let mut request = Vec::new();
                conn.read_to_end(&mut request)?; // up to the client's FIN
                assert_eq!(request, b"question");
                // End of stream stays end of stream, however often asked.
                for _ in 0..3 {
                    assert_eq!(conn.read(&mut [0u8; 16])?, 0);
                }
                // The other direction still works: a reply larger than
                // one segment, so it needs more than one write.
                let reply: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
                conn.write_all(&reply)?;
                Ok(())
            })?;
            let mut client = TcpStream::connect(addr)?;
            client.write_all(b"question")?;
            client.shutdown(Shutdown::Write)?;
            let mut reply = Vec::new();
            client.read_to_end(&mut reply)?;
            server.join().map_err(std::io::Error::from)??;
            Ok(reply)
        })
        .unwrap()
        .unwrap();
    assert_eq!(reply.len(), 200_000);
    assert!(reply.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8), "reply corrupted");
    drop(hub);
    assert_no_leaks(&fds);
}

#[test]
fn udp_to_a_closed_port_does_not_stop_receiving_or_spin() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    let hub = Hub::new().unwrap();
    let (got, ticks) = hub
        .run(|| -> std::io::Result<(Vec<u8>, u64)> {
            let sock = UdpSocket::bind(loopback())?;
            // A port that was just bound and closed: nobody listens there,
            // so the kernel answers with ICMP port unreachable.
            let closed = UdpSocket::bind(loopback())?.local_addr()?;
            for _ in 0..10 {
                sock.send_to(b"hello?", closed)?;
            }
            let me = sock.local_addr()?;
            let sender = simul_green::spawn(move || -> std::io::Result<()> {
                // Sent a third of a second later, from another socket: the
                // receiver waits meanwhile, and must do so idle.
                simul_green::sleep(Duration::from_millis(300))?;
                UdpSocket::bind(loopback())?.send_to(b"real datagram", me)?;
                Ok(())
            })?;
            let before = process_cpu_ticks().unwrap();
            let mut buf = [0u8; 64];
            let n = loop {
                match sock.recv_from(&mut buf) {
                    Ok((n, _)) => break n,
                    // Linux may report the ICMP error on this socket once;
                    // it is an error received, not the end of the socket.
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
                    Err(e) => return Err(e),
                }
            };
            let ticks = process_cpu_ticks().unwrap() - before;
            sender.join().map_err(std::io::Error::from)??;
            Ok((buf[..n].to_vec(), ticks))
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, b"real datagram");
    // A receiver spinning on the error for 300 ms would burn about 30
    // ticks (of 10 ms); an idle one burns none. The margin is wide for a
    // loaded machine.
    assert!(ticks < 15, "{ticks} ticks of CPU while waiting: the receiver spins");
    drop(hub);
    assert_no_leaks(&fds);
}
