//! Pipes: non-blocking ends, a full pipe, end of file, and a closed reader.

mod net_util;

use std::io::{ErrorKind, Read, Write};

use net_util::wait;
use simul_reactor::Interest;
use simul_reactor::net::pipe;
use simul_testkit::data::pattern;

#[test]
fn an_empty_pipe_would_block_and_eof_follows_the_writer() {
    let (reader, writer) = pipe().unwrap();
    let mut buf = [0u8; 16];
    assert_eq!((&reader).read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    (&writer).write_all(b"data").unwrap();
    wait(&reader, Interest::READABLE);
    assert_eq!((&reader).read(&mut buf).unwrap(), 4);
    drop(writer);
    for _ in 0..3 {
        assert_eq!((&reader).read(&mut buf).unwrap(), 0, "EOF stays EOF");
    }
}

#[test]
fn a_full_pipe_would_block_then_drains_byte_exact() {
    let (reader, writer) = pipe().unwrap();
    let data = pattern(1 << 20, 5);
    let (mut sent, mut got, mut would_blocks) = (0, Vec::new(), 0);
    let mut buf = vec![0u8; 32 << 10];
    while got.len() < data.len() {
        while sent < data.len() {
            match (&writer).write(&data[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    would_blocks += 1;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        wait(&reader, Interest::READABLE);
        loop {
            match (&reader).read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(would_blocks > 0, "1 MiB should not fit in a pipe");
    assert!(got == data);
}

#[test]
fn writing_without_a_reader_is_broken_pipe() {
    // The Rust runtime ignores SIGPIPE, so the write fails instead of
    // killing the process (pipes have no MSG_NOSIGNAL).
    let (reader, writer) = pipe().unwrap();
    drop(reader);
    assert_eq!((&writer).write(b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert!(format!("{writer:?}").contains("PipeWriter"));
}
