//! Reliability item 11: partial writes through a small send buffer to a
//! slow reader.
//!
//! A writer coroutine sends a byte pattern through a
//! [`net::TcpStream`](simul_coro::net::TcpStream) whose send buffer is
//! small (`SO_SNDBUF` 16 KiB asked) to a reader with a small receive
//! buffer (`SO_RCVBUF` 16 KiB asked) that is slow from the first byte to
//! the last: another OS thread reading 8 KiB at a time and sleeping 1 ms
//! after every read. The writer offers 256 KiB per write, keeps the rest
//! after each short write, and on `WouldBlock` yields
//! `Trap::Writable(fd)` until the scheduler wakes it. Checked:
//!
//! - every byte arrives, in order, then end of file (each read is compared
//!   with the pattern at its offset);
//! - short writes and `WouldBlock` both happened, and the writer had to
//!   wait in every MiB of the stream (the reader was slow throughout);
//! - every wait was answered with `Io(Ok)`, and there were fewer than
//!   one wake-up per KiB sent (about one per 32 KiB here): a wait answered
//!   while the buffer is still full comes back at once, over and over;
//! - the scheduler's thread (`/proc/thread-self/stat`, read on it), which
//!   runs nothing but the writer and so spends the transfer waiting in
//!   the reactor, used under half the CPU ticks of the transfer's length
//!   (the reader's pauses alone last over a second at CI size): a writer
//!   resumed while the buffer is full, or a poll that does not block,
//!   would burn about as much CPU as the time it took;
//! - as many descriptors open at the end as at the start.
//!
//! CI size: 8 MiB (about 1 s). `SIMUL_FULL=1`: the catalogue's 64 MiB
//! (about 13 s). Counts and times are printed (`--nocapture`).

use std::cell::RefCell;
use std::io::{self, Read as _};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant as WallInstant};

use simul_coro::net::TcpStream;
use simul_coro::{CoroutineState::*, Reply, ResumeError, Scheduler, Trap, from_fn};
use simul_reactor::net::TcpStream as RawStream;
use simul_testkit::cpu::thread_cpu_ticks;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Asked `SO_SNDBUF` of the writer and `SO_RCVBUF` of the reader (Linux
/// doubles both for its bookkeeping).
const SMALL_BUFFER: usize = 16 << 10;
/// How much the reader takes per read.
const READ_PIECE: usize = 8 << 10;
/// How long the reader sleeps after every read: at least 1,024 reads at
/// CI size.
const PAUSE: Duration = Duration::from_millis(1);
/// How much the writer offers per write: far more than the buffers hold.
const OFFER: usize = 256 << 10;
/// How long the reader waits for a byte before it fails the test.
const PATIENCE: Duration = Duration::from_secs(30);

/// Bytes to send: CI size, or the catalogue's under `SIMUL_FULL=1`.
fn total() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 64 << 20 } else { 8 << 20 }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// What the writer saw.
#[derive(Debug, Default)]
struct WriterCounts {
    /// Writes that took fewer bytes than offered.
    short_writes: u64,
    /// Writes that took nothing: `WouldBlock`, then a wait.
    would_blocks: u64,
    /// Resumes after a wait.
    wake_ups: u64,
}

#[test]
fn a_slow_reader_behind_small_buffers_gets_every_byte_while_the_writer_waits() {
    let fds = FdSnapshot::take();
    let total = total();
    let data = Arc::new(pattern(total));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    drop(listener);
    let mut s = Scheduler::<()>::new().unwrap();
    let raw = RawStream::from_std(client).unwrap();
    raw.set_send_buffer_size(SMALL_BUFFER).unwrap();
    let sndbuf = raw.send_buffer_size().unwrap();
    assert!(sndbuf <= 4 * SMALL_BUFFER, "SO_SNDBUF not applied: {sndbuf}");
    let writer = Rc::new(TcpStream::from_reactor(&s.io_handle(), raw).unwrap());

    // The slow reader: small reads, a pause after each, every byte checked.
    let raw = RawStream::from_std(server).unwrap();
    raw.set_recv_buffer_size(SMALL_BUFFER).unwrap();
    let rcvbuf = raw.recv_buffer_size().unwrap();
    assert!(rcvbuf <= 4 * SMALL_BUFFER, "SO_RCVBUF not applied: {rcvbuf}");
    let server = raw.into_std();
    server.set_nonblocking(false).unwrap();
    server.set_read_timeout(Some(PATIENCE)).unwrap();
    let expected = data.clone();
    let reader = thread::spawn(move || {
        let mut got = 0usize;
        let mut buf = vec![0u8; READ_PIECE];
        loop {
            let n = match (&server).read(&mut buf) {
                Ok(n) => n,
                // std hands EINTR back (scripts/eintr.sh injects it): retry.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("read after {got} bytes (timed out?): {e}"),
            };
            if n == 0 {
                return got;
            }
            assert!(got + n <= expected.len(), "{} bytes more than were sent", got + n);
            assert!(buf[..n] == expected[got..got + n], "mismatch in bytes {got}..{}", got + n);
            got += n;
            thread::sleep(PAUSE);
        }
    });

    // The writer: 256 KiB offered at a time until `WouldBlock`, then a wait.
    let counts = Rc::new(RefCell::new(WriterCounts::default()));
    let mut waited_in_mib = vec![false; total.div_ceil(1 << 20)];
    let waited = Rc::new(RefCell::new(Vec::new()));
    let (c, w, stream) = (counts.clone(), waited.clone(), writer.clone());
    let fd = writer.as_raw_fd();
    let mut sent = 0usize;
    let writing = from_fn(move |r: Reply<()>| {
        let mut counts = c.borrow_mut();
        match r {
            Reply::Start => {}
            Reply::Io(Ok(())) => counts.wake_ups += 1,
            Reply::Io(Err(e)) => panic!("the wait for writable failed: {e}"),
            _ => return Err(ResumeError::UnexpectedInput { expected: "Io" }),
        }
        while sent < total {
            let end = (sent + OFFER).min(total);
            match stream.try_write(&data[sent..end]) {
                Ok(0) => panic!("a write of {} bytes took none", end - sent),
                Ok(n) => {
                    counts.short_writes += u64::from(n < end - sent);
                    sent += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    counts.would_blocks += 1;
                    waited_in_mib[sent >> 20] = true;
                    return Ok(Yielded(Trap::Writable(fd)));
                }
                Err(e) => panic!("write after {sent} bytes: {e}"),
            }
        }
        stream.shutdown(Shutdown::Write).unwrap();
        *w.borrow_mut() = std::mem::take(&mut waited_in_mib);
        Ok(Complete(()))
    });

    let started = WallInstant::now();
    let cpu_before = thread_cpu_ticks();
    s.run(writing).unwrap();
    let cpu_after = thread_cpu_ticks();
    let elapsed = started.elapsed();
    assert_eq!(reader.join().expect("the reader thread panicked"), total);

    let counts = counts.borrow();
    let ticks = cpu_before.zip(cpu_after).map(|(b, a)| a - b);
    eprintln!(
        "{} MiB (SO_SNDBUF {sndbuf}, SO_RCVBUF {rcvbuf}): {elapsed:?}, {counts:?}, CPU ticks {ticks:?}",
        total >> 20
    );
    assert!(counts.short_writes > 0, "no partial write happened: the test proved nothing");
    assert!(counts.would_blocks > 0, "the writer never had to wait");
    assert_eq!(counts.wake_ups, counts.would_blocks, "every wait ends in one wake-up");
    assert!(counts.wake_ups < (total >> 10) as u64, "woken while the buffer was full: spinning");
    let never = waited.borrow().iter().position(|w| !w);
    assert_eq!(never, None, "the writer never waited in that MiB: the reader was not slow");

    // The reader paused 1 ms after each of at least `total / READ_PIECE`
    // reads, and the writer could not finish before all but the buffers'
    // worth was read: at least a second at CI size, 100 ticks of 10 ms.
    // Spinning that long would cost about as many.
    let spin_ticks = (elapsed.as_millis() / 10) as u64;
    assert!(spin_ticks >= 50, "the transfer took only {elapsed:?}: the reader was not slow");
    if let Some(ticks) = ticks {
        assert!(ticks < spin_ticks / 2, "{ticks} CPU ticks in {elapsed:?} of writing: a busy loop");
    }

    drop((s, writer));
    assert_no_leaks(&fds);
}
