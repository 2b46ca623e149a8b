//! A short TCP read ends the wait for readiness (no extra read that would
//! return `WouldBlock`), and no edge is lost by it: bytes trickling in
//! among reads of every size arrive byte-exact, ping-pong never stalls,
//! end-of-stream queued behind a short read is still seen, and a *full*
//! read (which says nothing) leaves the rest readable.
//!
//! A lost edge shows up as a stall; every test is bounded by a generous
//! timeout (on the runtime, and a read timeout on the blocking peer), so a
//! stall fails instead of hanging.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::thread;
use std::time::Duration;

use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream, timeout};

/// Far longer than any of these exchanges takes on a loaded machine.
const LIMIT: Duration = Duration::from_secs(20);

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add((i >> 8) as u8)).collect()
}

/// A blocking peer that cannot hang the test.
fn connect(addr: SocketAddr) -> StdStream {
    let s = StdStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s
}

/// Reads to end of stream, or until `until` bytes arrived, with a buffer
/// whose size cycles through `sizes`, so reads are short, exact and
/// partial in turn.
async fn read_all_varying(
    conn: &mut TcpStream,
    sizes: &[usize],
    until: usize,
) -> std::io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; *sizes.iter().max().unwrap()];
    for round in 0.. {
        if got.len() >= until {
            break;
        }
        let size = sizes[round % sizes.len()];
        let n = conn.read(&mut buf[..size]).await?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(got)
}

#[test]
fn trickled_bytes_arrive_exact_through_reads_of_every_size() {
    const LEN: usize = 96 * 1024;
    let mut rt = Runtime::new().unwrap();
    let got = rt
        .block_on(async {
            let listener = TcpListener::bind(any_port())?;
            let addr = listener.local_addr()?;
            let writer = thread::spawn(move || {
                let mut s = connect(addr);
                let data = pattern(LEN);
                let (mut at, mut step) = (0, 0);
                while at < LEN {
                    // 1 to 97 bytes per write, with pauses, so arrivals
                    // land both while the reader reads and while it waits.
                    let end = (at + 1 + step % 97).min(LEN);
                    s.write_all(&data[at..end]).unwrap();
                    at = end;
                    step += 1;
                    if step % 64 == 0 {
                        thread::sleep(Duration::from_micros(200));
                    } else {
                        thread::yield_now();
                    }
                }
                // Stay open (no FIN, whose edge would rescue a reader that
                // gave up too early) until the reader has everything.
                let mut rest = [0u8; 1];
                let _ = s.read(&mut rest);
            });
            let (mut conn, _) = listener.accept().await?;
            let sizes = [1, 5, 13, 64, 4096, 3];
            let got = timeout(LIMIT, read_all_varying(&mut conn, &sizes, LEN)).await;
            drop(conn);
            writer.join().unwrap();
            got.map_err(|_| std::io::Error::new(ErrorKind::TimedOut, "reader stalled"))?
        })
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), LEN);
    assert!(got == pattern(LEN), "bytes differ");
}

#[test]
fn ping_pong_with_short_reads_never_stalls() {
    const ROUNDS: usize = 3000;
    let mut rt = Runtime::new().unwrap();
    let echoed = rt
        .block_on(async {
            let listener = TcpListener::bind(any_port())?;
            let addr = listener.local_addr()?;
            let peer = thread::spawn(move || {
                let mut s = connect(addr);
                let data = pattern(200);
                let mut back = [0u8; 200];
                for i in 0..ROUNDS {
                    let len = 1 + i % 199;
                    s.write_all(&data[..len]).unwrap();
                    s.read_exact(&mut back[..len]).unwrap();
                    assert_eq!(back[..len], data[..len], "round {i}");
                }
            });
            let (mut conn, _) = listener.accept().await?;
            conn.set_nodelay(true)?;
            let echo = async {
                let mut buf = [0u8; 4096];
                let mut total = 0usize;
                loop {
                    let n = conn.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, std::io::Error>(total);
                    }
                    conn.write_all(&buf[..n]).await?;
                    total += n;
                }
            };
            let total = timeout(LIMIT, echo).await;
            peer.join().unwrap();
            total.map_err(|_| std::io::Error::new(ErrorKind::TimedOut, "echo stalled"))?
        })
        .unwrap()
        .unwrap();
    assert_eq!(echoed, (0..ROUNDS).map(|i| 1 + i % 199).sum::<usize>());
}

#[test]
fn end_of_stream_behind_a_short_read_is_seen() {
    // The peer's last bytes and its FIN both arrive while the loop is
    // busy, so one event reports them together (readable + read-closed).
    // The read of those bytes is short, but the end of stream behind it
    // raises no later edge: the reader must read again to see it.
    let mut rt = Runtime::new().unwrap();
    let got = rt
        .block_on(async {
            let listener = TcpListener::bind(any_port())?;
            let addr = listener.local_addr()?;
            let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
            let peer = thread::spawn(move || {
                let mut s = connect(addr);
                s.write_all(b"hello").unwrap();
                go_rx.recv().unwrap();
                s.write_all(b"abc").unwrap();
                s.shutdown(std::net::Shutdown::Write).unwrap();
                // Keep the socket open until the reader saw end of stream.
                let mut rest = [0u8; 1];
                let _ = s.read(&mut rest);
            });
            let (mut conn, _) = listener.accept().await?;
            let mut buf = [0u8; 64];
            let n = conn.read(&mut buf).await?; // short: readiness cleared
            assert_eq!(&buf[..n], b"hello");
            go_tx.send(()).unwrap();
            // Block the loop (deliberately) while "abc" and the FIN land.
            thread::sleep(Duration::from_millis(100));
            let rest = timeout(LIMIT, read_all_varying(&mut conn, &[64], usize::MAX)).await;
            drop(conn);
            peer.join().unwrap();
            rest.map_err(|_| std::io::Error::new(ErrorKind::TimedOut, "end of stream lost"))?
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, b"abc");
}

#[test]
fn a_full_read_leaves_the_rest_readable() {
    // 100 bytes in one write, then silence (no FIN): one edge in all. A
    // read that fills its 1-byte buffer says nothing about what is left,
    // so the other 99 must be read without any further edge.
    let mut rt = Runtime::new().unwrap();
    let got = rt
        .block_on(async {
            let listener = TcpListener::bind(any_port())?;
            let addr = listener.local_addr()?;
            let peer = thread::spawn(move || {
                let mut s = connect(addr);
                s.write_all(&pattern(100)).unwrap();
                let mut rest = [0u8; 1];
                let _ = s.read(&mut rest); // until the reader closes
            });
            let (mut conn, _) = listener.accept().await?;
            let got = timeout(LIMIT, read_all_varying(&mut conn, &[1], 100)).await;
            drop(conn);
            peer.join().unwrap();
            got.map_err(|_| std::io::Error::new(ErrorKind::TimedOut, "rest never read"))?
        })
        .unwrap()
        .unwrap();
    assert!(got == pattern(100), "bytes differ");
}
