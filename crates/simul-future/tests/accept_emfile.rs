//! Reliability item 17 for the future style: accepting when the process
//! is out of descriptors. `accept().await` returns `EMFILE` as an error
//! (it neither hangs nor panics, and the runtime does not retry it in a
//! loop of its own); an accept loop that backs off keeps serving the
//! connection it has, reports at most one error per back-off (so no
//! spinning), and accepts the queued client once descriptors are free.
//!
//! Alone in its file: exhausting the process's descriptors would break
//! tests running beside it.
#![cfg(target_os = "linux")]

use std::cell::Cell;
use std::fs::File;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{
    AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream, now, sleep, spawn,
};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// The accept loop's back-off after an `EMFILE`.
const BACK_OFF: Duration = Duration::from_millis(50);
/// EMFILE on Linux.
const EMFILE: i32 = 24;

/// Echoes until end of stream.
async fn echo(mut conn: TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 256];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n]).await?;
    }
}

/// Accepts forever, spawning an echo per connection; after an `EMFILE`,
/// counts it and waits `BACK_OFF` before trying again.
async fn accept_loop(listener: TcpListener, errors: Rc<Cell<u32>>) -> std::io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((conn, _)) => drop(spawn(echo(conn))),
            Err(e) if e.raw_os_error() == Some(EMFILE) => {
                errors.set(errors.get() + 1);
                sleep(BACK_OFF).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn round_trip(conn: &mut TcpStream, msg: &[u8]) -> std::io::Result<()> {
    conn.write_all(msg).await?;
    let mut back = vec![0u8; msg.len()];
    conn.read_exact(&mut back).await?;
    assert_eq!(back, msg);
    Ok(())
}

#[test]
fn accept_under_emfile_is_an_error_the_loop_backs_off_and_recovers() {
    let fds = FdSnapshot::take();
    let mut rt = Runtime::new().unwrap();
    let (errors, elapsed) = rt
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
            let addr = listener.local_addr()?;
            let errors = Rc::new(Cell::new(0));
            let server = spawn(accept_loop(listener, errors.clone()));
            let mut a = TcpStream::connect(addr).await?;
            round_trip(&mut a, b"before").await?;

            // Use up every descriptor but one, which the next client takes.
            let mut hog = Vec::new();
            loop {
                match File::open("/dev/null") {
                    Ok(f) => hog.push(f),
                    Err(e) => {
                        assert_eq!(e.raw_os_error(), Some(EMFILE), "{e}");
                        break;
                    }
                }
            }
            hog.pop();
            let start = now();
            let mut b = TcpStream::connect(addr).await?;
            b.write_all(b"queued").await?;
            // The server cannot accept `b`, and `a` is still served.
            for i in 0..5 {
                round_trip(&mut a, format!("during {i}").as_bytes()).await?;
                sleep(Duration::from_millis(40)).await;
            }
            let during = errors.get();
            assert!(during >= 1, "accept never reported EMFILE");

            // Descriptors come back; after at most one back-off `b` is
            // accepted and its queued bytes echoed.
            drop(hog);
            let mut got = [0u8; 6];
            b.read_exact(&mut got).await?;
            assert_eq!(&got, b"queued");
            round_trip(&mut a, b"after").await?;
            let elapsed = now() - start;
            server.abort();
            Ok::<_, std::io::Error>((errors.get(), elapsed))
        })
        .unwrap()
        .unwrap();
    // Sleeps are never early, so a loop that backs off can fail at most
    // once per back-off (plus the first try); a spinning one would fail
    // thousands of times.
    let most = (elapsed.as_nanos() / BACK_OFF.as_nanos()) as u32 + 1;
    assert!(errors <= most, "{errors} EMFILE errors in {elapsed:?}: the accept loop spins");
    drop(rt);
    assert_no_leaks(&fds);
}
