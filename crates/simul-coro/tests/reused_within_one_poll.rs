//! Reliability item 16 within one batch of events: two sockets become
//! ready in the same poll, so both waiting tasks are woken for the same
//! turn; the first of them to run drops the other's socket and makes a
//! new one, which the kernel gives the same descriptor number, and a
//! third task waits on it. The third task must get no wake-up from the
//! old socket's event: it wakes once, for its own bytes. Done twice: with
//! `net` sockets (registered once, the scheduler keeps their readiness)
//! and with plain descriptors (registered per wait, token = the number).
//!
//! The second task, whose socket was dropped after its wake-up was
//! queued, is still resumed with that wake-up (it was true when the
//! event came) and finds its socket gone; what it does with that is its
//! own business.
//!
//! One test in this file: it relies on the kernel handing out the lowest
//! free descriptor number, which another test's thread would disturb,
//! and counts descriptors.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{self, ErrorKind, Read as _, Write as _};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::net::{IoHandle, TcpStream};
use simul_coro::{CoroutineState::*, Reply, Task, TaskId, Trap, from_fn};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::{at_secs, tcp_pair_on, virtual_scheduler};

type R = Result<String, String>;

/// What the test needs from a kind of socket.
trait Socket: AsRawFd + Sized + 'static {
    /// A connected pair, `(ours, peer)`; `ours` takes the lower number.
    fn pair(io: &IoHandle, listener: &std::net::TcpListener) -> (Self, Self);
    /// Reads without waiting; `WouldBlock` means wait.
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `buf` (small: it fits at once).
    fn send(&self, buf: &[u8]);
    /// Makes sure the next wait on it really waits for a new event.
    fn drain(&self) {
        assert_eq!(self.read_now(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
    }
}

impl Socket for TcpStream {
    fn pair(io: &IoHandle, listener: &std::net::TcpListener) -> (Self, Self) {
        tcp_pair_on(io, listener).unwrap()
    }
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_read(buf)
    }
    fn send(&self, buf: &[u8]) {
        assert_eq!(self.try_write(buf).unwrap(), buf.len());
    }
}

impl Socket for UnixStream {
    fn pair(_: &IoHandle, _: &std::net::TcpListener) -> (Self, Self) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }
    /// std hands back `Interrupted` (scripts/eintr.sh injects it): retried.
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match (&mut &*self).read(buf) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
    fn send(&self, buf: &[u8]) {
        let mut w = self;
        loop {
            match w.write_all(buf) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other.unwrap(),
            }
        }
    }
}

/// What the round saw.
#[derive(Default)]
struct Seen {
    /// The turn each of the two first tasks was resumed in, by index.
    turns: [Cell<Option<u32>>; 2],
    /// The ticker's count of turns.
    turn: Cell<u32>,
    /// The first task to resume, and the number it freed and reused.
    first: Cell<Option<(usize, RawFd, RawFd)>>,
    /// The second task found its socket gone.
    victim_found_it_gone: Cell<bool>,
    /// The third task's wake-ups.
    third_wake_ups: Cell<u32>,
    /// The third task.
    third: Cell<Option<TaskId>>,
}

/// Waits on `fd` until it has bytes; counts every wake-up.
fn third<S: Socket>(sock: S, seen: Rc<Seen>) -> Task<R> {
    let fd = sock.as_raw_fd();
    Box::new(from_fn(move |r: Reply<R>| {
        match r {
            Reply::Start => {}
            Reply::Io(Ok(())) => seen.third_wake_ups.set(seen.third_wake_ups.get() + 1),
            other => return Ok(Complete(Err(format!("third: unexpected {other:?}")))),
        }
        let mut buf = [0u8; 64];
        match sock.read_now(&mut buf) {
            Ok(n) => Ok(Complete(Ok(String::from_utf8_lossy(&buf[..n]).into_owned()))),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Yielded(Trap::Readable(fd))),
            Err(e) => Ok(Complete(Err(format!("third: {e}")))),
        }
    }))
}

/// One round with sockets of kind `S`.
fn round<S: Socket>(kind: &str) {
    let mut s = virtual_scheduler::<R>();
    let io = s.io_handle();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (a, a_peer) = S::pair(&io, &listener);
    let (b, b_peer) = S::pair(&io, &listener);
    a.drain();
    b.drain();
    let fds = [a.as_raw_fd(), b.as_raw_fd()];
    let socks: Rc<RefCell<[Option<S>; 2]>> = Rc::new(RefCell::new([Some(a), Some(b)]));
    let seen = Rc::new(Seen::default());
    // The peers stay open to the end: closing them would free lower numbers.
    let peers = Rc::new([a_peer, b_peer]);

    // Counts turns until both waiters have run: it runs once per turn,
    // before the tasks the turn's poll woke.
    let ticker = {
        let seen = seen.clone();
        s.spawn(from_fn(move |_: Reply<R>| {
            seen.turn.set(seen.turn.get() + 1);
            let both = seen.turns.iter().all(|t| t.get().is_some());
            Ok(if both { Complete(Ok(String::new())) } else { Yielded(Trap::YieldNow) })
        }))
    };
    let waiters: Vec<_> = (0..2)
        .map(|i| {
            let (socks, seen, io, peers) = (socks.clone(), seen.clone(), io.clone(), peers.clone());
            let listener = listener.try_clone().unwrap();
            let mut spawned = 0;
            let mut new_peer = None;
            s.spawn(from_fn(move |r: Reply<R>| match r {
                Reply::Start => Ok(Yielded(Trap::Readable(fds[i]))),
                Reply::Io(Ok(())) => {
                    seen.turns[i].set(Some(seen.turn.get()));
                    if seen.first.get().is_some() {
                        // Second to run: woken by the event its socket had
                        // when the poll returned; the socket is gone now.
                        seen.victim_found_it_gone.set(socks.borrow()[i].is_none());
                        return Ok(Complete(Ok("victim".into())));
                    }
                    // First to run: drop the other's socket, unread, and
                    // make a new one on its number. More bytes for the old
                    // socket first: an event the poller holds for it when
                    // it is dropped (for a `net` socket, still registered).
                    let other = 1 - i;
                    peers[other].send(b"stale");
                    let old = socks.borrow_mut()[other].take().unwrap();
                    let old_fd = old.as_raw_fd();
                    drop(old);
                    // Fill any lower gap, so the next socket made gets old_fd.
                    let mut fillers = Vec::new();
                    loop {
                        let f = std::fs::File::open("/dev/null").unwrap();
                        match f.as_raw_fd() {
                            fd if fd == old_fd => break,
                            fd => assert!(fd < old_fd, "fd {old_fd} was taken meanwhile"),
                        }
                        fillers.push(f);
                    }
                    let (new, peer) = S::pair(&io, &listener);
                    drop(fillers);
                    new.drain();
                    seen.first.set(Some((i, old_fd, new.as_raw_fd())));
                    new_peer = Some(peer);
                    Ok(Yielded(Trap::Spawn(third(new, seen.clone()))))
                }
                Reply::Spawned(id) if spawned == 0 => {
                    spawned += 1;
                    seen.third.set(Some(id));
                    // The new socket's only bytes come at 1 s.
                    let peer = new_peer.take().unwrap();
                    Ok(Yielded(Trap::Spawn(Box::new(from_fn(move |r: Reply<R>| match r {
                        Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
                        _ => {
                            peer.send(b"fresh");
                            Ok(Complete(Ok(String::new())))
                        }
                    })))))
                }
                Reply::Spawned(_) => Ok(Complete(Ok("first".into()))),
                other => Ok(Complete(Err(format!("waiter {i}: unexpected {other:?}")))),
            }))
        })
        .collect();
    // After both wait: bytes for both, so one poll reports both.
    s.spawn({
        let peers = peers.clone();
        from_fn(move |_: Reply<R>| {
            peers[0].send(b"a");
            peers[1].send(b"b");
            Ok(Complete(Ok(String::new())))
        })
    });
    s.run_all().unwrap();

    let turns = [seen.turns[0].get(), seen.turns[1].get()];
    assert!(turns[0].is_some() && turns[0] == turns[1], "{kind}: woken by one poll: {turns:?}");
    let (first, old_fd, new_fd) = seen.first.get().unwrap();
    assert_eq!(old_fd, new_fd, "{kind}: the number was reused");
    assert_eq!(old_fd, fds[1 - first]);
    assert!(seen.victim_found_it_gone.get(), "{kind}");
    assert_eq!(seen.third_wake_ups.get(), 1, "{kind}: woken only by its own bytes");
    let third = seen.third.get().unwrap();
    assert_eq!(s.take_result(third), Some(Ok(Ok("fresh".to_string()))), "{kind}");
    assert_eq!(s.take_result(ticker), Some(Ok(Ok(String::new()))));
    let outcomes: Vec<_> = waiters.iter().map(|id| s.take_result(*id).unwrap().unwrap()).collect();
    assert_eq!(outcomes[first], Ok("first".to_string()), "{kind}");
    assert_eq!(outcomes[1 - first], Ok("victim".to_string()), "{kind}");
    assert_eq!(s.now(), at_secs(1), "{kind}");
    drop((socks, peers));
}

#[test]
fn a_number_reused_within_one_poll_gets_no_stale_wake_up() {
    let fds = FdSnapshot::take();
    round::<TcpStream>("net sockets");
    round::<UnixStream>("plain descriptors");
    assert_no_leaks(&fds);
}
