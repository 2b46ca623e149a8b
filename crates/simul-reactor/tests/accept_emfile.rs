//! Accepting when the process is out of descriptors: `accept` reports
//! `EMFILE`, the queued connection waits in the kernel, established
//! connections keep working, and accepting resumes once a descriptor is
//! free; meanwhile the listener is not reported again, so a loop does not
//! spin. (This file holds one test: the descriptor limit is per process.)

mod net_util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;

use net_util::{PATIENCE, tcp_pair};
use simul_reactor::net::{TcpListener, TcpStream, UdpSocket};
use simul_reactor::{Events, Interest, Reactor, Token};

/// Sets the soft descriptor limit, returning the old limits.
fn set_soft_limit(soft: libc::rlim_t) -> libc::rlimit {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into a live local.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) }, 0);
    let new = libc::rlimit { rlim_cur: soft.min(old.rlim_max), rlim_max: old.rlim_max };
    // SAFETY: setrlimit reads one rlimit from a live local.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) }, 0);
    old
}

#[test]
fn accept_under_emfile_reports_it_and_resumes() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let (client, server) = tcp_pair();
    let mut reactor = Reactor::new().unwrap();
    reactor.register(listener.as_raw_fd(), Token(0), Interest::READABLE).unwrap();
    let mut events = Events::with_capacity(4);

    // Hold every descriptor the (lowered) limit allows. The limit bounds
    // descriptor *numbers*, so it goes a little above the highest in use.
    let highest = std::fs::read_dir("/proc/self/fd")
        .or_else(|_| std::fs::read_dir("/dev/fd"))
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<usize>().ok()).max())
        .ok()
        .flatten()
        .unwrap_or(64);
    let old = set_soft_limit((highest + 32) as libc::rlim_t);
    let pending = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let mut fillers = Vec::new();
    let exhausted = loop {
        match UdpSocket::bind("127.0.0.1:0".parse().unwrap()) {
            Ok(socket) => fillers.push(socket),
            Err(e) => break e,
        }
        assert!(fillers.len() < 4096, "the limit did not bite");
    };
    assert_eq!(exhausted.raw_os_error(), Some(libc::EMFILE), "{exhausted}");

    // The connection is queued; accepting it needs a descriptor we lack.
    reactor.poll(&mut events, Some(reactor.now() + PATIENCE)).unwrap();
    assert!(events.iter().any(|e| e.token() == Token(0)), "listener not readable");
    let err = listener.accept().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
    // It stays queued (a loop retrying at once would spin: back off).
    let again = listener.accept().unwrap_err();
    assert_eq!(again.raw_os_error(), Some(libc::EMFILE), "{again}");
    // Nor does the reactor report the listener again while the connection
    // stays queued: an event loop polling here sleeps to its deadline
    // instead of being woken over and over to fail the same accept.
    let mut polls_with_events = 0;
    for _ in 0..5 {
        let soon = reactor.now() + std::time::Duration::from_millis(10);
        reactor.poll(&mut events, Some(soon)).unwrap();
        polls_with_events += usize::from(events.iter().any(|e| e.token() == Token(0)));
    }
    assert_eq!(polls_with_events, 0, "the listener was reported again: an accept loop would spin");

    // Established connections are unaffected.
    (&client).write_all(b"still here").unwrap();
    let mut buf = [0u8; 16];
    let start = std::time::Instant::now();
    let n = loop {
        match (&server).read(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                assert!(start.elapsed() < PATIENCE, "the echo never arrived");
                std::thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(&buf[..n], &b"still here"[..n]);

    // Free one descriptor: the queued connection is accepted.
    fillers.pop();
    let (accepted, peer) = listener.accept().expect("accept resumes once a descriptor is free");
    assert_eq!(peer, pending.local_addr().unwrap());
    drop((accepted, fillers));
    set_soft_limit(old.rlim_cur);
}
