//! UdpSocket: datagrams on loopback, waiting for one, connected sockets,
//! zero-length and truncated datagrams, a closed peer port.

mod util;

use std::io::ErrorKind;
use std::time::Duration;

use simul_future::{Runtime, UdpSocket, join, sleep, spawn, timeout, yield_now};
use simul_testkit::cpu::thread_cpu_ticks;

fn any_port() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn recv_from_waits_for_a_datagram_that_comes_later() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let server = UdpSocket::bind(any_port())?;
        let client = UdpSocket::bind(any_port())?;
        let to = server.local_addr()?;
        let sender = async {
            sleep(Duration::from_millis(20)).await;
            for i in 0..3u8 {
                client.send_to(&[i; 10], to).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        let receiver = async {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            for _ in 0..3 {
                let (n, from) = server.recv_from(&mut buf).await?;
                got.push((buf[..n].to_vec(), from));
            }
            Ok::<_, std::io::Error>(got)
        };
        let (sent, got) = join(sender, receiver).await;
        sent?;
        let got = got?;
        let from = client.local_addr()?;
        assert_eq!(got, (0..3u8).map(|i| (vec![i; 10], from)).collect::<Vec<_>>());
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn connected_sockets_send_and_recv_and_keep_datagram_boundaries() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let a = UdpSocket::bind(any_port())?;
        let b = UdpSocket::bind(any_port())?;
        a.connect(b.local_addr()?)?;
        b.connect(a.local_addr()?)?;
        assert_eq!(a.send(b"").await?, 0);
        assert_eq!(a.send(b"abcdef").await?, 6);
        let mut buf = [0u8; 4];
        assert_eq!(b.recv(&mut buf).await?, 0, "a zero-length datagram round-trips");
        assert_eq!(b.recv(&mut buf).await?, 4, "a long datagram is cut to the buffer");
        assert_eq!(&buf, b"abcd");
        b.send(b"back").await?;
        let n = a.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"back");
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn receiving_into_an_empty_buffer_waits_for_a_datagram_and_takes_it() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let a = UdpSocket::bind(any_port())?;
        let b = UdpSocket::bind(any_port())?;
        // A datagram socket has no end of stream: with nothing queued, an
        // empty receive waits like any other.
        assert!(util::poll_once(&mut b.recv_from(&mut [])).is_pending());
        let sender = async {
            sleep(Duration::from_millis(5)).await;
            a.send_to(b"cut", b.local_addr()?).await?;
            a.send_to(b"whole", b.local_addr()?).await
        };
        let receiver = async {
            let first = b.recv_from(&mut []).await?;
            let mut buf = [0u8; 16];
            let (n, from) = b.recv_from(&mut buf).await?;
            Ok::<_, std::io::Error>((first, buf[..n].to_vec(), from))
        };
        let (sent, got) = join(sender, receiver).await;
        sent?;
        let (first, second, from) = got?;
        let me = a.local_addr()?;
        // The empty buffer took the first datagram whole (its bytes
        // discarded, as for any short buffer) and named its sender.
        assert_eq!(first, (0, me));
        assert_eq!((second.as_slice(), from), (&b"whole"[..], me));
        // Connected, the same with recv.
        b.connect(me)?;
        a.send_to(b"again", b.local_addr()?).await?;
        assert_eq!(b.recv(&mut []).await?, 0);
        assert!(util::poll_once(&mut b.recv(&mut [0u8; 8])).is_pending(), "it was taken");
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_closed_peer_port_is_an_error_and_the_socket_keeps_working() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let closed = UdpSocket::bind(any_port())?.local_addr()?; // bound, then dropped
        let a = UdpSocket::bind(any_port())?;
        a.connect(closed)?;
        a.send(b"anyone?").await?;
        let mut buf = [0u8; 8];
        // Linux reports the ICMP port-unreachable on the next call; other
        // systems may stay silent, so allow a timeout too.
        match timeout(Duration::from_millis(200), a.recv(&mut buf)).await {
            Ok(Err(e)) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused),
            Ok(Ok(n)) => panic!("nobody could have answered, got {n} bytes"),
            Err(_) => {}
        }
        let b = UdpSocket::bind(any_port())?;
        a.connect(b.local_addr()?)?;
        b.connect(a.local_addr()?)?;
        b.send(b"here").await?;
        let n = timeout(Duration::from_secs(5), a.recv(&mut buf)).await.expect("no stall")?;
        assert_eq!(&buf[..n], b"here");
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

/// Item 15: after the ICMP "port unreachable" has come back as
/// `ConnectionRefused`, the socket keeps waiting, idle, for a datagram
/// that comes a third of a second later (from a peer bound again on the
/// port that was closed). Spinning on the error for 300 ms would burn
/// about 30 ticks of CPU (of 10 ms) on the runtime's thread; waiting
/// burns none. The bound is half that, for a loaded machine.
#[test]
fn after_connection_refused_a_late_datagram_is_awaited_without_spinning() {
    let mut rt = Runtime::new().unwrap();
    let (refused, ticks, got) = rt
        .block_on(async {
            let closed = UdpSocket::bind(any_port())?.local_addr()?; // bound, then dropped
            let a = UdpSocket::bind(any_port())?;
            let me = a.local_addr()?;
            a.connect(closed)?;
            a.send(b"anyone?").await?;
            let before = thread_cpu_ticks();
            let late_peer = async {
                sleep(Duration::from_millis(300)).await;
                let back = UdpSocket::bind(closed)?; // the peer comes back
                back.send_to(b"late datagram", me).await
            };
            let receiver = async {
                let mut refused = 0;
                let mut buf = [0u8; 64];
                loop {
                    match a.recv(&mut buf).await {
                        Ok(n) => return Ok((refused, buf[..n].to_vec())),
                        // The error received, not the end of the socket.
                        Err(e) if e.kind() == ErrorKind::ConnectionRefused => refused += 1,
                        Err(e) => return Err(e),
                    }
                }
            };
            let (sent, received) = join(late_peer, receiver).await;
            sent?;
            let (refused, got) = received?;
            let ticks = before.zip(thread_cpu_ticks()).map(|(b, a)| a - b);
            Ok::<_, std::io::Error>((refused, ticks, got))
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, b"late datagram");
    // Linux reports the port unreachable once; other systems may not.
    if cfg!(target_os = "linux") {
        assert_eq!(refused, 1, "ConnectionRefused reported {refused} times");
    }
    if let Some(ticks) = ticks {
        assert!(ticks < 15, "{ticks} ticks of CPU while waiting: the receiver spins");
    }
}

/// Item 4 (spurious readiness): two tasks receive on one socket. The
/// first datagram makes it readable for both; one takes it, the other's
/// receive finds nothing (`WouldBlock` inside) and must go back to
/// waiting: not lose its wake-up (stall), not retry in a loop (spin).
/// It gets the next datagram, sent a tenth of a second later; the
/// runtime's thread stays nearly idle meanwhile.
#[test]
fn two_receivers_on_one_socket_the_loser_waits_for_the_next_datagram() {
    let mut rt = Runtime::new().unwrap();
    let (mut got, ticks) = rt
        .block_on(async {
            let sock = std::rc::Rc::new(UdpSocket::bind(any_port())?);
            let to = sock.local_addr()?;
            let receiver = |name: &'static str| {
                let sock = sock.clone();
                spawn(async move {
                    let mut buf = [0u8; 16];
                    let (n, _) = sock.recv_from(&mut buf).await?;
                    Ok::<_, std::io::Error>((name, buf[..n].to_vec()))
                })
            };
            let (r1, r2) = (receiver("r1"), receiver("r2"));
            yield_now().await; // both wait on the socket now
            let sender = UdpSocket::bind(any_port())?;
            sender.send_to(b"first", to).await?;
            // Whichever task won, the other is back to waiting.
            let mut first = None;
            while first.is_none() {
                yield_now().await;
                first = [&r1, &r2].iter().position(|h| h.is_finished());
            }
            let before = thread_cpu_ticks();
            sleep(Duration::from_millis(100)).await;
            assert!(!(r1.is_finished() && r2.is_finished()), "one datagram, two receives");
            sender.send_to(b"second", to).await?;
            let both = timeout(Duration::from_secs(20), async {
                let a = r1.await.unwrap()?;
                let b = r2.await.unwrap()?;
                Ok::<_, std::io::Error>(vec![a, b])
            })
            .await
            .expect("the losing receiver stalled: its wake-up was lost")?;
            let ticks = before.zip(thread_cpu_ticks()).map(|(b, a)| a - b);
            Ok::<_, std::io::Error>((both, ticks))
        })
        .unwrap()
        .unwrap();
    got.sort_by(|a, b| a.1.cmp(&b.1));
    let datagrams: Vec<&[u8]> = got.iter().map(|(_, d)| d.as_slice()).collect();
    assert_eq!(datagrams, [&b"first"[..], &b"second"[..]]);
    assert_ne!(got[0].0, got[1].0, "one datagram each");
    // Spinning for the 100 ms would burn about 10 ticks of 10 ms.
    if let Some(ticks) = ticks {
        assert!(ticks < 5, "{ticks} ticks of CPU while the loser waited: it spins");
    }
}

#[test]
fn binding_a_used_port_is_addr_in_use_and_an_oversize_datagram_fails() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let a = UdpSocket::bind(any_port())?;
        let err = UdpSocket::bind(a.local_addr()?).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let huge = vec![0u8; 70_000];
        let err = a.send_to(&huge, a.local_addr()?).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc_emsgsize()));
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

/// `EMSGSIZE` without depending on libc in a test: 90 on Linux, 40 on
/// the BSDs and macOS.
fn libc_emsgsize() -> i32 {
    if cfg!(target_os = "linux") { 90 } else { 40 }
}

#[test]
fn sockets_outside_a_runtime_are_refused() {
    let err = UdpSocket::bind(any_port()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
}
