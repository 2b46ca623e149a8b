//! Misuse of registration gives clear errors and leaves working
//! registrations alone.

mod util;

use simul_reactor::{Interest, Reactor, Token};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;
use util::poll_events;

#[test]
fn bad_registrations_are_errors_and_the_good_one_keeps_working() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    reactor.register(b.as_raw_fd(), Token(1), Interest::READABLE).unwrap();

    let e = reactor.register(-1, Token(2), Interest::READABLE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("-1"), "{e}");

    let e = reactor.register(b.as_raw_fd(), Token(2), Interest::READABLE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.to_string().contains("already registered"), "{e}");

    let e = reactor.register(b.as_raw_fd(), Token::NOTIFIER, Interest::READABLE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    // A closed descriptor: take a number and close it. Another test thread
    // may reuse the number before we register it; then try again.
    let e = (0..100)
        .find_map(|_| {
            let closed = UnixStream::pair().unwrap().0.as_raw_fd();
            match reactor.register(closed, Token(3), Interest::READABLE) {
                Err(e) => Some(e),
                Ok(()) => {
                    reactor.deregister(closed).unwrap();
                    None
                }
            }
        })
        .expect("a closed descriptor was refused");
    assert!(e.to_string().contains("not an open file descriptor"), "{e}");

    // A regular file: epoll refuses it (kqueue accepts it: always ready).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let e = reactor.register(file.as_raw_fd(), Token(4), Interest::READABLE).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    }

    // Unknown deregistration.
    let (x, _y) = UnixStream::pair().unwrap();
    let e = reactor.deregister(x.as_raw_fd()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = reactor.reregister(x.as_raw_fd(), Token(5), Interest::READABLE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // After all that, the first registration still works.
    a.write_all(b"ok").unwrap();
    let evs = poll_events(&mut reactor, Duration::from_secs(5));
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].token(), Token(1));
}
