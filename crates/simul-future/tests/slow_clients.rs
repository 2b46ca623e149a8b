//! Reliability item 21: slow clients. An echo server reads with a
//! timeout; clients that send one byte every few seconds are closed when
//! the timeout runs out, while normal clients beside them get every byte
//! back and are never cut off. On the virtual clock the close comes at
//! exactly the timeout after the slow client's last byte.

use std::net::SocketAddr;
use std::time::Duration;

use simul_future::{
    AsyncReadExt, AsyncWriteExt, Elapsed, JoinSet, Runtime, TcpListener, TcpStream, now, sleep,
    spawn, timeout,
};
use simul_reactor::Clock;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// The server's read timeout.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a slow client sends its byte: longer than the timeout.
const SLOW_GAP: Duration = Duration::from_secs(3);

/// (slow clients, normal clients): CI size, or `SIMUL_FULL=1`.
fn sizes() -> (usize, usize) {
    if std::env::var_os("SIMUL_FULL").is_some() { (1000, 100) } else { (20, 10) }
}

/// How a connection ended, as the server saw it.
#[derive(Debug, PartialEq)]
enum Served {
    /// The client was silent for `READ_TIMEOUT`; the server closed it.
    TimedOut,
    /// The client closed after this many echoed bytes.
    Finished(usize),
}

/// Echoes until end of stream or until a read waits longer than the timeout.
async fn serve(mut conn: TcpStream) -> std::io::Result<Served> {
    conn.set_nodelay(true)?;
    let mut buf = [0u8; 1024];
    let mut total = 0;
    loop {
        match timeout(READ_TIMEOUT, conn.read(&mut buf)).await {
            Err(Elapsed) => return Ok(Served::TimedOut), // dropping conn closes it
            Ok(n) => match n? {
                0 => return Ok(Served::Finished(total)),
                n => {
                    conn.write_all(&buf[..n]).await?;
                    total += n;
                }
            },
        }
    }
}

/// Sends one byte, gets it back, then waits longer than the server's
/// timeout before the next; returns how long after its last byte the
/// server closed the connection.
async fn slow_client(addr: SocketAddr) -> std::io::Result<Duration> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.set_nodelay(true)?;
    loop {
        conn.write_all(b"s").await?;
        let sent = now();
        let mut back = [0u8; 1];
        conn.read_exact(&mut back).await?;
        assert_eq!(&back, b"s");
        match timeout(SLOW_GAP, conn.read(&mut back)).await {
            Ok(n) => {
                assert_eq!(n?, 0, "the server sent more than the echo");
                return Ok(now() - sent);
            }
            Err(_) => continue, // not closed yet: the next slow byte
        }
    }
}

/// Twenty round trips a tenth of a second apart, every byte checked.
async fn normal_client(addr: SocketAddr, seed: u8) -> std::io::Result<()> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.set_nodelay(true)?;
    for round in 0..20u8 {
        let msg: Vec<u8> = (0..64).map(|i| seed ^ round ^ i).collect();
        conn.write_all(&msg).await?;
        let mut back = vec![0u8; msg.len()];
        conn.read_exact(&mut back).await?;
        assert_eq!(back, msg, "client {seed} round {round}");
        sleep(Duration::from_millis(100)).await;
    }
    conn.shutdown()?;
    let mut rest = [0u8; 1];
    assert_eq!(conn.read(&mut rest).await?, 0);
    Ok(())
}

#[test]
fn slow_clients_are_closed_by_the_read_timeout_and_normal_ones_are_not() {
    let fds = FdSnapshot::take();
    let (slow, normal) = sizes();
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let (served, closes) = rt
        .block_on(async move {
            let start = now();
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
            let addr = listener.local_addr()?;
            let server = spawn(async move {
                let mut conns = JoinSet::new();
                for _ in 0..slow + normal {
                    let (conn, _) = listener.accept().await?;
                    conns.spawn(serve(conn));
                }
                let mut served = Vec::new();
                while let Some(r) = conns.join_next().await {
                    served.push(r.unwrap()?);
                }
                Ok::<_, std::io::Error>(served)
            });
            let slow_clients: Vec<_> = (0..slow).map(|_| spawn(slow_client(addr))).collect();
            let normal_clients: Vec<_> =
                (0..normal).map(|i| spawn(normal_client(addr, i as u8))).collect();
            let mut closes = Vec::new();
            for c in slow_clients {
                closes.push(c.await.unwrap()?);
            }
            for c in normal_clients {
                c.await.unwrap()?;
            }
            let served = server.await.unwrap()?;
            // Everything overlapped: the whole run takes the normal
            // clients' two seconds plus at most one timeout, not a
            // timeout per slow client.
            assert!(now() - start <= Duration::from_secs(5), "took {:?}", now() - start);
            Ok::<_, std::io::Error>((served, closes))
        })
        .unwrap()
        .unwrap();
    let timed_out = served.iter().filter(|s| **s == Served::TimedOut).count();
    let finished: Vec<_> = served
        .iter()
        .filter_map(|s| if let Served::Finished(n) = s { Some(*n) } else { None })
        .collect();
    assert_eq!(timed_out, slow, "{served:?}");
    // Slow clients that were closed never finish; normal ones all do,
    // with their 20 × 64 bytes each.
    assert_eq!(finished.len(), normal);
    assert!(finished.iter().all(|&n| n == 20 * 64), "{finished:?}");
    // Every slow client was closed exactly one timeout after its byte.
    assert!(closes.iter().all(|&d| d == READ_TIMEOUT), "{closes:?}");
    drop(rt);
    assert_no_leaks(&fds);
}
