//! What a wait costs in poller changes (`epoll_ctl` calls on Linux), as
//! counted by `Scheduler::poller_updates`: nothing per wait for a
//! registered socket, two per wait for a plain descriptor.

mod util;

use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use simul_coro::{Coroutine, CoroutineState::*, Reply, Scheduler, Trap, from_fn};
use util::tcp_pair;

const MSG: usize = 64;

/// One side of a ping-pong: the client writes MSG bytes and reads them
/// back `rounds` times; the server (`rounds == None`) echoes until EOF.
/// Returns how many waits it yielded.
fn side(
    fd: RawFd,
    read: impl Fn(&mut [u8]) -> io::Result<usize> + 'static,
    write: impl Fn(&[u8]) -> io::Result<usize> + 'static,
    rounds: Option<u64>,
) -> impl Coroutine<Reply<u64>, Yield = Trap<u64>, Return = u64> {
    let mut buf = [0u8; MSG];
    let (mut done, mut writing, mut left, mut waits) = (0, rounds.is_some(), rounds, 0);
    from_fn(move |_: Reply<u64>| {
        loop {
            if left == Some(0) {
                return Ok(Complete(waits));
            }
            let r = if writing { write(&buf[done..]) } else { read(&mut buf[done..]) };
            match r {
                Ok(0) if !writing => return Ok(Complete(waits)),
                Ok(n) => {
                    done += n;
                    if done == MSG {
                        done = 0;
                        if !writing && let Some(l) = &mut left {
                            *l -= 1;
                        }
                        writing = !writing;
                    }
                }
                // The plain descriptors are std's, whose read and write
                // hand an interrupted call back (simul's sockets retry it
                // inside); a coroutine over them retries it itself.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    waits += 1;
                    return Ok(Yielded(if writing {
                        Trap::Writable(fd)
                    } else {
                        Trap::Readable(fd)
                    }));
                }
                Err(e) => panic!("ping-pong: {e}"),
            }
        }
    })
}

/// Poller changes made during `rounds` round trips over registered
/// sockets, and the waits the client yielded.
fn registered(rounds: u64) -> (u64, u64) {
    let mut s = Scheduler::<u64>::new().unwrap();
    let (client, server) = tcp_pair(&s.io_handle()).unwrap();
    let (client, server) = (Rc::new(client), Rc::new(server));
    let before = s.poller_updates();
    let (r, w) = (server.clone(), server.clone());
    s.spawn(side(server.as_raw_fd(), move |b| r.try_read(b), move |b| w.try_write(b), None));
    let (r, w) = (client.clone(), client.clone());
    let fd = client.as_raw_fd();
    let waits = s.run(side(fd, move |b| r.try_read(b), move |b| w.try_write(b), Some(rounds)));
    let waits = waits.unwrap();
    drop(client); // EOF for the server, which then ends
    s.run_all().unwrap();
    drop(server);
    (s.poller_updates() - before, waits)
}

/// The same over plain descriptors, which the scheduler registers per wait.
fn plain(rounds: u64) -> (u64, u64) {
    let mut s = Scheduler::<u64>::new().unwrap();
    let (client, server) = std::os::unix::net::UnixStream::pair().unwrap();
    client.set_nonblocking(true).unwrap();
    server.set_nonblocking(true).unwrap();
    let (client, server) = (Rc::new(client), Rc::new(server));
    let (r, w) = (server.clone(), server.clone());
    s.spawn(side(server.as_raw_fd(), move |b| (&*r).read(b), move |b| (&*w).write(b), None));
    let (r, w) = (client.clone(), client.clone());
    let fd = client.as_raw_fd();
    let waits = s.run(side(fd, move |b| (&*r).read(b), move |b| (&*w).write(b), Some(rounds)));
    let waits = waits.unwrap();
    drop(client);
    s.run_all().unwrap();
    (s.poller_updates(), waits)
}

#[test]
fn a_registered_socket_costs_no_poller_change_per_wait() {
    for rounds in [10, 1000] {
        let (updates, waits) = registered(rounds);
        assert!(waits >= rounds, "the client waited for every echo: {waits}");
        // The two deregistrations when the sockets drop, and nothing else.
        assert_eq!(updates, 2, "{rounds} round trips");
    }
}

#[test]
fn a_plain_descriptor_costs_two_poller_changes_per_wait() {
    let (updates, client_waits) = plain(1000);
    assert!(client_waits >= 1000);
    // Register and deregister for each of the client's waits and at least
    // as many of the server's (it waits for every message, plus EOF).
    assert!(updates >= 2 * (2 * client_waits), "{updates} for {client_waits} client waits");
    assert_eq!(updates % 2, 0);
}
