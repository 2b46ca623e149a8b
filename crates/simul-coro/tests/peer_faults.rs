//! Reliability items 12 and 13 for coroutines: a peer that resets, writes
//! after the peer closed, and the peer's half-close, seen through the
//! `net` coroutines (`Read`, `WriteAll`) run by the scheduler. Errors come
//! back as the coroutine's `io::Error`, no `SIGPIPE` is raised, end of
//! stream stays end of stream and writing back still works.
//!
//! The peer is a plain std socket (blocking, on this thread or another):
//! only the coroutine side is under test.

use std::io::{self, ErrorKind, Read as _, Write as _};
use std::net::{Shutdown, TcpListener};
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

use simul_coro::net::{Read, TcpStream, WriteAll};
use simul_coro::{Coroutine, Scheduler};
use simul_reactor::{Signal, Signals};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Held by every test here: the SIGPIPE listener is process-wide, and the
/// descriptor counts must not see another test's sockets.
static SERIAL: Mutex<()> = Mutex::new(());

/// The scheduler every coroutine of a test runs on: its streams are
/// registered with it once.
type Sched = Scheduler<io::Result<Vec<u8>>>;

/// A connected pair: (the coroutines' end, registered with `s`, and the
/// std peer).
fn pair(s: &Sched) -> (Rc<TcpStream>, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let raw = simul_reactor::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let ours = TcpStream::from_reactor(&s.io_handle(), raw).unwrap();
    let (peer, _) = listener.accept().unwrap();
    (Rc::new(ours), peer)
}

/// Reads once through the scheduler: what a task's `yield from recv()` gets.
fn read(s: &mut Sched, conn: &Rc<TcpStream>) -> io::Result<Vec<u8>> {
    s.run(Read::new(conn.clone(), 64 * 1024)).unwrap()
}

/// Writes everything through the scheduler.
fn write_all(s: &mut Sched, conn: &Rc<TcpStream>, data: &[u8]) -> io::Result<()> {
    let write = WriteAll::new(conn.clone(), data.to_vec()).map_return(|r| r.map(|()| Vec::new()));
    s.run(write).unwrap().map(drop)
}

#[test]
fn resets_and_writes_after_close_are_errors_and_raise_no_sigpipe() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    let sigpipe = Signals::new(&[Signal::PIPE]).unwrap();
    {
        let mut s = Sched::new().unwrap();
        // The peer closes with unread data: its kernel sends RST.
        let (conn, peer) = pair(&s);
        write_all(&mut s, &conn, b"never read by the peer").unwrap();
        // Wait until the bytes have arrived (retrying the EINTR that
        // scripts/eintr.sh injects into std's recv as well).
        let mut first = [0u8; 1];
        while let Err(e) = peer.peek(&mut first) {
            assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        }
        drop(peer);
        let err = read(&mut s, &conn).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        let err = write_all(&mut s, &conn, b"anyone?").unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));

        // An ordinary close (FIN): end of stream, then writes fail once
        // the peer's kernel has answered one with RST.
        let (conn, peer) = pair(&s);
        drop(peer);
        assert_eq!(read(&mut s, &conn).unwrap(), b"", "end of stream first");
        let mut failure = None;
        for _ in 0..2_000 {
            match write_all(&mut s, &conn, b"are you there?") {
                Ok(()) => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let err = failure.expect("writes to a closed peer must start failing");
        assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err}");
        let again = write_all(&mut s, &conn, b"really?").unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));
    }
    assert_eq!(sigpipe.pending().unwrap(), [], "a write raised SIGPIPE");
    // The listener works: a SIGPIPE raised on purpose is seen.
    Signal::PIPE.raise().unwrap();
    assert_eq!(sigpipe.pending().unwrap(), [Signal::PIPE]);
    drop(sigpipe);
    assert_no_leaks(&fds);
}

#[test]
fn after_the_peers_half_close_eof_stays_eof_and_writing_back_works() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    const REPLY: usize = 1 << 20; // more than the socket buffers hold
    {
        let mut s = Sched::new().unwrap();
        let (conn, mut peer) = pair(&s);
        // The peer asks, half-closes, then reads the whole reply on its
        // own thread while the coroutine writes it.
        let reader = std::thread::spawn(move || {
            peer.write_all(b"question").unwrap();
            peer.shutdown(Shutdown::Write).unwrap();
            let mut reply = Vec::new();
            peer.read_to_end(&mut reply).unwrap();
            reply
        });
        let mut request = Vec::new();
        loop {
            let data = read(&mut s, &conn).unwrap();
            if data.is_empty() {
                break;
            }
            request.extend(data);
        }
        assert_eq!(request, b"question");
        for _ in 0..3 {
            assert_eq!(read(&mut s, &conn).unwrap(), b"", "end of stream stays end of stream");
        }
        let reply: Vec<u8> = (0..REPLY).map(|i| (i % 251) as u8).collect();
        write_all(&mut s, &conn, &reply).unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        assert!(reader.join().unwrap() == reply, "the reply arrived corrupted");
    }
    assert_no_leaks(&fds);
}
