//! Reliability item 12: a peer that resets the connection, and writes
//! after the peer closed. Both come back as errors (`ConnectionReset`,
//! `BrokenPipe`) from the runtime's sockets, and no `SIGPIPE` is raised:
//! a listener for it sees none (it does see one raised on purpose, so
//! the check can fail).
//!
//! One test function: the signal listener is process-wide, and the
//! deliberate `SIGPIPE` must not reach a second test's listener.

use std::io::ErrorKind;
use std::time::Duration;

use simul_future::{AsyncReadExt, AsyncWriteExt, Runtime, TcpListener, TcpStream, sleep};
use simul_reactor::{Signal, Signals};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// A connected pair: (client, server side).
async fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

/// The server closes with unread data in its receive buffer, which makes
/// its kernel send RST instead of FIN: the client's read is
/// `ConnectionReset`, and so is (or `BrokenPipe`) every write after it.
async fn reset_by_peer() -> std::io::Result<()> {
    let (mut client, server) = pair().await?;
    client.write_all(b"never read by the server").await?;
    sleep(Duration::from_millis(10)).await; // the bytes reach the server's buffer
    drop(server);
    let err = client.read(&mut [0u8; 64]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    let err = client.write_all(b"anyone?").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err}");
    Ok(())
}

/// The server closes normally (FIN): the client reads end of stream, its
/// first write is accepted by its own kernel and answered with RST, and
/// writes fail from then on, again and again.
async fn write_after_close() -> std::io::Result<()> {
    let (mut client, server) = pair().await?;
    drop(server);
    assert_eq!(client.read(&mut [0u8; 8]).await?, 0, "end of stream first");
    let mut failure = None;
    for _ in 0..2_000 {
        match client.write_all(b"are you there?").await {
            Ok(()) => sleep(Duration::from_millis(1)).await,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let err = failure.expect("writes to a closed peer must start failing");
    assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err}");
    for _ in 0..3 {
        let again = client.write_all(b"really?").await.unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));
    }
    // End of stream stays end of stream after the failed writes.
    match client.read(&mut [0u8; 8]).await {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("after the peer's RST: {other:?}"),
    }
    Ok(())
}

#[test]
fn resets_and_writes_after_close_are_errors_and_raise_no_sigpipe() {
    let fds = FdSnapshot::take();
    let sigpipe = Signals::new(&[Signal::PIPE]).unwrap();
    {
        let mut rt = Runtime::new().unwrap();
        rt.block_on(reset_by_peer()).unwrap().unwrap();
        rt.block_on(write_after_close()).unwrap().unwrap();
    }
    assert_eq!(sigpipe.pending().unwrap(), [], "a write raised SIGPIPE");
    // The listener works: a SIGPIPE raised on purpose is seen.
    Signal::PIPE.raise().unwrap();
    assert_eq!(sigpipe.pending().unwrap(), [Signal::PIPE]);
    drop(sigpipe);
    assert_no_leaks(&fds);
}
