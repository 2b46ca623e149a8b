//! Dropping or closing a registered socket while another task waits on
//! its descriptor wakes that task with an error, instead of leaving it
//! waiting for an event that can no longer come.

mod util;

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use simul_coro::net::TcpListener;
use simul_coro::{Coroutine, CoroutineState::*, Reply, ResumeError, Scheduler, Trap, from_fn};
use util::{at_secs, tcp_pair, virtual_scheduler};

type Outcome = Result<(), io::ErrorKind>;

/// Empties the stream's readable bit: nothing has been sent to it.
fn drained(a: simul_coro::net::TcpStream) -> simul_coro::net::TcpStream {
    assert_eq!(a.try_read(&mut [0; 8]).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    a
}

/// A task that waits once on `fd` and returns how the wait ended.
fn waiter(
    fd: RawFd,
    read: bool,
) -> impl Coroutine<Reply<Outcome>, Yield = Trap<Outcome>, Return = Outcome> {
    from_fn(move |r: Reply<Outcome>| match r {
        Reply::Start => Ok(Yielded(if read { Trap::Readable(fd) } else { Trap::Writable(fd) })),
        Reply::Io(res) => Ok(Complete(res.map_err(|e| e.kind()))),
        _ => Err(ResumeError::UnexpectedInput { expected: "Io" }),
    })
}

/// A task that owns `thing`, sleeps a second, then ends it with `end`.
fn owner<V: 'static>(
    thing: V,
    end: impl FnOnce(V) + 'static,
) -> impl Coroutine<Reply<Outcome>, Yield = Trap<Outcome>, Return = Outcome> {
    let mut thing = Some((thing, end));
    from_fn(move |r: Reply<Outcome>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
        _ => {
            let (thing, end) = thing.take().ok_or(ResumeError::AfterCompletion)?;
            end(thing);
            Ok(Complete(Ok(())))
        }
    })
}

#[test]
fn dropping_a_stream_wakes_its_reader_with_connection_aborted() {
    let mut s = virtual_scheduler::<Outcome>();
    let (a, _b) = tcp_pair(&s.io_handle()).unwrap();
    let a = drained(a);
    let waiting = s.spawn(waiter(a.as_raw_fd(), true));
    s.spawn(owner(a, drop));
    s.run_all().unwrap();
    assert_eq!(s.take_result(waiting).unwrap().unwrap(), Err(io::ErrorKind::ConnectionAborted));
    assert_eq!(s.now(), at_secs(1));
}

#[test]
fn closing_a_stream_wakes_its_reader_and_its_writer() {
    let mut s = virtual_scheduler::<Outcome>();
    let (a, _b) = tcp_pair(&s.io_handle()).unwrap();
    let a = drained(a);
    // Fill the send buffer, so a writer has to wait too.
    let chunk = vec![0u8; 64 * 1024];
    while a.try_write(&chunk).is_ok() {}
    let fd = a.as_raw_fd();
    let reader = s.spawn(waiter(fd, true));
    let writer = s.spawn(waiter(fd, false));
    s.spawn(owner(a, |a| a.close().expect("close")));
    s.run_all().unwrap();
    for id in [reader, writer] {
        assert_eq!(s.take_result(id).unwrap().unwrap(), Err(io::ErrorKind::ConnectionAborted));
    }
}

#[test]
fn dropping_a_listener_wakes_its_acceptor() {
    let mut s = virtual_scheduler::<Outcome>();
    let listener = TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap()).unwrap();
    assert_eq!(listener.try_accept().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    let waiting = s.spawn(waiter(listener.as_raw_fd(), true));
    s.spawn(owner(listener, drop));
    s.run_all().unwrap();
    assert_eq!(s.take_result(waiting).unwrap().unwrap(), Err(io::ErrorKind::ConnectionAborted));
}

#[test]
fn a_socket_dropped_outside_run_wakes_its_waiter_when_run_resumes() {
    let mut s: Scheduler<Outcome> = virtual_scheduler();
    let (a, _b) = tcp_pair(&s.io_handle()).unwrap();
    let a = drained(a);
    let waiting = s.spawn(waiter(a.as_raw_fd(), true));
    // A main task that outlives the waiter's start; the waiter stays.
    s.run(owner((), drop)).unwrap().unwrap();
    assert_eq!(s.live_tasks(), 1);
    drop(a); // dropped between runs, with the task waiting on it
    s.run_all().unwrap();
    assert_eq!(s.take_result(waiting).unwrap().unwrap(), Err(io::ErrorKind::ConnectionAborted));
}

#[test]
fn a_cancelled_waiter_is_not_woken_when_its_socket_goes() {
    let mut s = virtual_scheduler::<Outcome>();
    let (a, _b) = tcp_pair(&s.io_handle()).unwrap();
    let a = drained(a);
    let fd = a.as_raw_fd();
    let waiting = s.spawn(waiter(fd, true));
    let canceller = s.spawn(from_fn(move |r: Reply<Outcome>| match r {
        Reply::Start => Ok(Yielded(Trap::Cancel(waiting))),
        Reply::Cancelled(true) => Ok(Complete(Ok(()))),
        _ => Err(ResumeError::UnexpectedInput { expected: "Cancelled(true)" }),
    }));
    s.spawn(owner(a, drop));
    s.run_all().unwrap();
    assert_eq!(s.take_result(canceller).unwrap().unwrap(), Ok(()));
    assert!(matches!(s.take_result(waiting), Some(Err(simul_coro::JoinError::Cancelled))));
}
