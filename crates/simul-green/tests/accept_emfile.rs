//! Reliability item 17 for green threads: accepting when the process is
//! out of descriptors. The blocking-looking `accept` returns `EMFILE` as
//! an error (no hang, no panic, no retry loop inside the hub); an accept
//! loop that backs off keeps serving the connection it has, fails at most
//! once per back-off (so it does not spin), and accepts the queued client
//! once descriptors are free.
//!
//! Alone in its file: exhausting the process's descriptors would break
//! tests running beside it.
#![cfg(target_os = "linux")]

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use simul_green::Hub;
use simul_green::net::{TcpListener, TcpStream};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// The accept loop's back-off after an `EMFILE`.
const BACK_OFF: Duration = Duration::from_millis(50);
/// EMFILE on Linux.
const EMFILE: i32 = 24;

/// Echoes until end of stream.
fn echo(mut conn: TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 256];
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n])?;
    }
}

fn round_trip(conn: &mut TcpStream, msg: &[u8]) -> std::io::Result<()> {
    conn.write_all(msg)?;
    let mut back = vec![0u8; msg.len()];
    conn.read_exact(&mut back)?;
    assert_eq!(back, msg);
    Ok(())
}

#[test]
fn accept_under_emfile_is_an_error_the_loop_backs_off_and_recovers() {
    let fds = FdSnapshot::take();
    let hub = Hub::new().unwrap();
    let (errors, elapsed) = hub
        .run(|| -> std::io::Result<(u32, Duration)> {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
            let addr = listener.local_addr()?;
            let errors = Rc::new(Cell::new(0u32));
            let e = errors.clone();
            let server = simul_green::spawn(move || -> std::io::Result<()> {
                loop {
                    match listener.accept() {
                        Ok((conn, _)) => drop(simul_green::spawn(move || echo(conn))?),
                        Err(err) if err.raw_os_error() == Some(EMFILE) => {
                            e.set(e.get() + 1);
                            simul_green::sleep(BACK_OFF)?;
                        }
                        Err(err) => return Err(err),
                    }
                }
            })?;
            let mut a = TcpStream::connect(addr)?;
            round_trip(&mut a, b"before")?;

            // Use up every descriptor but one, which the next client takes.
            let mut hog = Vec::new();
            loop {
                match File::open("/dev/null") {
                    Ok(f) => hog.push(f),
                    Err(err) => {
                        assert_eq!(err.raw_os_error(), Some(EMFILE), "{err}");
                        break;
                    }
                }
            }
            hog.pop();
            let start = simul_green::now()?;
            let mut b = TcpStream::connect(addr)?;
            b.write_all(b"queued")?;
            // The server cannot accept `b`, and `a` is still served.
            for i in 0..5 {
                round_trip(&mut a, format!("during {i}").as_bytes())?;
                simul_green::sleep(Duration::from_millis(40))?;
            }
            assert!(errors.get() >= 1, "accept never reported EMFILE");

            // Descriptors come back; after at most one back-off `b` is
            // accepted and its queued bytes echoed.
            drop(hog);
            let mut got = [0u8; 6];
            b.read_exact(&mut got)?;
            assert_eq!(&got, b"queued");
            round_trip(&mut a, b"after")?;
            let elapsed = simul_green::now()? - start;
            server.kill().map_err(std::io::Error::from)?;
            Ok((errors.get(), elapsed))
        })
        .unwrap()
        .unwrap();
    // Sleeps are never early, so a loop that backs off can fail at most
    // once per back-off (plus the first try); a spinning one would fail
    // thousands of times.
    let most = (elapsed.as_nanos() / BACK_OFF.as_nanos()) as u32 + 1;
    assert!(errors <= most, "{errors} EMFILE errors in {elapsed:?}: the accept loop spins");
    drop(hub);
    assert_no_leaks(&fds);
}
