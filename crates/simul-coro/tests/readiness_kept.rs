//! Readiness that arrives while no task waits is kept: the next wait on a
//! registered socket is answered at once, with no new registration.

mod util;

use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, ResumeError, TraceKind, Trap, TrapKind, from_fn};
use util::{kinds_of, tcp_pair, virtual_scheduler};

#[test]
fn data_that_arrives_while_the_reader_sleeps_answers_its_next_wait_at_once() {
    let mut s = virtual_scheduler::<Vec<u8>>();
    let (a, b) = tcp_pair(&s.io_handle()).unwrap();
    let (a, b) = (Rc::new(a), Rc::new(b));
    let fd = a.as_raw_fd();
    s.record_trace(true);
    let reader = {
        let a = a.clone();
        let mut step = 0;
        s.spawn(from_fn(move |r: Reply<Vec<u8>>| {
            step += 1;
            let mut buf = [0u8; 64];
            match (step, r) {
                // Nothing sent yet: the socket says so, the bit is cleared.
                (1, Reply::Start) => {
                    let e = a.try_read(&mut buf).unwrap_err();
                    assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                    Ok(Yielded(Trap::Sleep(Duration::from_secs(1))))
                }
                // Meanwhile the data came, and its event found nobody waiting.
                (2, Reply::Woke) => Ok(Yielded(Trap::Readable(fd))),
                (3, Reply::Io(Ok(()))) => {
                    let n = a.try_read(&mut buf).unwrap();
                    Ok(Complete(buf[..n].to_vec()))
                }
                _ => Err(ResumeError::UnexpectedInput { expected: "the next step" }),
            }
        }))
    };
    let writer_end = b.clone(); // `b` outlives the run: no deregistration in it
    s.spawn(from_fn(move |_: Reply<Vec<u8>>| {
        assert_eq!(writer_end.try_write(b"e2e4").unwrap(), 4);
        Ok(Complete(Vec::new()))
    }));
    let before = s.poller_updates();
    s.run_all().unwrap();
    assert_eq!(s.take_result(reader).unwrap().unwrap(), b"e2e4");
    // The wait at 1 s was answered in the same turn: no suspension, no
    // wake-up, and no registration for it.
    let kinds = kinds_of(s.trace(), reader);
    let at_one: Vec<TraceKind> = kinds.iter().filter(|(t, _)| *t == 1).map(|(_, k)| *k).collect();
    assert_eq!(
        at_one,
        [
            TraceKind::Resumed,
            TraceKind::Yielded(TrapKind::Readable(fd)),
            TraceKind::Resumed,
            TraceKind::Completed,
        ]
    );
    assert_eq!(s.poller_updates(), before);
}

#[test]
fn a_connection_queued_while_nobody_accepts_is_accepted_without_waiting() {
    use simul_coro::Coroutine;
    use simul_coro::net::{Accept, TcpListener};
    let mut s = virtual_scheduler::<bool>();
    let listener =
        Rc::new(TcpListener::bind(&s.io_handle(), "127.0.0.1:0".parse().unwrap()).unwrap());
    // Cleared first: nobody has connected.
    assert_eq!(listener.try_accept().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    // One turn that only polls (a task sleeping), so the event is taken in
    // while nobody waits on the listener.
    s.spawn(from_fn(|r: Reply<bool>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
        _ => Ok(Complete(true)),
    }));
    s.run_all().unwrap();
    s.record_trace(true);
    let accepted = s.run(Accept::new(listener.clone()).map_return(|r| r.is_ok())).unwrap();
    assert!(accepted);
    // The accept never suspended: Readable was answered at once.
    let suspended =
        s.trace().iter().any(|e| matches!(e.kind, TraceKind::Yielded(TrapKind::Readable(_))));
    assert!(!suspended, "the listener's readiness was lost: {:?}", s.trace());
}
