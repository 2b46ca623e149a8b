//! UnixStream and UnixListener: echo over a path in a temporary
//! directory, pairs, end of stream, a missing path, no fd leak.

mod util;

use std::io::ErrorKind;
use std::path::PathBuf;

use simul_future::{
    AsyncReadExt, AsyncWriteExt, Runtime, UnixListener, UnixStream, join_all, spawn,
};

/// A fresh directory for this test's socket files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simul-future-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn many_clients_are_echoed_through_a_listener() {
    let dir = temp_dir("echo");
    let path = dir.join("echo.sock");
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let listener = UnixListener::bind(&path)?;
        let server = spawn(async move {
            let mut conns = Vec::new();
            for _ in 0..8 {
                let (mut conn, peer) = listener.accept().await?;
                assert!(peer.is_unnamed());
                conns.push(spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = conn.read(&mut buf).await?;
                        if n == 0 {
                            return Ok::<_, std::io::Error>(());
                        }
                        conn.write_all(&buf[..n]).await?;
                    }
                }));
            }
            for c in conns {
                c.await.unwrap()?;
            }
            Ok::<_, std::io::Error>(())
        });
        let clients = (0..8u8).map(|i| {
            let path = path.clone();
            async move {
                let mut conn = UnixStream::connect(&path).await?;
                // Small enough to sit in the socket buffers while the
                // client has not started reading (one task per side).
                let msg = vec![i; 16 * 1024];
                conn.write_all(&msg).await?;
                conn.shutdown()?;
                let mut back = Vec::new();
                let mut buf = [0u8; 8192];
                loop {
                    let n = conn.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    back.extend_from_slice(&buf[..n]);
                }
                assert_eq!(back, msg);
                Ok::<_, std::io::Error>(())
            }
        });
        for r in join_all(clients.collect()).await {
            r?;
        }
        server.await.unwrap()
    })
    .unwrap()
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pair_carries_bytes_both_ways_and_reports_end_of_stream() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair()?;
        a.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"ping");
        b.write_all(b"pong").await?;
        a.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"pong");
        a.shutdown()?;
        assert_eq!(b.read(&mut buf).await?, 0);
        assert_eq!(b.read(&mut buf).await?, 0, "end of stream stays end of stream");
        b.write_all(b"still").await?; // the other half still works
        drop(b);
        let err = loop {
            match a.write(b"x").await {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), ErrorKind::BrokenPipe, "no SIGPIPE, an error");
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn connecting_to_a_missing_or_stale_path_fails_with_the_right_kind() {
    let dir = temp_dir("missing");
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let err = UnixStream::connect(dir.join("nobody.sock")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let stale = dir.join("stale.sock");
        drop(UnixListener::bind(&stale).unwrap()); // the file stays
        let err = UnixStream::connect(&stale).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let err = UnixListener::bind(&stale).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    })
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_reads_and_writes_are_ok_zero_at_once_even_with_nothing_to_read() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair()?;
        util::empty_buffers_are_no_ops(&mut a, &mut b).await?;
        util::empty_buffers_are_no_ops(&mut b, &mut a).await?;
        a.shutdown()?;
        assert_eq!(b.read(&mut [0u8; 8]).await?, 0);
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}
