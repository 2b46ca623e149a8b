//! Reliability item 23 for coroutines: sockets made with a scheduler's
//! `IoHandle` outlive the scheduler (the handle keeps its reactor alive),
//! but nobody takes that reactor's events any more, so the readiness the
//! sockets keep is frozen. Once the scheduler is dropped, every operation
//! of its sockets, and every new socket through its handle, fails at once
//! with an error saying so, instead of answering `WouldBlock` for ever;
//! the library's coroutines run on a new scheduler fail the same way at
//! their first resume, without waiting; dropping the sockets closes their
//! descriptors and, with the last one, the old reactor's.
//!
//! One test in this file: it counts the process's descriptors.

mod util;

use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;
use std::rc::Rc;

use simul_coro::net::{Accept, Connect, Read, TcpListener, TcpStream, WriteAll};
use simul_coro::{Coroutine, CoroutineState::*, Reply, Scheduler, Trap, from_fn};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks, open_fds};
use util::tcp_pair;

type Out = io::Result<Vec<u8>>;

/// The error every operation gives once the scheduler is gone.
#[track_caller]
fn assert_gone(e: &io::Error) {
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    assert!(e.to_string().contains("scheduler") && e.to_string().contains("dropped"), "{e}");
}

#[test]
fn sockets_outliving_their_scheduler_fail_at_once_and_close_their_descriptors() {
    let fds = FdSnapshot::take();
    let s = Scheduler::<Out>::new().unwrap();
    let io = s.io_handle();
    let listener = Rc::new(TcpListener::bind(&io, "127.0.0.1:0".parse().unwrap()).unwrap());
    let addr = listener.local_addr().unwrap();
    let (a, b) = tcp_pair(&io).unwrap();
    let (a, b) = (Rc::new(a), Rc::new(b));
    // b's readable bit cleared, then bytes arrive for it and a client
    // waits in the listener's queue: the events nobody will ever take.
    assert_eq!(b.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(a.try_write(b"late").unwrap(), 4);
    let queued = std::net::TcpStream::connect(addr).unwrap();
    drop(s);

    // Each operation answers at once, with the error, not WouldBlock.
    assert_gone(&b.try_read(&mut [0; 8]).unwrap_err());
    assert_gone(&b.try_read(&mut []).unwrap_err());
    assert_gone(&a.try_write(b"x").unwrap_err());
    assert_gone(&a.try_write(b"").unwrap_err());
    assert_gone(&listener.try_accept().unwrap_err());
    // The calls that do not wait still work.
    assert_eq!(listener.local_addr().unwrap(), addr);
    assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());
    // New sockets through the old handle are refused, and keep no descriptor.
    let before = open_fds();
    assert_gone(&TcpListener::bind(&io, "127.0.0.1:0".parse().unwrap()).unwrap_err());
    let raw = simul_reactor::net::TcpStream::connect(addr).unwrap();
    assert_gone(&TcpStream::from_reactor(&io, raw).unwrap_err());
    assert_eq!(open_fds(), before, "a refused socket kept its descriptor");

    // On a new scheduler the coroutines fail at their first resume: none
    // waits on a readiness that can never come.
    let mut s2 = Scheduler::<Out>::new().unwrap();
    assert_gone(&s2.run(Read::new(b.clone(), 64)).unwrap().unwrap_err());
    let write = WriteAll::new(a.clone(), b"more".to_vec()).map_return(|r| r.map(|()| Vec::new()));
    assert_gone(&s2.run(write).unwrap().unwrap_err());
    let accept = Accept::new(listener.clone()).map_return(|r| r.map(|_| Vec::new()));
    assert_gone(&s2.run(accept).unwrap().unwrap_err());
    let connect = Connect::new(&io, addr).map_return(|r| r.map(|_| Vec::new()));
    assert_gone(&s2.run(connect).unwrap().unwrap_err());
    // Waiting on the descriptor itself is a plain descriptor wait for
    // the new scheduler, and the bytes pending make it readable.
    let fd = b.as_raw_fd();
    let woke = s2
        .run(from_fn(move |r: Reply<Out>| match r {
            Reply::Start => Ok(Yielded(Trap::Readable(fd))),
            Reply::Io(res) => Ok(Complete(res.map(|()| b"woke".to_vec()))),
            other => panic!("unexpected {other:?}"),
        }))
        .unwrap()
        .unwrap();
    assert_eq!(woke, b"woke");
    assert_eq!(s2.live_tasks(), 0);

    // Dropping a socket closes its descriptor; the last one closes the
    // old reactor's too.
    let open = open_fds();
    drop(b);
    assert_eq!(open_fds(), open - 1, "dropping the stream closed it");
    drop((a, listener, io));
    drop(queued);
    drop(s2);
    assert_no_leaks(&fds);
}
