//! Blocking-looking sockets: std::io code runs cooperatively unchanged.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream, UdpSocket};
use simul_reactor::Clock;

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A line-echo server: one green thread per connection, written with
/// `BufReader::lines` and `write_all` as if they blocked.
#[test]
fn line_echo_server_with_many_clients() {
    for clock in [Clock::real(), Clock::new_virtual()] {
        let hub = Hub::with_clock(clock).unwrap();
        let replies = hub
            .run(|| -> std::io::Result<Vec<Vec<String>>> {
                let listener = TcpListener::bind(loopback())?;
                let addr = listener.local_addr()?;
                const CLIENTS: usize = 20;
                let server = simul_green::spawn(move || -> std::io::Result<()> {
                    let mut sessions = Vec::new();
                    for _ in 0..CLIENTS {
                        let (conn, _) = listener.accept()?;
                        sessions.push(simul_green::spawn(move || -> std::io::Result<()> {
                            let mut out = conn.try_clone()?;
                            for line in BufReader::new(conn).lines() {
                                out.write_all(format!("echo {}\n", line?).as_bytes())?;
                            }
                            Ok(())
                        })?);
                    }
                    for s in sessions {
                        s.join().map_err(std::io::Error::from)??;
                    }
                    Ok(())
                })?;
                let clients: Vec<_> = (0..CLIENTS)
                    .map(|i| {
                        simul_green::spawn(move || -> std::io::Result<Vec<String>> {
                            let mut c = TcpStream::connect(addr)?;
                            for j in 0..3 {
                                c.write_all(format!("c{i} m{j}\n").as_bytes())?;
                                simul_green::sleep(Duration::from_millis(1))?;
                            }
                            c.shutdown(std::net::Shutdown::Write)?;
                            BufReader::new(c).lines().collect()
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let mut replies = Vec::new();
                for c in clients {
                    replies.push(c.join().map_err(std::io::Error::from)??);
                }
                server.join().map_err(std::io::Error::from)??;
                Ok(replies)
            })
            .unwrap()
            .unwrap();
        for (i, r) in replies.iter().enumerate() {
            assert_eq!(
                r,
                &[format!("echo c{i} m0"), format!("echo c{i} m1"), format!("echo c{i} m2")]
            );
        }
    }
}

#[test]
fn large_transfer_parks_both_sides_and_arrives_byte_exact() {
    let hub = Hub::new().unwrap();
    let ok = hub
        .run(|| -> std::io::Result<bool> {
            let listener = TcpListener::bind(loopback())?;
            let addr = listener.local_addr()?;
            let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 253) as u8).collect();
            let expected = data.clone();
            let sink = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
                let (mut conn, _) = listener.accept()?;
                let mut got = Vec::new();
                conn.read_to_end(&mut got)?;
                Ok(got)
            })?;
            let mut c = TcpStream::connect(addr)?;
            c.write_all(&data)?;
            drop(c);
            Ok(sink.join().map_err(std::io::Error::from)?? == expected)
        })
        .unwrap()
        .unwrap();
    assert!(ok);
}

#[test]
fn refused_connect_is_an_error() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        // Bind then drop: the port is (very likely) closed now.
        let addr = std::net::TcpListener::bind(loopback()).unwrap().local_addr().unwrap();
        let err = TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    })
    .unwrap();
}

#[test]
fn outside_a_hub_waiting_is_a_clear_error() {
    let listener = TcpListener::bind(loopback()).unwrap();
    let err = listener.accept().unwrap_err();
    assert!(err.to_string().contains("not inside a simul-green hub"), "{err}");
    let udp = UdpSocket::bind(loopback()).unwrap();
    let mut buf = [0u8; 8];
    assert!(udp.recv_from(&mut buf).unwrap_err().to_string().contains("not inside"));
    // What can complete at once still does.
    let other = UdpSocket::bind(loopback()).unwrap();
    assert_eq!(other.send_to(b"hi", udp.local_addr().unwrap()).unwrap(), 2);
}

#[test]
fn udp_round_trip_and_zero_length_datagram() {
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    hub.run(|| -> std::io::Result<()> {
        let server = UdpSocket::bind(loopback())?;
        let client = UdpSocket::bind(loopback())?;
        let server_addr = server.local_addr()?;
        let echo = simul_green::spawn(move || -> std::io::Result<()> {
            let mut buf = [0u8; 1500];
            for _ in 0..2 {
                let (n, from) = server.recv_from(&mut buf)?;
                server.send_to(&buf[..n], from)?;
            }
            Ok(())
        })?;
        let mut buf = [0u8; 1500];
        client.send_to(b"", server_addr)?;
        assert_eq!(client.recv_from(&mut buf)?.0, 0);
        client.send_to(b"datagram", server_addr)?;
        let (n, from) = client.recv_from(&mut buf)?;
        assert_eq!((&buf[..n], from), (&b"datagram"[..], server_addr));
        echo.join().map_err(std::io::Error::from)?
    })
    .unwrap()
    .unwrap();
}

/// `EMSGSIZE` without depending on libc in a test: 90 on Linux, 40 on
/// the BSDs and macOS.
fn emsgsize() -> i32 {
    if cfg!(target_os = "linux") { 90 } else { 40 }
}

#[test]
fn used_addresses_are_addr_in_use_and_an_oversize_datagram_is_emsgsize() {
    let hub = Hub::new().unwrap();
    hub.run(|| -> std::io::Result<()> {
        let udp = UdpSocket::bind(loopback())?;
        let to = udp.local_addr()?;
        let err = UdpSocket::bind(to).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        let tcp = TcpListener::bind(loopback())?;
        let err = TcpListener::bind(tcp.local_addr()?).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        // 70,000 bytes: over the 65,507 a UDP/IPv4 datagram can carry.
        let err = udp.send_to(&vec![0u8; 70_000], to).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(emsgsize()), "{err}");
        // Nothing was sent, and both sockets go on working.
        udp.send_to(b"after", to)?;
        let mut buf = [0u8; 16];
        let (n, from) = udp.recv_from(&mut buf)?;
        assert_eq!((&buf[..n], from), (&b"after"[..], to));
        let client = TcpStream::connect(tcp.local_addr()?)?;
        let (conn, _) = tcp.accept()?;
        assert_eq!(conn.peer_addr()?, client.local_addr()?);
        Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn empty_reads_and_writes_are_ok_zero_at_once_and_not_end_of_stream() {
    let hub = Hub::new().unwrap();
    hub.run(|| -> std::io::Result<()> {
        let listener = TcpListener::bind(loopback())?;
        let mut client = TcpStream::connect(listener.local_addr()?)?;
        let (mut conn, _) = listener.accept()?;
        let (mut pipe_r, mut pipe_w) = simul_green::net::pipe()?;
        // A thread that is runnable but has not run: any park below would
        // let it run, so it not having run shows nothing parked.
        let ran = std::rc::Rc::new(std::cell::Cell::new(false));
        let r = ran.clone();
        let witness = simul_green::spawn(move || r.set(true))?;
        // Nothing to read: still Ok(0) at once, on a stream and a pipe.
        assert_eq!(conn.read(&mut [])?, 0);
        assert_eq!(conn.write(&[])?, 0);
        assert_eq!(pipe_r.read(&mut [])?, 0);
        assert_eq!(pipe_w.write(&[])?, 0);
        // Bytes pending: an empty read takes none of them.
        client.write_all(b"abc")?;
        pipe_w.write_all(b"pq")?;
        assert_eq!(conn.read(&mut [])?, 0);
        assert_eq!(pipe_r.read(&mut [])?, 0);
        // A datagram socket has no stream to keep: an empty receive takes
        // one whole datagram (truncated to nothing) and names its sender.
        let udp = UdpSocket::bind(loopback())?;
        let to = udp.local_addr()?;
        udp.send_to(b"one", to)?;
        udp.send_to(b"two", to)?;
        assert_eq!(udp.recv_from(&mut [])?, (0, to));
        assert!(!ran.get(), "an empty read or write parked");
        let mut buf = [0u8; 8];
        let (n, _) = udp.recv_from(&mut buf)?;
        assert_eq!(&buf[..n], b"two");
        let mut three = [0u8; 3];
        conn.read_exact(&mut three)?;
        assert_eq!(&three, b"abc");
        let mut two = [0u8; 2];
        pipe_r.read_exact(&mut two)?;
        assert_eq!(&two, b"pq");
        // An empty write sent nothing: the peer gets exactly the bytes
        // around it, then the real end of stream.
        assert_eq!(conn.write(&[])?, 0);
        conn.write_all(b"xy")?;
        assert_eq!(conn.write(&[])?, 0);
        drop(conn);
        let mut got = Vec::new();
        client.read_to_end(&mut got)?;
        assert_eq!(got, b"xy");
        drop(pipe_w);
        assert_eq!(pipe_r.read(&mut [0u8; 1])?, 0, "the pipe's real end");
        witness.join().map_err(std::io::Error::from)?;
        Ok(())
    })
    .unwrap()
    .unwrap();
}
