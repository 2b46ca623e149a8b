//! Parking on descriptors: `wait_fd` under both clocks.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use simul_green::Hub;
use simul_reactor::{Clock, Interest};

/// Held by every test here: one of them finds its hub's epoll descriptor
/// as the one that appears in /proc/self/fd, and leaves a descriptor
/// number closed; another test's hub or socket would disturb both.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads until `WouldBlock` or EOF, parking on the descriptor between.
fn read_some(s: &mut UnixStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match s.read(buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                simul_green::wait_fd(s.as_raw_fd(), Interest::READABLE)?
            }
            // std's sockets hand EINTR back (simul's retry it); so must we.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn write_all(s: &mut UnixStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        match s.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                simul_green::wait_fd(s.as_raw_fd(), Interest::WRITABLE)?
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[test]
fn echo_between_green_threads_byte_exact() {
    let _serial = serial();
    for clock in [Clock::real(), Clock::new_virtual()] {
        let hub = Hub::with_clock(clock).unwrap();
        let received = hub
            .run(|| {
                let (mut client, mut server) = UnixStream::pair().unwrap();
                client.set_nonblocking(true).unwrap();
                server.set_nonblocking(true).unwrap();
                let echo = simul_green::spawn(move || -> std::io::Result<usize> {
                    let mut buf = [0u8; 4096];
                    let mut total = 0;
                    loop {
                        let n = read_some(&mut server, &mut buf)?;
                        if n == 0 {
                            return Ok(total);
                        }
                        total += n;
                        write_all(&mut server, &buf[..n])?;
                    }
                })
                .unwrap();
                // 1 MiB: more than the socket buffers, so both sides park.
                let data: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
                let mut reader = client.try_clone().unwrap();
                let expected = data.clone();
                let collector = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
                    let mut got = Vec::new();
                    let mut buf = [0u8; 8192];
                    while got.len() < expected.len() {
                        let n = read_some(&mut reader, &mut buf)?;
                        assert!(n > 0, "early EOF");
                        got.extend_from_slice(&buf[..n]);
                    }
                    Ok(got)
                })
                .unwrap();
                write_all(&mut client, &data).unwrap();
                let got = collector.join().unwrap().unwrap();
                client.shutdown(std::net::Shutdown::Write).unwrap();
                assert_eq!(echo.join().unwrap().unwrap(), data.len());
                got == data
            })
            .unwrap();
        assert!(received, "echo must be byte-exact");
    }
}

#[test]
fn io_waits_and_virtual_sleeps_interleave() {
    let _serial = serial();
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    hub.run(|| {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let fd = a.as_raw_fd();
        let reader = simul_green::spawn(move || {
            simul_green::wait_fd(fd, Interest::READABLE).unwrap();
            simul_green::now().unwrap()
        })
        .unwrap();
        simul_green::sleep(Duration::from_secs(2)).unwrap();
        b.write_all(b"!").unwrap();
        // Woken by the byte, at the virtual instant it was written.
        assert_eq!(reader.join().unwrap().since_origin(), Duration::from_secs(2));
        drop(a);
    })
    .unwrap();
}

#[test]
fn bad_descriptors_are_errors_not_hangs() {
    let _serial = serial();
    let hub = Hub::new().unwrap();
    hub.run(|| {
        assert_eq!(
            simul_green::wait_fd(-1, Interest::READABLE).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let file =
            std::fs::File::open("/proc/self/status").or_else(|_| std::fs::File::open("/dev/null"));
        if let Ok(file) = file {
            // Regular files cannot be polled.
            assert!(simul_green::wait_fd(file.as_raw_fd(), Interest::READABLE).is_err());
        }
        // Two waiters on one descriptor: both wake when it is ready.
        let (a, mut b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let waiters: Vec<_> = (0..2)
            .map(|_| simul_green::spawn(move || simul_green::wait_fd(fd, Interest::READABLE)))
            .collect::<Result<_, _>>()
            .unwrap();
        simul_green::yield_now().unwrap();
        b.write_all(b"!").unwrap();
        for w in waiters {
            w.join().unwrap().unwrap();
        }
        drop(a);
    })
    .unwrap();
    assert!(
        simul_green::wait_fd(0, Interest::READABLE).unwrap_err().to_string().contains("not inside")
    );
}

/// The descriptors of this process that are epoll instances (Linux).
#[cfg(target_os = "linux")]
fn eventpoll_fds() -> Vec<i32> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            if target.to_string_lossy().contains("eventpoll") {
                e.file_name().to_string_lossy().parse().ok()
            } else {
                None
            }
        })
        .collect()
}

/// Reliability item 26: `wait_fd` on a closed descriptor and on the hub's
/// own epoll descriptor fail at once (twice each, so no waiter is left
/// behind), while a raw waiter and a green pipe's reader already parked
/// on good descriptors each wake once when their bytes come.
#[cfg(target_os = "linux")]
#[test]
fn a_closed_fd_and_the_hubs_own_poller_are_refused_and_existing_waits_still_wake() {
    let _serial = serial();
    let before = eventpoll_fds();
    let hub = Hub::new().unwrap();
    let own: Vec<i32> = eventpoll_fds().into_iter().filter(|fd| !before.contains(fd)).collect();
    assert_eq!(own.len(), 1, "one new epoll descriptor: the hub's ({own:?})");
    let own = own[0];
    hub.run(|| -> std::io::Result<()> {
        let (a, mut b) = UnixStream::pair()?;
        let fd = a.as_raw_fd();
        let raw = simul_green::spawn(move || simul_green::wait_fd(fd, Interest::READABLE))?;
        let (mut pipe_r, mut pipe_w) = simul_green::net::pipe()?;
        let piped = simul_green::spawn(move || -> std::io::Result<Vec<u8>> {
            let mut got = [0u8; 2];
            pipe_r.read_exact(&mut got)?;
            Ok(got.to_vec())
        })?;
        simul_green::yield_now()?; // both park

        for interest in [Interest::READABLE, Interest::WRITABLE, Interest::READABLE] {
            let e = simul_green::wait_fd(own, interest).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("own poller"), "{e}");
        }
        // A closed descriptor (its number stays free: `serial`).
        let (c, d) = UnixStream::pair()?;
        let closed = c.as_raw_fd();
        drop((c, d));
        for interest in [Interest::READABLE, Interest::WRITABLE, Interest::READABLE] {
            let e = simul_green::wait_fd(closed, interest).unwrap_err();
            assert!(e.to_string().contains("not an open file descriptor"), "{e}");
        }
        assert!(!raw.is_finished() && !piped.is_finished(), "a refusal woke a waiter");

        b.write_all(b"!")?; // std's write_all retries EINTR itself
        pipe_w.write_all(b"ok")?;
        raw.join().map_err(std::io::Error::from)??;
        assert_eq!(piped.join().map_err(std::io::Error::from)??, b"ok");
        // The hub still waits on descriptors afterwards.
        let waiter = simul_green::spawn(move || simul_green::wait_fd(fd, Interest::WRITABLE))?;
        waiter.join().map_err(std::io::Error::from)??;
        drop(a);
        Ok(())
    })
    .unwrap()
    .unwrap();
}
