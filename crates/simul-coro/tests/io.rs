//! Descriptor waits: Readable / Writable traps over the reactor.

mod util;

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, Scheduler, Trap, from_fn};
use simul_reactor::Clock;
use util::virtual_scheduler;

/// Main: wait until `fd` is readable, then read everything available.
fn read_when_ready(
    mut stream: UnixStream,
) -> impl simul_coro::Coroutine<Reply<Vec<u8>>, Yield = Trap<Vec<u8>>, Return = Vec<u8>> {
    let fd = stream.as_raw_fd();
    let mut got = Vec::new();
    from_fn(move |r: Reply<Vec<u8>>| {
        if let Reply::Io(res) = r {
            res.map_err(|_| simul_coro::ResumeError::UnexpectedInput { expected: "Io(Ok)" })?;
        }
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return Ok(Complete(std::mem::take(&mut got))),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(Yielded(Trap::Readable(fd)));
                }
                Err(e) => panic!("read: {e}"),
            }
        }
    })
}

#[test]
fn a_reader_waits_for_data_written_by_another_thread_on_both_clocks() {
    for clock in [Clock::new_virtual(), Clock::real()] {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            b.write_all(b"e2").unwrap();
            std::thread::sleep(Duration::from_millis(20));
            b.write_all(b"e4").unwrap();
        });
        // No timers at all: under the virtual clock the scheduler blocks on
        // the OS, because only I/O can make progress.
        let mut s = Scheduler::with_clock(clock).unwrap();
        let got = s.run(read_when_ready(a)).unwrap();
        assert_eq!(got, b"e2e4");
        writer.join().unwrap();
    }
}

#[test]
fn writable_is_answered_for_a_socket_with_room() {
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let mut s: Scheduler<bool> = virtual_scheduler();
    let ok = s
        .run(from_fn(move |r: Reply<bool>| match r {
            Reply::Start => Ok(Yielded(Trap::Writable(fd))),
            Reply::Io(res) => Ok(Complete(res.is_ok())),
            _ => Ok(Complete(false)),
        }))
        .unwrap();
    assert!(ok);
}

#[test]
fn a_reader_and_a_writer_share_one_descriptor() {
    let (a, mut b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let fd = a.as_raw_fd();
    let mut s: Scheduler<&'static str> = virtual_scheduler();
    let reader = s.spawn(from_fn(move |r: Reply<&'static str>| match r {
        Reply::Start => Ok(Yielded(Trap::Readable(fd))),
        _ => Ok(Complete("read")),
    }));
    let writer = s.spawn(from_fn(move |r: Reply<&'static str>| match r {
        Reply::Start => Ok(Yielded(Trap::Writable(fd))),
        _ => Ok(Complete("wrote")),
    }));
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        b.write_all(b"x").unwrap();
        b
    });
    s.run_all().unwrap();
    assert_eq!(s.take_result(writer), Some(Ok("wrote")));
    assert_eq!(s.take_result(reader), Some(Ok("read")));
    drop(t.join().unwrap());
}

#[test]
fn waits_that_cannot_be_set_up_are_answered_with_the_error() {
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let mut s: Scheduler<Vec<io::ErrorKind>> = virtual_scheduler();
    // Another task already waits to read fd.
    s.spawn(from_fn(move |r: Reply<Vec<io::ErrorKind>>| match r {
        Reply::Start => Ok(Yielded(Trap::Readable(fd))),
        _ => Ok(Complete(Vec::new())),
    }));
    let mut kinds = Vec::new();
    let got = s
        .run(from_fn(move |r: Reply<Vec<io::ErrorKind>>| match r {
            Reply::Start => Ok(Yielded(Trap::Readable(-1))),
            Reply::Io(Err(e)) if kinds.is_empty() => {
                kinds.push(e.kind());
                Ok(Yielded(Trap::Readable(fd)))
            }
            Reply::Io(Err(e)) => {
                kinds.push(e.kind());
                Ok(Complete(std::mem::take(&mut kinds)))
            }
            other => panic!("unexpected {other:?}"),
        }))
        .unwrap();
    assert_eq!(got, [io::ErrorKind::InvalidInput, io::ErrorKind::ResourceBusy]);
}

#[test]
fn a_hung_up_peer_wakes_the_reader() {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        drop(b);
    });
    let mut s = Scheduler::with_clock(Clock::new_virtual()).unwrap();
    let got = s.run(read_when_ready(a)).unwrap();
    assert!(got.is_empty(), "EOF after the hang-up");
    t.join().unwrap();
}
