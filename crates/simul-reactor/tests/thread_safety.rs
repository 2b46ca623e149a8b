//! The reactor's values cross threads the same way on every backend.
//!
//! kqueue's event record declares its user-data field as a pointer, which
//! would make the event buffer neither `Send` nor `Sync`; simul stores an
//! integer token there, and promises the buffer is both on every platform.
//! This file fails to compile if that promise breaks (CI compiles it for
//! Linux, FreeBSD and macOS) and runs the hand-over on Linux.

use simul_reactor::{Event, Events, Interest, Notifier, Reactor, Token};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

const fn send_and_sync<T: Send + Sync>() {}
const _: () = {
    send_and_sync::<Events>();
    send_and_sync::<Event>();
    send_and_sync::<Notifier>();
};

#[test]
fn events_filled_here_are_read_on_another_thread() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    reactor.register(b.as_raw_fd(), Token(9), Interest::READABLE).unwrap();
    a.write_all(b"x").unwrap();

    let mut events = Events::with_capacity(8);
    while events.is_empty() {
        reactor.poll(&mut events, None).unwrap();
    }
    let tokens = std::thread::spawn(move || events.iter().map(|e| e.token()).collect::<Vec<_>>())
        .join()
        .unwrap();
    assert_eq!(tokens, [Token(9)]);
}
