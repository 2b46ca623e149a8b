//! Dropping a registered socket deregisters it: the descriptor number,
//! reused by the next socket, brings that socket no stale wake-up.
//!
//! One test in this file: it relies on the kernel handing out the lowest
//! free descriptor number, which another test's thread would disturb.

mod util;

use std::cell::Cell;
use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{CoroutineState::*, Reply, ResumeError, Trap, from_fn};
use util::{tcp_pair_on, virtual_scheduler};

#[test]
fn a_reused_descriptor_number_gets_no_stale_wake_up() {
    let mut s = virtual_scheduler::<Vec<u8>>();
    let io = s.io_handle();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (old, old_peer) = tcp_pair_on(&io, &listener).unwrap();
    let old_fd = old.as_raw_fd();
    assert_eq!(s.poller_updates(), 2);
    // The old socket has an event pending (data from its peer) when it is
    // dropped, unread.
    assert_eq!(old_peer.try_write(b"stale").unwrap(), 5);
    drop(old);
    assert_eq!(s.poller_updates(), 3, "dropping deregistered it");
    // The next socket made takes the same number, and registers fine: the
    // table forgot the old one.
    let (new, new_peer) = tcp_pair_on(&io, &listener).unwrap();
    assert_eq!(new.as_raw_fd(), old_fd, "the kernel reused the number");
    assert_eq!(s.poller_updates(), 5);
    let new = Rc::new(new);
    let wake_ups = Rc::new(Cell::new(0));
    let reader = {
        let (new, wake_ups) = (new.clone(), wake_ups.clone());
        s.spawn(from_fn(move |r: Reply<Vec<u8>>| {
            match r {
                Reply::Start => {}
                Reply::Io(Ok(())) => wake_ups.set(wake_ups.get() + 1),
                _ => return Err(ResumeError::UnexpectedInput { expected: "Io(Ok)" }),
            }
            let mut buf = [0u8; 64];
            match new.try_read(&mut buf) {
                Ok(n) => Ok(Complete(buf[..n].to_vec())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    Ok(Yielded(Trap::Readable(new.as_raw_fd())))
                }
                Err(e) => panic!("read: {e}"),
            }
        }))
    };
    // The only data for the new socket comes at 1 s.
    s.spawn(from_fn(move |r: Reply<Vec<u8>>| match r {
        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
        _ => {
            new_peer.try_write(b"fresh").unwrap();
            Ok(Complete(Vec::new()))
        }
    }));
    s.run_all().unwrap();
    assert_eq!(s.take_result(reader).unwrap().unwrap(), b"fresh");
    assert_eq!(wake_ups.get(), 1, "woken only by the new socket's own event");
    drop(old_peer);
}
