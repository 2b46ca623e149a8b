//! Partial writes: 16 MiB through a small send buffer to a slow reader.
//! The writer, driven by the reactor, must keep the unsent rest after
//! every short write or `WouldBlock`, wait for writable, and carry on;
//! the reader must get every byte, in order.

mod net_util;

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::Duration;

use net_util::{PATIENCE, tcp_pair};
use simul_reactor::{Events, Interest, Reactor, Token};
use simul_testkit::data::pattern;

const TOTAL: usize = 16 << 20;

#[test]
fn sixteen_mebibytes_through_a_small_buffer_arrive_byte_exact() {
    let (writer, reader) = tcp_pair();
    // Small next to the 256 KiB offered per write (and fixed: setting it
    // turns Linux's autotuning, up to 4 MiB, off). Much smaller only makes
    // the test slow: every refill costs a thread wake-up on each side.
    writer.set_send_buffer_size(64 << 10).unwrap();
    let data = pattern(TOTAL, 11);

    // The slow reader: a blocking thread that reads small pieces and
    // pauses now and then, so the writer's buffer fills up again and again.
    let expected = data.clone();
    let reader = reader.into_std();
    reader.set_nonblocking(false).unwrap();
    reader.set_read_timeout(Some(PATIENCE)).unwrap();
    let slow_reader = std::thread::spawn(move || {
        let mut got = 0usize;
        let mut buf = [0u8; 1024];
        let mut reads = 0u64;
        loop {
            let n = match (&reader).read(&mut buf) {
                Ok(n) => n,
                // std's blocking read reports EINTR; a correct reader retries.
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => panic!("read (timed out?): {e}"),
            };
            if n == 0 {
                return got;
            }
            assert!(buf[..n] == expected[got..got + n], "mismatch at byte {got}");
            got += n;
            reads += 1;
            if reads.is_multiple_of(512) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });

    let mut reactor = Reactor::new().unwrap();
    reactor.register(writer.as_raw_fd(), Token(9), Interest::WRITABLE).unwrap();
    let mut events = Events::with_capacity(4);
    let (mut sent, mut short_writes, mut would_blocks, mut attempts) = (0usize, 0, 0, 0u64);
    while sent < TOTAL {
        // Write until WouldBlock (the edge-triggered rule), alternating
        // plain and vectored writes; offer 256 KiB at a time, far more
        // than the buffer holds.
        loop {
            let end = (sent + (256 << 10)).min(TOTAL);
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
                    short_writes += usize::from(n < end - sent);
                    sent += n;
                    if sent == TOTAL {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    would_blocks += 1;
                    break;
                }
                Err(e) => panic!("write: {e}"),
            }
        }
        if sent < TOTAL {
            reactor.poll(&mut events, Some(reactor.now() + PATIENCE)).unwrap();
            assert!(!events.is_empty(), "no writable event within {PATIENCE:?}");
        }
    }
    writer.shutdown(Shutdown::Write).unwrap();
    assert_eq!(slow_reader.join().expect("reader thread"), TOTAL);
    assert!(short_writes > 0, "no partial write happened: the test proved nothing");
    assert!(would_blocks > 0, "the writer never had to wait");
}
