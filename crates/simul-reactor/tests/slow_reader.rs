//! Reliability item 11 for the reactor: partial writes to a slow reader.
//!
//! A writer driven by the reactor sends a byte pattern through a small
//! send buffer (`SO_SNDBUF`) to a reader with a small receive buffer
//! (`SO_RCVBUF`) that stays slow from the first byte to the last: another
//! OS thread reading small pieces and sleeping after every one. The
//! writer must keep the unsent rest after every short write or
//! `WouldBlock`, sleep in `poll` until writable, and carry on. Checked:
//!
//! - every byte arrives, in order, then end of stream (each read is
//!   compared with the pattern at its offset);
//! - short writes and `WouldBlock` both happened, counted, and the writer
//!   had to wait in every MiB of the stream (the reader was slow
//!   throughout, not only at first);
//! - the writing thread's CPU time (`/proc/thread-self/stat`, read on
//!   that thread) over the whole transfer, nearly all of it spent waiting
//!   in `poll`, is under half of the transfer's wall time: a writer that
//!   spun on `WouldBlock`, or a reactor that reported writable while the
//!   buffer was full, would burn about as much CPU as the time it took;
//! - as many descriptors open at the end as at the start.
//!
//! CI size: 16 MiB (about 2 s in a debug build). `SIMUL_FULL=1`: the
//! catalogue's 64 MiB. The test prints its counts and times (`--nocapture`).

mod net_util;
mod util;

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant as WallInstant};

use net_util::{PATIENCE, tcp_pair};
use simul_reactor::{Events, Interest, Reactor, Token};
use simul_testkit::cpu::thread_cpu_ticks;
use simul_testkit::data::pattern;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Requested `SO_SNDBUF` of the writer and `SO_RCVBUF` of the reader
/// (Linux doubles both for bookkeeping): a few refills per 32 KiB read.
const SMALL_BUFFER: usize = 16 << 10;
/// How much the reader takes per `read`.
const READ_PIECE: usize = 8 << 10;
/// How long the reader sleeps after every read: 16 MiB takes at least
/// 2,048 of them, about a second.
const PAUSE: Duration = Duration::from_micros(500);
/// How much the writer offers per write: far more than the buffer holds,
/// so most writes are short.
const OFFER: usize = 256 << 10;

/// Bytes to send: CI size, or `SIMUL_FULL=1`.
fn total() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 64 << 20 } else { 16 << 20 }
}

/// What the writer saw.
#[derive(Debug, Default)]
struct WriterCounts {
    /// Writes that took fewer bytes than offered.
    short_writes: u64,
    /// Writes that took nothing: `WouldBlock`.
    would_blocks: u64,
    /// Times `poll` returned with the writer's event.
    wakeups: u64,
    /// Time spent inside `poll`, waiting for writable.
    waited: Duration,
}

#[test]
fn a_slow_reader_behind_small_buffers_gets_every_byte_while_the_writer_sleeps() {
    let fds_before = FdSnapshot::take();
    let total = total();
    let (writer, reader) = tcp_pair();
    writer.set_send_buffer_size(SMALL_BUFFER).unwrap();
    reader.set_recv_buffer_size(SMALL_BUFFER).unwrap();
    let (sndbuf, rcvbuf) = (writer.send_buffer_size().unwrap(), reader.recv_buffer_size().unwrap());
    assert!(sndbuf <= 4 * SMALL_BUFFER, "SO_SNDBUF not applied: {sndbuf}");
    assert!(rcvbuf <= 4 * SMALL_BUFFER, "SO_RCVBUF not applied: {rcvbuf}");
    let data = Arc::new(pattern(total, 41));

    // The slow reader: a blocking std socket on its own OS thread.
    let expected = Arc::clone(&data);
    let reader = reader.into_std();
    reader.set_nonblocking(false).unwrap();
    reader.set_read_timeout(Some(PATIENCE)).unwrap();
    let slow_reader = std::thread::spawn(move || {
        let mut got = 0usize;
        let mut buf = vec![0u8; READ_PIECE];
        loop {
            let n = match (&reader).read(&mut buf) {
                Ok(n) => n,
                // std's blocking read reports EINTR; a correct reader retries.
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => panic!("read after {got} bytes (timed out?): {e}"),
            };
            if n == 0 {
                return got;
            }
            assert!(got + n <= expected.len(), "{} bytes more than were sent", got + n);
            assert!(buf[..n] == expected[got..got + n], "mismatch in bytes {got}..{}", got + n);
            got += n;
            std::thread::sleep(PAUSE);
        }
    });

    let mut reactor = Reactor::new().unwrap();
    reactor.register(writer.as_raw_fd(), Token(11), Interest::WRITABLE).unwrap();
    let mut events = Events::with_capacity(4);
    let mut counts = WriterCounts::default();
    // Whether the writer had to wait somewhere in each MiB of the stream.
    let mut waited_in_mib = vec![false; total.div_ceil(1 << 20)];
    let start = WallInstant::now();
    let cpu_before = thread_cpu_ticks();
    let mut sent = 0usize;
    let mut attempts = 0u64;
    while sent < total {
        // Write until WouldBlock (the edge-triggered rule), alternating
        // plain and vectored writes.
        loop {
            let end = (sent + OFFER).min(total);
            attempts += 1;
            let result = if attempts.is_multiple_of(2) {
                (&writer).write(&data[sent..end])
            } else {
                let mid = sent + (end - sent) / 2;
                (&writer).write_vectored(&[
                    IoSlice::new(&data[sent..mid]),
                    IoSlice::new(&data[mid..end]),
                ])
            };
            match result {
                Ok(n) => {
                    assert!(n > 0, "a write of a non-empty buffer wrote nothing");
                    counts.short_writes += u64::from(n < end - sent);
                    sent += n;
                    if sent == total {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    counts.would_blocks += 1;
                    waited_in_mib[sent >> 20] = true;
                    break;
                }
                Err(e) => panic!("write after {sent} bytes: {e}"),
            }
        }
        if sent < total {
            let before_poll = WallInstant::now();
            reactor.poll(&mut events, Some(reactor.now() + PATIENCE)).unwrap();
            counts.waited += before_poll.elapsed();
            assert!(!events.is_empty(), "no writable event within {PATIENCE:?}");
            counts.wakeups += 1;
        }
    }
    let cpu_after = thread_cpu_ticks();
    let elapsed = start.elapsed();
    writer.shutdown(Shutdown::Write).unwrap();
    assert_eq!(slow_reader.join().expect("reader thread"), total);

    eprintln!(
        "{} MiB (SO_SNDBUF {sndbuf}, SO_RCVBUF {rcvbuf}): {elapsed:?}, {counts:?}, \
         CPU ticks {:?}",
        total >> 20,
        cpu_before.zip(cpu_after).map(|(b, a)| a - b),
    );
    assert!(counts.short_writes > 0, "no partial write happened: the test proved nothing");
    assert!(counts.would_blocks > 0, "the writer never had to wait");
    let never = waited_in_mib.iter().position(|w| !w);
    assert_eq!(never, None, "the writer never waited in that MiB: the reader was not slow");

    // The writer cannot finish before the reader has paused for all but
    // the last few buffers' worth (over 2,000 pauses at CI size): at least
    // about a second, enough ticks (10 ms each) for the bound to mean
    // something. Spinning that long would cost as many ticks.
    let spin_ticks = (elapsed.as_millis() / 10) as u64;
    assert!(spin_ticks >= 50, "the transfer took only {elapsed:?}: the reader was not slow");
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let ticks = after - before;
        assert!(
            ticks < spin_ticks / 2,
            "{ticks} ticks of CPU in {elapsed:?} of writing, {:?} of it waiting for \
             writable: a busy loop",
            counts.waited
        );
    }

    drop((writer, reactor));
    assert_no_leaks(&fds_before);
}
