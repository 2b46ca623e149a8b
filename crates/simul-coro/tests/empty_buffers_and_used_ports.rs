//! Reliability item 27, the TCP half (the coroutine style has no UDP):
//! binding a used address is `AddrInUse`, and empty buffers work. An
//! empty `try_read` or `try_write` is `Ok(0)` at once, with bytes pending
//! or not, takes and sends nothing, and is not end of stream: the
//! stream's readiness is unchanged and the bytes around it arrive. The
//! library's own coroutines agree: a `WriteAll` of nothing completes at
//! once, a `Read` of at most 0 bytes returns nothing at once (which the
//! caller, having asked for nothing, does not take for end of file), and
//! the next `Read` gets the bytes.
//!
//! The descriptor counts need the tests to run one at a time.

mod util;

use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::Mutex;

use simul_coro::net::{Accept, Connect, Read, TcpListener, WriteAll};
use simul_coro::{Coroutine, CoroutineState::*, Reply, Scheduler, Trap, from_fn};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks, open_fds};
use util::tcp_pair;

/// Held by every test here: the descriptor counts must not see another
/// test's sockets.
static SERIAL: Mutex<()> = Mutex::new(());

type Out = std::io::Result<Vec<u8>>;

#[test]
fn binding_a_used_address_is_addr_in_use_and_the_first_listener_goes_on() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    {
        let mut s = Scheduler::<Out>::new().unwrap();
        let io = s.io_handle();
        let first = TcpListener::bind(&io, "127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = first.local_addr().unwrap();
        let before = open_fds();
        let e = TcpListener::bind(&io, addr).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");
        // The failed bind left nothing behind: no registration, no descriptor.
        assert_eq!(s.poller_updates(), 1, "only the first listener registered");
        assert_eq!(open_fds(), before, "the failed bind kept a descriptor");
        // The first listener still accepts.
        s.spawn(Connect::new(&io, addr).and_then(|c| {
            WriteAll::new(Rc::new(c.expect("connect")), b"Qd1".to_vec())
                .map_return(|r| r.map(|()| Vec::new()))
        }));
        let got = s
            .run(
                Accept::new(Rc::new(first))
                    .and_then(|a| Read::new(Rc::new(a.expect("accept").0), 16)),
            )
            .unwrap()
            .unwrap();
        assert_eq!(got, b"Qd1");
        s.run_all().unwrap();
    }
    assert_no_leaks(&fds);
}

#[test]
fn empty_reads_and_writes_are_ok_zero_at_once_and_not_end_of_stream() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fds = FdSnapshot::take();
    {
        let mut s = Scheduler::<Out>::new().unwrap();
        let (a, b) = tcp_pair(&s.io_handle()).unwrap();
        let (a, b) = (Rc::new(a), Rc::new(b));

        // Nothing to read, and the readable bit cleared by a WouldBlock:
        // an empty read still needs nothing, so it is Ok(0), not WouldBlock.
        assert_eq!(b.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert_eq!(b.try_read(&mut []).unwrap(), 0);
        assert_eq!(a.try_write(&[]).unwrap(), 0);
        // The library's coroutines, with nothing pending: both complete
        // on their first resume, without waiting.
        let mut write = WriteAll::<Out>::new(a.clone(), Vec::new());
        assert!(matches!(write.resume(Reply::Start), Ok(Complete(Ok(())))));
        let mut read = Read::<Out>::new(b.clone(), 0);
        assert!(matches!(read.resume(Reply::Start), Ok(Complete(Ok(ref v))) if v.is_empty()));

        // Bytes pending: an empty read takes none of them.
        assert_eq!(a.try_write(b"e2").unwrap(), 2);
        let got = s.run(Read::new(b.clone(), 0)).unwrap().unwrap();
        assert!(got.is_empty());
        assert_eq!(b.try_read(&mut []).unwrap(), 0);
        // An empty write between two writes sends nothing.
        let write = WriteAll::new(a.clone(), Vec::new())
            .and_then({
                let a = a.clone();
                move |r| {
                    r.expect("empty write");
                    WriteAll::new(a, b"e4".to_vec())
                }
            })
            .map_return(|r| r.map(|()| Vec::new()));
        assert_eq!(s.run(write).unwrap().unwrap(), b"");
        // Not end of stream: a real read gets every byte, in order, and
        // then waits for more (a task, not end of file).
        let mut got = Vec::new();
        while got.len() < 4 {
            let more = s.run(Read::new(b.clone(), 64)).unwrap().unwrap();
            assert!(!more.is_empty(), "end of stream after an empty read");
            got.extend(more);
        }
        assert_eq!(got, b"e2e4");
        // The stream goes on: after the empty operations, a waiting reader
        // is woken by the next bytes, and end of stream is still told
        // apart (an empty vector from a Read of 64).
        let fd = b.as_raw_fd();
        let reader = s.spawn(Read::new(b.clone(), 64));
        let writer = {
            let a = a.clone();
            s.spawn(from_fn(move |r: Reply<Out>| match r {
                Reply::Start => Ok(Yielded(Trap::YieldNow)),
                _ => {
                    assert_eq!(a.try_write(&[]).unwrap(), 0);
                    assert_eq!(a.try_write(b"O-O").unwrap(), 3);
                    Ok(Complete(Ok(Vec::new())))
                }
            }))
        };
        s.run_all().unwrap();
        assert_eq!(s.take_result(reader).unwrap().unwrap().unwrap(), b"O-O");
        assert!(s.take_result(writer).unwrap().is_ok());
        a.shutdown(std::net::Shutdown::Write).unwrap();
        let eof = s.run(Read::new(b.clone(), 64)).unwrap().unwrap();
        assert!(eof.is_empty(), "end of stream after the peer's shutdown");
        // Even at end of stream, an empty read is just Ok(0).
        assert_eq!(b.try_read(&mut []).unwrap(), 0);
        assert_eq!(fd, b.as_raw_fd());
    }
    assert_no_leaks(&fds);
}
