//! Reliability item 11 for futures: partial writes through a small send
//! buffer to a slow reader.
//!
//! A task writes a byte pattern through a simul [`TcpStream`] whose send
//! buffer is small (`SO_SNDBUF` 16 KiB asked) to a reader with a small
//! receive buffer (`SO_RCVBUF` 16 KiB asked) that is slow from the first
//! byte to the last: an OS thread reading 8 KiB at a time and sleeping
//! 1 ms after every read. The writer offers 256 KiB per `poll_write`,
//! keeps the rest after each short write, and when `poll_write` is
//! `Pending` (the socket said `WouldBlock`) waits to be woken. Checked:
//!
//! - every byte arrives, in order, then end of stream (each read is
//!   compared with the pattern at its offset);
//! - short writes and `Pending` writes both happened, and the writer had
//!   to wait in every MiB of the stream (the reader was slow throughout);
//! - fewer than one wake-up of the writer per 4 KiB sent, and at most a
//!   quarter of them finding the buffer still full: a writer woken while
//!   the buffer is full comes back at once, over and over;
//! - the runtime's thread (`/proc/thread-self/stat`), which runs nothing
//!   but the writer and so spends the transfer waiting in the reactor,
//!   used under half the CPU ticks of the reader's pauses alone (which
//!   the transfer cannot be shorter than): a writer polled while the
//!   buffer is full, or a wait that does not block, would burn about as
//!   much CPU as the transfer takes;
//! - as many descriptors open at the end as at the start.
//!
//! simul-future's `TcpStream` has no buffer-size setter, so the test
//! finds its descriptor by its local address and sets `SO_SNDBUF` on a
//! duplicate (the option belongs to the socket, which both share).
//!
//! CI size: 8 MiB (over a second of pauses). `SIMUL_FULL=1`: the
//! catalogue's 64 MiB. Counts are printed (`--nocapture`).

use std::future::poll_fn;
use std::io::{self, Read as _};
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use simul_future::{AsyncWrite, Runtime, TcpStream};
use simul_reactor::net::TcpStream as RawStream;
use simul_testkit::cpu::thread_cpu_ticks;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Asked `SO_SNDBUF` of the writer and `SO_RCVBUF` of the reader (Linux
/// doubles both for its bookkeeping).
const SMALL_BUFFER: usize = 16 << 10;
/// How much the reader takes per read.
const READ_PIECE: usize = 8 << 10;
/// How long the reader sleeps after every read.
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

/// A duplicate of this process's TCP socket whose local address is
/// `local` and peer `peer`, found through `/proc/self/fd`.
fn duplicate_of(local: SocketAddr, peer: SocketAddr) -> RawStream {
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let entry = entry.unwrap();
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        if !target.to_string_lossy().starts_with("socket:") {
            continue;
        }
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<RawFd>() else { continue };
        // SAFETY: the descriptor is open (just listed) and stays open while
        // borrowed: this test's thread is the only one that closes any of
        // its descriptors, and the reader thread does not exist yet.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let Ok(dup) = borrowed.try_clone_to_owned() else { continue };
        let stream = std::net::TcpStream::from(dup);
        if stream.local_addr().ok() == Some(local) && stream.peer_addr().ok() == Some(peer) {
            return RawStream::from_std(stream).unwrap();
        }
    }
    panic!("no descriptor with local address {local}");
}

/// What the writer saw.
#[derive(Debug, Default)]
struct WriterCounts {
    /// Writes that took fewer bytes than offered.
    short_writes: u64,
    /// Writes that were `Pending`: `WouldBlock`, then a wait.
    pending: u64,
    /// Polls after a `Pending`: wake-ups.
    wake_ups: u64,
    /// Wake-ups that found the buffer still full (`Pending` again).
    fruitless: u64,
}

#[test]
fn a_slow_reader_behind_small_buffers_gets_every_byte_while_the_writer_waits() {
    let fds = FdSnapshot::take();
    let total = total();
    let data = Arc::new(pattern(total));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();

    let mut rt = Runtime::new().unwrap();
    let (counts, waited, ticks, sndbuf, rcvbuf, pauses) = rt
        .block_on(async {
            let mut writer = TcpStream::connect(addr).await.unwrap();
            let (server, _) = loop {
                match listener.accept() {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r.unwrap(),
                }
            };
            drop(listener);
            let dup = duplicate_of(writer.local_addr().unwrap(), addr);
            dup.set_send_buffer_size(SMALL_BUFFER).unwrap();
            let sndbuf = dup.send_buffer_size().unwrap();
            assert!(sndbuf <= 4 * SMALL_BUFFER, "SO_SNDBUF not applied: {sndbuf}");
            drop(dup);

            // The slow reader: small reads, a pause after each, every byte
            // checked.
            let raw = RawStream::from_std(server).unwrap();
            raw.set_recv_buffer_size(SMALL_BUFFER).unwrap();
            let rcvbuf = raw.recv_buffer_size().unwrap();
            assert!(rcvbuf <= 4 * SMALL_BUFFER, "SO_RCVBUF not applied: {rcvbuf}");
            let server = raw.into_std();
            server.set_nonblocking(false).unwrap();
            server.set_read_timeout(Some(PATIENCE)).unwrap();
            let expected = data.clone();
            let reader = thread::spawn(move || {
                let (mut got, mut pauses) = (0usize, 0u64);
                let mut buf = vec![0u8; READ_PIECE];
                loop {
                    let n = match (&server).read(&mut buf) {
                        Ok(n) => n,
                        // std hands EINTR back (scripts/eintr.sh injects it).
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => panic!("read after {got} bytes (timed out?): {e}"),
                    };
                    if n == 0 {
                        return (got, pauses);
                    }
                    assert!(got + n <= expected.len(), "{} bytes more than sent", got + n);
                    assert!(buf[..n] == expected[got..got + n], "mismatch in {got}..{}", got + n);
                    got += n;
                    thread::sleep(PAUSE);
                    pauses += 1;
                }
            });

            // The writer: 256 KiB offered at a time; on `Pending`, wait.
            let mut counts = WriterCounts::default();
            let mut waited_in_mib = vec![false; total.div_ceil(1 << 20)];
            let mut sent = 0usize;
            let mut was_pending = false;
            let cpu_before = thread_cpu_ticks();
            while sent < total {
                let end = (sent + OFFER).min(total);
                let chunk = &data[sent..end];
                let n = poll_fn(|cx| {
                    let woken = was_pending;
                    let poll = Pin::new(&mut writer).poll_write(cx, chunk);
                    was_pending = poll.is_pending();
                    counts.wake_ups += u64::from(woken);
                    counts.fruitless += u64::from(woken && was_pending);
                    if was_pending {
                        counts.pending += 1;
                        waited_in_mib[sent >> 20] = true;
                    }
                    poll
                })
                .await
                .unwrap();
                assert_ne!(n, 0, "a write of {} bytes took none", chunk.len());
                counts.short_writes += u64::from(n < chunk.len());
                sent += n;
            }
            writer.shutdown().unwrap();
            let cpu_after = thread_cpu_ticks();
            let (got, pauses) = reader.join().expect("the reader thread panicked");
            assert_eq!(got, total);
            let ticks = cpu_before.zip(cpu_after).map(|(b, a)| a - b);
            (counts, waited_in_mib, ticks, sndbuf, rcvbuf, pauses)
        })
        .unwrap();

    eprintln!(
        "{} MiB (SO_SNDBUF {sndbuf}, SO_RCVBUF {rcvbuf}): {counts:?}, {pauses} pauses, \
         CPU ticks {ticks:?}",
        total >> 20
    );
    assert!(counts.short_writes > 0, "no partial write happened: the test proved nothing");
    assert!(counts.pending > 0, "the writer never had to wait");
    assert!(counts.fruitless * 4 <= counts.wake_ups, "woken while the buffer was still full");
    assert!(counts.wake_ups < (total >> 12) as u64, "woken while the buffer was full: spinning");
    let never = waited.iter().position(|w| !w);
    assert_eq!(never, None, "the writer never waited in that MiB: the reader was not slow");

    // The writer cannot finish before the reader has taken all but the
    // buffers' worth, so the transfer lasts at least the reader's pauses:
    // over a second at CI size, 100 ticks of 10 ms. Spinning that long
    // would cost about as many.
    let spin_ticks = pauses * PAUSE.as_millis() as u64 / 10;
    assert!(spin_ticks >= 50, "only {pauses} pauses: the reader was not slow");
    if let Some(ticks) = ticks {
        assert!(ticks < spin_ticks / 2, "{ticks} CPU ticks for {pauses} ms of pauses: a busy loop");
    }

    drop(rt);
    assert_no_leaks(&fds);
}
