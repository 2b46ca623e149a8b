//! Reliability item 4: a readiness followed by `WouldBlock`, and 4 MiB
//! sent in bursts.
//!
//! **Spurious readiness, forced.** Two coroutines wait readable on one
//! TCP socket, each through its own descriptor of it (`dup`, as
//! `try_clone` makes): one byte wakes both, the first to read takes it,
//! and the other finds nothing (`WouldBlock`, from the kernel) and must
//! wait again. Run for both kinds of descriptor the scheduler knows: two
//! [`net::TcpStream`](simul_coro::net::TcpStream)s registered once (their
//! readiness bits set by the byte's event, cleared by the loser's read),
//! and two plain descriptors waited on with `Trap::Readable(fd)`
//! (registered for each wait). Another OS thread sends 100 bytes, one at
//! a time, each only after both coroutines have reported back. Checked:
//!
//! - every byte is taken exactly once, in order, and for every byte the
//!   other coroutine met `WouldBlock` and waited again;
//! - each coroutine is resumed exactly once per byte, once at the start
//!   and once at end of file: a loser that was woken again without a new
//!   byte (spinning on its readiness) fails it;
//! - the 200 ms the sender pauses between bytes cost the scheduler's
//!   thread under half the 20 CPU ticks that spinning would.
//!
//! **Bursts.** Another OS thread sends 4 MiB in bursts of 1 byte to
//! 192 KiB, each burst only after the reader has taken the whole previous
//! one, to a coroutine reading with sizes from 7 bytes to 300 KB (short
//! reads, reads that end exactly at the burst's end, reads that find
//! nothing). Every byte arrives, in order, then end of file. After each
//! burst nothing more arrives until the reader has all of it, so a reader
//! that waits while bytes are pending (a readiness bit cleared too early)
//! stalls for good: the sender then gives up after 30 s, closes, and the
//! test fails saying which burst stalled.
//!
//! Every test ends with the descriptors it started with.

use std::cell::RefCell;
use std::io::{self, Read as _, Write as _};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::Duration;

use simul_coro::net::TcpStream;
use simul_coro::{Coroutine, CoroutineState::*, Reply, ResumeError, Scheduler, Trap, from_fn};
use simul_reactor::net::TcpStream as RawStream;
use simul_testkit::cpu::thread_cpu_ticks;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// Bytes sent one at a time to the two racing readers.
const ROUNDS: usize = 100;
/// The sender's pause before each byte: 200 ms in all, nothing to do.
const QUIET: Duration = Duration::from_millis(2);
/// How long the sending thread waits for a report before it gives up.
const PATIENCE: Duration = Duration::from_secs(30);

/// The tests count the process's descriptors: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A connected loopback pair of blocking std streams: `(client, server)`.
fn std_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Writes all of `buf` with a blocking std stream. std hands `EINTR` back
/// (`scripts/eintr.sh` injects it); a peer retries.
fn send(mut stream: &std::net::TcpStream, buf: &[u8]) {
    loop {
        match stream.write_all(buf) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("send: {e}"),
        }
    }
}

/// What a racing reader reports to the sender before each wait.
#[derive(Debug, PartialEq)]
enum Report {
    /// Started: nothing to read yet, waiting.
    Waiting,
    /// Woken, took this byte, waiting again.
    Took(u8),
    /// Woken, found nothing (`WouldBlock`), waiting again.
    FoundNothing,
}

/// What one racing reader did.
#[derive(Debug, Default)]
struct Tally {
    resumes: usize,
    took: Vec<u8>,
    found_nothing: usize,
    end_of_file: bool,
}

/// Reads from one descriptor of the shared socket without waiting.
type TryRead = Box<dyn Fn(&mut [u8]) -> io::Result<usize>>;

/// A reader racing another on the same socket: at each resume it reads
/// until `WouldBlock`, reports what it found, and waits on `fd` again.
///
/// ```text
///   Start / Io(Ok) --> read ... WouldBlock --> report, yield Readable(fd)
///                        | end of file
///                        v
///                     Complete
/// ```
fn racer(
    me: usize,
    fd: RawFd,
    try_read: TryRead,
    reports: mpsc::Sender<(usize, Report)>,
    tally: Rc<RefCell<Tally>>,
) -> impl Coroutine<Reply<()>, Yield = Trap<()>, Return = ()> {
    from_fn(move |r: Reply<()>| {
        let started = match r {
            Reply::Start => true,
            Reply::Io(Ok(())) => false,
            Reply::Io(Err(e)) => panic!("reader {me}: the wait failed: {e}"),
            _ => return Err(ResumeError::UnexpectedInput { expected: "Io" }),
        };
        let mut tally = tally.borrow_mut();
        tally.resumes += 1;
        let mut took = None;
        let mut buf = [0u8; 64];
        loop {
            match try_read(&mut buf) {
                Ok(0) => {
                    tally.end_of_file = true;
                    return Ok(Complete(()));
                }
                Ok(n) => {
                    assert!(n == 1 && took.is_none(), "reader {me}: more than one byte at once");
                    took = Some(buf[0]);
                    tally.took.push(buf[0]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("reader {me}: {e}"),
            }
        }
        let report = match (started, took) {
            (true, None) => Report::Waiting,
            (_, Some(byte)) => Report::Took(byte),
            (false, None) => {
                tally.found_nothing += 1;
                Report::FoundNothing
            }
        };
        // Reported only now, after `WouldBlock`: the sender's next byte
        // must come as a new readiness, not inside this resume.
        reports.send((me, report)).expect("the sender is gone");
        Ok(Yielded(Trap::Readable(fd)))
    })
}

/// The sending thread of the race: once both readers wait, sends each
/// byte after a pause and checks that one reader took it and the other
/// found nothing; then closes (end of file for both).
fn race_sender(
    server: std::net::TcpStream,
    reports: mpsc::Receiver<(usize, Report)>,
) -> thread::JoinHandle<Result<(), String>> {
    thread::spawn(move || {
        let next = || {
            reports
                .recv_timeout(PATIENCE)
                .map_err(|e| format!("no report within {PATIENCE:?}: {e}"))
        };
        let mut first = [next()?, next()?];
        first.sort_by_key(|(me, _)| *me);
        if first != [(0, Report::Waiting), (1, Report::Waiting)] {
            return Err(format!("at the start: {first:?}"));
        }
        for i in 0..ROUNDS {
            thread::sleep(QUIET);
            send(&server, &[i as u8]);
            let mut pair = [next()?, next()?];
            pair.sort_by_key(|(_, report)| matches!(report, Report::FoundNothing));
            let [(winner, took), (loser, found)] = &pair;
            if winner == loser || *took != Report::Took(i as u8) || *found != Report::FoundNothing {
                return Err(format!("byte {i}: {pair:?}"));
            }
        }
        drop(server); // end of file for both readers
        Ok(())
    })
}

/// Runs the race: `make_readers` turns the client end into the two
/// descriptors and their non-waiting reads.
fn race(make_readers: impl FnOnce(&Scheduler<()>, std::net::TcpStream) -> [(RawFd, TryRead); 2]) {
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut s = Scheduler::<()>::new().unwrap();
    let (client, server) = std_pair();
    let readers = make_readers(&s, client);
    assert_ne!(readers[0].0, readers[1].0);
    let (tx, rx) = mpsc::channel();
    let tallies =
        [Rc::new(RefCell::new(Tally::default())), Rc::new(RefCell::new(Tally::default()))];
    for (me, (fd, try_read)) in readers.into_iter().enumerate() {
        s.spawn(racer(me, fd, try_read, tx.clone(), tallies[me].clone()));
    }
    drop(tx);
    let sender = race_sender(server, rx);

    let before = thread_cpu_ticks();
    s.run_all().unwrap();
    let after = thread_cpu_ticks();
    sender.join().expect("the sending thread panicked").unwrap();

    let [a, b] = [tallies[0].borrow(), tallies[1].borrow()];
    for (me, t) in [(0, &a), (1, &b)] {
        eprintln!(
            "reader {me}: {} resumes, took {} bytes, found nothing {} times",
            t.resumes,
            t.took.len(),
            t.found_nothing
        );
    }
    let mut took: Vec<u8> = a.took.iter().chain(&b.took).copied().collect();
    took.sort_unstable();
    assert_eq!(took, (0..ROUNDS).map(|i| i as u8).collect::<Vec<_>>(), "each byte taken once");
    assert_eq!(a.found_nothing + b.found_nothing, ROUNDS, "a loser for every byte");
    for t in [&a, &b] {
        assert!(t.end_of_file);
        // Start, one wake-up per byte (taken or not), end of file.
        assert_eq!(t.resumes, 1 + ROUNDS + 1, "woken without a byte: {t:?}");
    }
    if let (Some(before), Some(after)) = (before, after) {
        let spin_ticks = (QUIET * ROUNDS as u32).as_millis() as u64 / 10;
        let ticks = after - before;
        assert!(ticks < spin_ticks / 2, "{ticks} CPU ticks for {ROUNDS} bytes: a busy loop");
    }
    drop((a, b));
    drop(s);
    assert_no_leaks(&fds);
}

#[test]
fn two_registered_streams_of_one_socket_the_loser_meets_would_block_and_waits_again() {
    race(|s, client| {
        let io = s.io_handle();
        let twin = client.try_clone().unwrap();
        [client, twin].map(|std_stream| {
            let stream = TcpStream::from_reactor(&io, RawStream::from_std(std_stream).unwrap());
            let stream = Rc::new(stream.unwrap());
            let fd = stream.as_raw_fd();
            let try_read: TryRead = Box::new(move |buf| stream.try_read(buf));
            (fd, try_read)
        })
    });
}

#[test]
fn two_plain_descriptors_of_one_socket_the_loser_meets_would_block_and_waits_again() {
    race(|_, client| {
        client.set_nonblocking(true).unwrap();
        let twin = client.try_clone().unwrap();
        [client, twin].map(|stream| {
            let fd = stream.as_raw_fd();
            let try_read: TryRead = Box::new(move |buf| (&stream).read(buf));
            (fd, try_read)
        })
    });
}

/// Bytes sent in bursts.
const TOTAL: usize = 4 << 20;
/// The largest burst.
const MAX_BURST: usize = 192 << 10;
/// The reader's read sizes, in turn.
const READ_SIZES: [usize; 5] = [7, 1_000, 4_096, 65_536, 300_000];

fn pattern(i: usize) -> u8 {
    (i * 7 + i / 251) as u8
}

/// Burst sizes from 1 byte to `MAX_BURST`, adding up to `TOTAL`.
fn bursts() -> Vec<usize> {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut sizes = Vec::new();
    let mut left = TOTAL;
    while left > 0 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Every fourth burst small (down to one byte), the rest large.
        let size = if seed.is_multiple_of(4) {
            1 + (seed >> 8) as usize % 512
        } else {
            1 + (seed >> 8) as usize % MAX_BURST
        };
        let size = size.min(left);
        sizes.push(size);
        left -= size;
    }
    sizes
}

#[test]
fn four_mebibytes_in_bursts_arrive_byte_exact_and_no_burst_stalls() {
    let _serial = serial();
    let fds = FdSnapshot::take();
    let mut s = Scheduler::<usize>::new().unwrap();
    let (client, server) = std_pair();
    let reader = Rc::new(
        TcpStream::from_reactor(&s.io_handle(), RawStream::from_std(server).unwrap()).unwrap(),
    );
    let plan = bursts();
    let (done_tx, done_rx) = mpsc::channel::<usize>();

    // The sender: a burst, then nothing until the reader has all of it.
    let sender = {
        let plan = plan.clone();
        thread::spawn(move || -> Result<(), String> {
            let mut sent = 0;
            for (k, &size) in plan.iter().enumerate() {
                let burst: Vec<u8> = (sent..sent + size).map(pattern).collect();
                send(&client, &burst);
                sent += size;
                match done_rx.recv_timeout(PATIENCE) {
                    Ok(got) if got == k => {}
                    Ok(got) => {
                        return Err(format!("burst {got} reported after burst {k} was sent"));
                    }
                    Err(e) => {
                        // Wake the reader with end of file so the test ends.
                        let _ = client.shutdown(Shutdown::Both);
                        return Err(format!(
                            "burst {k} ({size} bytes, ending at byte {sent}) not all read within \
                             {PATIENCE:?} ({e}): the reader waits while bytes are pending"
                        ));
                    }
                }
            }
            client.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
            Ok(())
        })
    };

    // The reader: reads of changing sizes until `WouldBlock`, then waits.
    let fd = reader.as_raw_fd();
    let mut ends = plan
        .iter()
        .scan(0, |end, size| {
            *end += size;
            Some(*end)
        })
        .collect::<Vec<usize>>()
        .into_iter();
    let mut next_end = ends.next();
    let mut burst = 0;
    let mut got = 0;
    let mut reads = 0;
    let mut buf = vec![0u8; READ_SIZES.into_iter().max().unwrap_or(0)];
    let waits = Rc::new(RefCell::new(0usize));
    let w = waits.clone();
    let result = s.run(from_fn(move |r: Reply<usize>| {
        match r {
            Reply::Start | Reply::Io(Ok(())) => {}
            Reply::Io(Err(e)) => panic!("the wait failed: {e}"),
            _ => return Err(ResumeError::UnexpectedInput { expected: "Io" }),
        }
        loop {
            let size = READ_SIZES[reads % READ_SIZES.len()];
            reads += 1;
            match reader.try_read(&mut buf[..size]) {
                Ok(0) => {
                    assert_eq!(got, TOTAL, "end of file after {got} bytes");
                    return Ok(Complete(got));
                }
                Ok(n) => {
                    for (i, &byte) in buf[..n].iter().enumerate() {
                        assert_eq!(byte, pattern(got + i), "byte {}", got + i);
                    }
                    got += n;
                    while next_end.is_some_and(|end| end <= got) {
                        assert_eq!(next_end, Some(got), "read past burst {burst}'s end");
                        done_tx.send(burst).expect("the sender is gone");
                        burst += 1;
                        next_end = ends.next();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    *w.borrow_mut() += 1;
                    return Ok(Yielded(Trap::Readable(fd)));
                }
                Err(e) => panic!("read after {got} bytes: {e}"),
            }
        }
    }));
    let sent = sender.join().expect("the sending thread panicked");
    sent.unwrap();
    assert_eq!(result.unwrap(), TOTAL);
    eprintln!("{} bursts, the reader waited {} times", plan.len(), waits.borrow());
    // It waits after nearly every burst (unless the next one is already
    // on its way when it looks).
    assert!(*waits.borrow() > plan.len() / 2, "the reader seldom waited: the bursts proved little");
    drop(s);
    assert_no_leaks(&fds);
}
