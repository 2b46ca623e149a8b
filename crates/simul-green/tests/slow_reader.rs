//! Reliability item 11 for green threads: partial writes to a slow reader.
//!
//! On a real-clock hub, the main green thread writes a byte pattern with
//! plain `Write::write` on a [`TcpStream`] whose send buffer is small
//! (`SO_SNDBUF`), to a reader green thread whose receive buffer is small
//! too (`SO_RCVBUF`) and which stays slow from the first byte to the last:
//! it reads small pieces and `sleep`s after every one. The writer gets
//! short writes and parks (inside `write`) whenever the buffer is full;
//! the hub then sleeps in the reactor until the reader's timer or the
//! writer's socket is due. Checked:
//!
//! - every byte arrives, in order, then end of stream (each read is
//!   compared with the pattern at its offset);
//! - short writes happened and the writer parked for writable, both
//!   counted (parks from the hub's trace hook), and it parked in every
//!   MiB of the stream (the reader was slow throughout, not only at first);
//! - the hub thread's CPU time (`/proc/thread-self/stat`, read on that
//!   thread: both green threads run on it) over the whole transfer is
//!   under half of the transfer's wall time: a hub that spun while the
//!   writer was parked and the reader asleep, or a writer woken while the
//!   buffer was still full, would burn about as much CPU as the time it
//!   took;
//! - as many descriptors open at the end as at the start.
//!
//! The sockets are made with `simul_reactor::net` (which can set the
//! buffer sizes) and wrapped with `TcpStream::from`; all I/O goes through
//! the hub, so none can see std's `Interrupted` under scripts/eintr.sh.
//!
//! CI size: 16 MiB (about 2 s in a debug build). `SIMUL_FULL=1`: the
//! catalogue's 64 MiB. The test prints its counts and times (`--nocapture`).

use std::cell::{Cell, RefCell};
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::{Duration, Instant as WallInstant};

use simul_green::net::TcpStream;
use simul_green::{Hub, TraceEvent, Wait};
use simul_reactor::Interest;
use simul_reactor::net as raw;
use simul_testkit::cpu::thread_cpu_ticks;
use simul_testkit::data::pattern;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Requested `SO_SNDBUF` of the writer and `SO_RCVBUF` of the reader
/// (Linux doubles both for bookkeeping).
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

/// A connected loopback pair `(writer, reader)` with small buffers, made
/// inside the hub: the accept parks until the connection is queued.
fn small_buffered_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = raw::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let writer = raw::TcpStream::connect(listener.local_addr()?)?;
    writer.set_send_buffer_size(SMALL_BUFFER)?;
    let reader = loop {
        match listener.accept() {
            Ok((reader, _)) => break reader,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                simul_green::wait_fd(listener.as_raw_fd(), Interest::READABLE)?
            }
            Err(e) => return Err(e),
        }
    };
    reader.set_recv_buffer_size(SMALL_BUFFER)?;
    let (sndbuf, rcvbuf) = (writer.send_buffer_size()?, reader.recv_buffer_size()?);
    assert!(sndbuf <= 4 * SMALL_BUFFER, "SO_SNDBUF not applied: {sndbuf}");
    assert!(rcvbuf <= 4 * SMALL_BUFFER, "SO_RCVBUF not applied: {rcvbuf}");
    Ok((TcpStream::from(writer), TcpStream::from(reader)))
}

/// What the writer saw.
#[derive(Debug)]
struct Transfer {
    /// Writes that took fewer bytes than offered.
    short_writes: u64,
    /// The writer's descriptor, to find its parks in the trace.
    writer_fd: RawFd,
    /// From the first write until the last byte was in the send buffer.
    elapsed: Duration,
    /// The hub thread's CPU ticks over `elapsed`, where measurable.
    cpu_ticks: Option<u64>,
}

#[test]
fn a_slow_reader_behind_small_buffers_gets_every_byte_while_the_writer_parks() {
    let fds_before = FdSnapshot::take();
    let total = total();
    // Every park, with how many bytes the writer had sent by then.
    let parks: Rc<RefCell<Vec<(Wait, usize)>>> = Rc::default();
    let sent = Rc::new(Cell::new(0usize));
    let (parks_seen, sent_seen) = (parks.clone(), sent.clone());
    let hub = Hub::builder()
        .trace(move |event| {
            if let TraceEvent::Park { wait, .. } = *event {
                parks_seen.borrow_mut().push((wait, sent_seen.get()));
            }
        })
        .build()
        .unwrap();

    let transfer = hub
        .run(move || -> io::Result<Transfer> {
            let data = Rc::new(pattern(total, 47));
            let (writer, reader) = small_buffered_pair()?;
            let expected = data.clone();
            let slow_reader = simul_green::spawn(move || -> io::Result<usize> {
                let mut got = 0usize;
                let mut buf = vec![0u8; READ_PIECE];
                loop {
                    let n = (&reader).read(&mut buf)?;
                    if n == 0 {
                        return Ok(got);
                    }
                    assert!(got + n <= expected.len(), "{} bytes more than sent", got + n);
                    assert!(buf[..n] == expected[got..got + n], "mismatch in {got}..{}", got + n);
                    got += n;
                    simul_green::sleep(PAUSE)?;
                }
            })?;

            let start = WallInstant::now();
            let cpu_before = thread_cpu_ticks();
            let mut short_writes = 0u64;
            while sent.get() < total {
                let (from, to) = (sent.get(), (sent.get() + OFFER).min(total));
                let n = (&writer).write(&data[from..to])?;
                assert!(n > 0, "a write of a non-empty buffer wrote nothing");
                short_writes += u64::from(n < to - from);
                sent.set(from + n);
            }
            let cpu_ticks = thread_cpu_ticks().zip(cpu_before).map(|(a, b)| a - b);
            let elapsed = start.elapsed();
            writer.shutdown(Shutdown::Write)?;
            assert_eq!(slow_reader.join().map_err(io::Error::from)??, total);
            Ok(Transfer { short_writes, writer_fd: writer.as_raw_fd(), elapsed, cpu_ticks })
        })
        .unwrap()
        .unwrap();
    drop(hub);

    let parks = parks.take();
    let writer_parks: Vec<usize> = parks
        .iter()
        .filter(|(wait, _)| {
            matches!(wait, Wait::Io { fd, interest }
                if *fd == transfer.writer_fd && interest.is_writable())
        })
        .map(|&(_, sent)| sent)
        .collect();
    let reader_sleeps = parks.iter().filter(|(wait, _)| matches!(wait, Wait::Sleep(_))).count();
    eprintln!(
        "{} MiB: {transfer:?}, {} writer parks, {reader_sleeps} reader sleeps",
        total >> 20,
        writer_parks.len(),
    );
    assert!(transfer.short_writes > 0, "no partial write happened: the test proved nothing");
    let mut parked_in_mib = vec![false; total.div_ceil(1 << 20)];
    for sent in &writer_parks {
        parked_in_mib[sent >> 20] = true;
    }
    let never = parked_in_mib.iter().position(|p| !p);
    assert_eq!(never, None, "the writer never parked in that MiB: the reader was not slow");

    // The writer cannot finish before the reader has slept for all but
    // the last few buffers' worth (over 2,000 pauses at CI size): at least
    // about a second, enough ticks (10 ms each) for the bound to mean
    // something. Spinning that long would cost as many ticks.
    let spin_ticks = (transfer.elapsed.as_millis() / 10) as u64;
    assert!(spin_ticks >= 50, "the transfer took only {:?}: the reader was not slow", {
        transfer.elapsed
    });
    if let Some(ticks) = transfer.cpu_ticks {
        assert!(
            ticks < spin_ticks / 2,
            "{ticks} ticks of CPU in {:?} of a writer parked and a reader asleep: a busy loop",
            transfer.elapsed
        );
    }
    assert_no_leaks(&fds_before);
}
