//! TCP over loopback: echo with many connections and large transfers,
//! half-close, refused connects, sockets outside a runtime.

mod util;

use std::io::ErrorKind;
use std::net::SocketAddr;

use simul_future::{
    AsyncReadExt, AsyncWriteExt, JoinSet, Runtime, TcpListener, TcpStream, join, spawn,
};

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Echoes until end of stream, then closes its writing half.
async fn echo(mut conn: TcpStream) -> std::io::Result<u64> {
    // Without this, small echoed writes meet delayed ACKs (40 ms each).
    conn.set_nodelay(true)?;
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            conn.shutdown()?;
            return Ok(total);
        }
        conn.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

/// Sends `len` patterned bytes, reads them all back concurrently, checks them.
async fn client(addr: SocketAddr, len: usize, seed: u8) -> std::io::Result<()> {
    let conn = TcpStream::connect(addr).await?;
    conn.set_nodelay(true)?;
    let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)).collect();
    // One stream, two halves used by two futures in turn: split by
    // interleaving writes and reads in one loop to avoid deadlocking on
    // full buffers.
    let mut conn = conn;
    let mut back = vec![0u8; len];
    let (mut sent, mut got) = (0, 0);
    while got < len {
        if sent < len {
            let end = (sent + 16 * 1024).min(len);
            conn.write_all(&data[sent..end]).await?;
            sent = end;
            if sent == len {
                conn.shutdown()?;
            }
        }
        while got < sent {
            let n = conn.read(&mut back[got..sent]).await?;
            assert_ne!(n, 0, "early end of stream");
            got += n;
        }
    }
    let mut rest = [0u8; 1];
    assert_eq!(conn.read(&mut rest).await?, 0);
    assert!(back == data, "echoed bytes differ");
    Ok(())
}

#[test]
fn echo_many_connections_every_byte_back() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind(any_port())?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            let mut conns = JoinSet::new();
            for _ in 0..20 {
                let (conn, _) = listener.accept().await?;
                conns.spawn(echo(conn));
            }
            let mut total = 0;
            while let Some(r) = conns.join_next().await {
                total += r.unwrap()?;
            }
            Ok::<_, std::io::Error>(total)
        });
        let mut clients = JoinSet::new();
        for i in 0..20u8 {
            clients.spawn(client(addr, 50_000 + usize::from(i) * 1000, i));
        }
        while let Some(r) = clients.join_next().await {
            r.unwrap()?;
        }
        let total = server.await.unwrap()?;
        assert_eq!(total, (0..20u64).map(|i| 50_000 + i * 1000).sum::<u64>());
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn four_mib_through_one_connection() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind(any_port())?;
        let addr = listener.local_addr()?;
        let server = spawn(async move { echo(listener.accept().await?.0).await });
        client(addr, 4 << 20, 3).await?;
        assert_eq!(server.await.unwrap()?, 4 << 20);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn half_close_keeps_eof_and_the_other_direction_works() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind(any_port())?;
        let (client, accepted) =
            join(TcpStream::connect(listener.local_addr()?), listener.accept()).await;
        let (mut client, (mut server, _)) = (client?, accepted?);
        client.write_all(b"bye").await?;
        client.shutdown()?;
        let mut buf = [0u8; 8];
        let mut got = Vec::new();
        loop {
            let n = server.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"bye");
        assert_eq!(server.read(&mut buf).await?, 0, "EOF stays EOF");
        server.write_all(b"still here").await?;
        let mut back = [0u8; 10];
        client.read_exact(&mut back).await?;
        assert_eq!(&back, b"still here");
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let mut rt = Runtime::new().unwrap();
    let addr = {
        // Bind then drop, so the port is (almost certainly) closed.
        let l = std::net::TcpListener::bind(any_port()).unwrap();
        l.local_addr().unwrap()
    };
    for _ in 0..100 {
        let err = rt.block_on(TcpStream::connect(addr)).unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    }
}

#[test]
fn read_exact_reports_an_early_end() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind(any_port())?;
        let (client, accepted) =
            join(TcpStream::connect(listener.local_addr()?), listener.accept()).await;
        let (mut client, (server, _)) = (client?, accepted?);
        client.write_all(b"abc").await?;
        drop(client);
        let mut server = server;
        let mut buf = [0u8; 10];
        let err = server.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        Ok::<(), std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn sockets_need_a_runtime() {
    let err = TcpListener::bind(any_port()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
}

#[test]
fn a_socket_outliving_its_runtime_fails_cleanly() {
    let mut rt = Runtime::new().unwrap();
    let listener = rt.block_on(async { TcpListener::bind(any_port()) }).unwrap().unwrap();
    drop(rt);
    let mut rt2 = Runtime::new().unwrap();
    let err = rt2.block_on(async { listener.accept().await.map(|_| ()) }).unwrap().unwrap_err();
    assert!(err.to_string().contains("dropped"), "{err}");
}

#[test]
fn empty_reads_and_writes_are_ok_zero_at_once_even_with_nothing_to_read() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind(any_port())?;
        let addr = listener.local_addr()?;
        let (client, accepted) = join(TcpStream::connect(addr), listener.accept()).await;
        let (mut client, (mut server, _)) = (client?, accepted?);
        util::empty_buffers_are_no_ops(&mut client, &mut server).await?;
        util::empty_buffers_are_no_ops(&mut server, &mut client).await?;
        // Real end of stream is still told apart: 0 from a non-empty read.
        client.shutdown()?;
        assert_eq!(server.read(&mut [0u8; 8]).await?, 0);
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

/// Two tasks accepting on one listener (shared through an `Rc`): each
/// connection wakes both, one accepts it, the other finds nothing and
/// waits again, and gets the next connection. (Regression: the second
/// task to wait replaced the first one's waker, which then slept forever.)
#[test]
fn two_acceptors_on_one_listener_each_get_a_connection() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = std::rc::Rc::new(TcpListener::bind(any_port())?);
        let addr = listener.local_addr()?;
        let acceptor = || {
            let listener = listener.clone();
            spawn(async move { listener.accept().await.map(|(_, peer)| peer) })
        };
        let (a1, a2) = (acceptor(), acceptor());
        simul_future::yield_now().await; // both wait on the listener now
        let c1 = TcpStream::connect(addr).await?;
        let c2 = TcpStream::connect(addr).await?;
        let both = simul_future::timeout(std::time::Duration::from_secs(20), async {
            Ok::<_, std::io::Error>([a1.await.unwrap()?, a2.await.unwrap()?])
        })
        .await
        .expect("an acceptor stalled: its wake-up was lost")?;
        let mut peers = both.to_vec();
        peers.sort();
        let mut expected = vec![c1.local_addr()?, c2.local_addr()?];
        expected.sort();
        assert_eq!(peers, expected);
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}
