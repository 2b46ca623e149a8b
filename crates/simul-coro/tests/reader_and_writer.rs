//! One reader and one writer wait on the same registered socket at once,
//! each woken by its own direction's events.

mod util;

use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::net::{Read, WriteAll};
use simul_coro::{
    Coroutine, CoroutineState::*, Reply, ResumeError, TraceKind, Trap, TrapKind, from_fn,
};
use util::{kinds_of, tcp_pair, virtual_scheduler};

/// More than loopback buffers hold, so the writer must wait for room.
const BIG: usize = 16 * 1024 * 1024;

fn pattern(i: usize) -> u8 {
    (i * 7 + i / 251) as u8
}

#[test]
fn a_blocked_writer_and_a_waiting_reader_share_one_socket() {
    let mut s = virtual_scheduler::<Vec<u8>>();
    let (a, b) = tcp_pair(&s.io_handle()).unwrap();
    let (a, b) = (Rc::new(a), Rc::new(b));
    let fd = a.as_raw_fd();
    s.record_trace(true);
    // On `a`: a reader waiting for a move, and a writer of BIG bytes.
    let reader = s.spawn(Read::new(a.clone(), 64).map_return(|r| r.expect("read")));
    let data: Vec<u8> = (0..BIG).map(pattern).collect();
    let writer = s.spawn(WriteAll::new(a.clone(), data).map_return(|r| {
        r.expect("write");
        Vec::new()
    }));
    // On `b`: the move at 1 s; the drain from 2 s on.
    let mover = s.spawn(
        from_fn(|r: Reply<Vec<u8>>| match r {
            Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
            _ => Ok(Complete(())),
        })
        .and_then({
            let b = b.clone();
            move |()| WriteAll::new(b, b"Qh5".to_vec())
        })
        .map_return(|r| {
            r.expect("move");
            Vec::new()
        }),
    );
    let drainer = {
        let b = b.clone();
        let mut got = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        s.spawn(from_fn(move |r: Reply<Vec<u8>>| {
            match r {
                Reply::Start => return Ok(Yielded(Trap::Sleep(Duration::from_secs(2)))),
                Reply::Woke | Reply::Io(Ok(())) => {}
                _ => return Err(ResumeError::UnexpectedInput { expected: "Woke or Io(Ok)" }),
            }
            loop {
                match b.try_read(&mut buf) {
                    Ok(0) => panic!("end of file after {got} bytes"),
                    Ok(n) => {
                        for (i, &byte) in buf[..n].iter().enumerate() {
                            assert_eq!(byte, pattern(got + i), "byte {}", got + i);
                        }
                        got += n;
                        if got == BIG {
                            return Ok(Complete(Vec::new()));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(Yielded(Trap::Readable(b.as_raw_fd())));
                    }
                    Err(e) => panic!("drain: {e}"),
                }
            }
        }))
    };
    s.run_all().unwrap();
    assert_eq!(s.take_result(reader).unwrap().unwrap(), b"Qh5");
    for id in [writer, mover, drainer] {
        assert_eq!(s.take_result(id).unwrap().unwrap(), Vec::<u8>::new());
    }
    // Both waited on `a` from time 0; the reader was done at 1 s while
    // the writer still waited for room, which only came at 2 s.
    let r = kinds_of(s.trace(), reader);
    let w = kinds_of(s.trace(), writer);
    assert!(r.contains(&(0, TraceKind::Yielded(TrapKind::Readable(fd)))), "{r:?}");
    assert!(w.contains(&(0, TraceKind::Yielded(TrapKind::Writable(fd)))), "{w:?}");
    assert_eq!(r.last(), Some(&(1, TraceKind::Completed)));
    let (w_done, _) = *w.last().unwrap();
    assert!(w_done >= 2, "{w:?}");
    assert_eq!(w.last().unwrap().1, TraceKind::Completed);
}
