//! A descriptor closed while registered: no event for it, and its number
//! can be registered again once reused.

mod util;

use simul_reactor::{Interest, Reactor, Token};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;
use util::poll_events;

#[test]
fn closing_without_deregistering_forgets_the_registration() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    let num = b.as_raw_fd();
    reactor.register(num, Token(1), Interest::READABLE).unwrap();
    drop(b);
    // The peer hears the close; our side reports nothing for the dead fd.
    let _ = a.write_all(b"into the void");
    assert!(poll_events(&mut reactor, Duration::from_millis(20)).is_empty());

    // Create descriptors until one reuses the number, then register it:
    // the kernel dropped the old registration, so this must succeed and
    // report under the new token only.
    let mut keep = Vec::new();
    let reused = loop {
        let (c, d) = UnixStream::pair().unwrap();
        if c.as_raw_fd() == num {
            break (c, d);
        }
        if d.as_raw_fd() == num {
            break (d, c);
        }
        keep.push((c, d));
        assert!(keep.len() < 1000, "fd number {num} never reused");
    };
    let (mine, mut peer) = reused;
    reactor.register(mine.as_raw_fd(), Token(2), Interest::READABLE).unwrap();
    peer.write_all(b"fresh").unwrap();
    let evs = poll_events(&mut reactor, Duration::from_secs(5));
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].token(), Token(2));
}
