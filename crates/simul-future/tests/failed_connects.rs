//! Reliability item 14 for the future style: 10,000 failed connects, to a
//! refused TCP port, a missing Unix path and a stale Unix socket file,
//! some of them concurrently. Each fails with its own error kind, the
//! runtime goes on, and no descriptor is left behind.
//!
//! One test function, so the descriptor count sees only this test.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::PathBuf;

use simul_future::{JoinSet, Runtime, TcpListener, TcpStream, UnixListener, UnixStream};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

const CONNECTS: usize = 10_000;

fn temp_dir() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("simul-future-{}-failed-connects", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port that was just bound and released: nobody listens.
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[test]
fn ten_thousand_failed_connects_give_the_right_errors_and_leak_nothing() {
    let dir = temp_dir();
    let missing = dir.join("nobody.sock");
    let stale = dir.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap()); // the file stays
    let refused = closed_port();
    let fds = FdSnapshot::take();
    let mut rt = Runtime::new().unwrap();
    let kinds = rt
        .block_on(async move {
            let mut kinds = Vec::with_capacity(CONNECTS);
            // A third one after the other, the rest 100 at a time.
            for i in 0..CONNECTS / 3 {
                let err = match i % 3 {
                    0 => TcpStream::connect(refused).await.map(drop).unwrap_err(),
                    1 => UnixStream::connect(&missing).await.map(drop).unwrap_err(),
                    _ => UnixStream::connect(&stale).await.map(drop).unwrap_err(),
                };
                kinds.push(err.kind());
            }
            let mut set = JoinSet::new();
            for i in CONNECTS / 3..CONNECTS {
                let (missing, stale) = (missing.clone(), stale.clone());
                set.spawn(async move {
                    match i % 3 {
                        0 => TcpStream::connect(refused).await.map(drop),
                        1 => UnixStream::connect(&missing).await.map(drop),
                        _ => UnixStream::connect(&stale).await.map(drop),
                    }
                    .unwrap_err()
                    .kind()
                });
                if set.len() == 100 {
                    kinds.push(set.join_next().await.unwrap().unwrap());
                }
            }
            while let Some(kind) = set.join_next().await {
                kinds.push(kind.unwrap());
            }
            // The runtime still connects where someone listens.
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let ok = TcpStream::connect(listener.local_addr().unwrap()).await;
            assert!(ok.is_ok(), "{ok:?}");
            let listener = UnixListener::bind(dir.join("live.sock")).unwrap();
            let ok = UnixStream::connect(dir.join("live.sock")).await;
            assert!(ok.is_ok(), "{ok:?}");
            drop(listener);
            std::fs::remove_dir_all(&dir).unwrap();
            kinds
        })
        .unwrap();
    assert_eq!(kinds.len(), CONNECTS);
    let count = |k: ErrorKind| kinds.iter().filter(|&&x| x == k).count();
    // Refused TCP and stale Unix sockets are both ConnectionRefused; a
    // missing path is NotFound. Nothing else, ever.
    assert_eq!(count(ErrorKind::NotFound), CONNECTS / 3);
    assert_eq!(count(ErrorKind::ConnectionRefused), CONNECTS - CONNECTS / 3);
    drop(rt);
    assert_no_leaks(&fds);
}
