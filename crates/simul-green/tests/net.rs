//! Blocking-looking sockets: std::io code runs cooperatively unchanged.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream, UdpSocket};
use simul_reactor::Clock;
use simul_testkit::cpu::thread_cpu_ticks;

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

#[test]
fn two_receivers_on_one_udp_socket_the_loser_parks_again_for_the_next_datagram() {
    use simul_green::{Event, GreenId, TraceEvent, Wait};
    use std::cell::RefCell;
    use std::rc::Rc;
    // Every park on a descriptor, by thread.
    let parks = Rc::new(RefCell::new(Vec::<GreenId>::new()));
    let p = parks.clone();
    let hub = Hub::builder()
        .trace(move |e| {
            if let TraceEvent::Park { id, wait: Wait::Io { .. } } = e {
                p.borrow_mut().push(*id);
            }
        })
        .build()
        .unwrap();
    let parks_of = |id: GreenId| parks.borrow().iter().filter(|&&p| p == id).count();
    let (mut got, ticks) = hub
        .run(|| -> std::io::Result<_> {
            let sock = Rc::new(UdpSocket::bind(loopback())?);
            let to = sock.local_addr()?;
            let one_done = Event::new();
            let receiver = |name: &'static str| {
                let (sock, one_done) = (sock.clone(), one_done.clone());
                simul_green::spawn(move || -> std::io::Result<(&str, Vec<u8>)> {
                    let mut buf = [0u8; 16];
                    let (n, _) = sock.recv_from(&mut buf)?;
                    one_done.set();
                    Ok((name, buf[..n].to_vec()))
                })
            };
            let (r1, r2) = (receiver("r1")?, receiver("r2")?);
            simul_green::yield_now()?; // both park on the socket
            assert_eq!((parks_of(r1.id()), parks_of(r2.id())), (1, 1));
            let sender = UdpSocket::bind(loopback())?;
            sender.send_to(b"first", to)?;
            // One event wakes both; the first to run takes the datagram,
            // the other meets `WouldBlock` inside recv_from and parks again.
            one_done.wait().map_err(std::io::Error::from)?;
            let (winner, loser) = match (r1.is_finished(), r2.is_finished()) {
                (true, false) => (r1, r2),
                (false, true) => (r2, r1),
                both => panic!("one datagram, finished: {both:?}"),
            };
            assert_eq!((parks_of(winner.id()), parks_of(loser.id())), (1, 2));
            one_done.clear();
            // The loser waits without spinning. A watchdog turns a lost
            // wake-up into a failure instead of a hang.
            let wake = one_done.clone();
            let _watchdog = simul_green::spawn(move || {
                let _ = simul_green::sleep(Duration::from_secs(30));
                wake.set();
            })?;
            let before = thread_cpu_ticks();
            simul_green::sleep(Duration::from_millis(200))?;
            let ticks = before.zip(thread_cpu_ticks()).map(|(b, a)| a - b);
            assert!(!loser.is_finished());
            assert_eq!(parks_of(loser.id()), 2, "the loser woke while nothing came");
            sender.send_to(b"second", to)?;
            one_done.wait().map_err(std::io::Error::from)?;
            assert!(loser.is_finished(), "the loser stalled: its wake-up was lost");
            assert_eq!(parks_of(loser.id()), 2);
            let a = winner.join().map_err(std::io::Error::from)??;
            let b = loser.join().map_err(std::io::Error::from)??;
            Ok((vec![a, b], ticks))
        })
        .unwrap()
        .unwrap();
    got.sort_by(|a, b| a.1.cmp(&b.1));
    let datagrams: Vec<&[u8]> = got.iter().map(|(_, d)| d.as_slice()).collect();
    assert_eq!(datagrams, [&b"first"[..], &b"second"[..]]);
    assert_ne!(got[0].0, got[1].0, "one datagram each");
    // Spinning for the 200 ms would burn about 20 ticks of 10 ms; the
    // bound is wide for a loaded machine.
    if let Some(ticks) = ticks {
        assert!(ticks < 10, "{ticks} ticks of CPU while the loser waited: it spins");
    }
}
