//! Child processes for green threads (`simul_green::process`): pipes and
//! exits park the green thread and never the hub, statuses and signals
//! come back, big outputs arrive whole and without deadlock, misuse gives
//! clear errors, and nothing leaks.
//!
//! Every test holds `SERIAL` (the descriptor counts must see only their
//! own descriptors) and runs its body under [`bounded`], so a hub that
//! blocked would fail the test instead of hanging it. Nothing here asserts
//! on durations: the "hub is not blocked" tests assert the *order* of
//! events, which a blocking wait could not produce.
//!
//! Children that write a lot are `cat` (coreutils retries `EINTR`, so the
//! tests also pass under `scripts/eintr.sh`, whose strace follows the
//! children too; `head`, for one, gives up on an interrupted write).

mod util;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

use simul_green::Hub;
use simul_green::process::{self, Child, ChildStdin};
use simul_reactor::Signal;
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use util::Log;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `body` on its own OS thread and fails the test if it has not
/// finished within a minute (a generous bound for the injected run, not
/// a measurement): a hub blocked for good must not hang the test binary.
fn bounded<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(value)) => {
            worker.join().unwrap();
            value
        }
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test body did not finish: is the hub blocked?"),
    }
}

/// The hubs the ordering tests run on: real clock, and a virtual clock
/// per context-switch backend.
fn hubs() -> Vec<(&'static str, Hub)> {
    let mut hubs = vec![("real", Hub::new().unwrap())];
    hubs.extend(util::virtual_hubs());
    hubs
}

fn cat() -> Command {
    let mut c = Command::new("cat");
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    c
}

fn sh(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

/// `len` bytes of a pattern that is not periodic in any power of two, so
/// a lost, repeated or reordered chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A temporary file holding `data`, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, data: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("simul-green-process-{}-{name}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A line protocol with `cat` through `BufReader`: first another green
/// thread feeds it, one line per tick of a sleep, while main reads the
/// echoes; then main does round trips itself. Each echo comes after its
/// tick, so main's read parked while the ticker ran on the same OS
/// thread; a read that blocked the hub would never see line 1.
#[test]
fn cat_answers_a_line_protocol_while_another_green_thread_ticks() {
    let _g = serial();
    const TICKS: usize = 10;
    bounded(|| {
        for (name, hub) in hubs() {
            let log = hub.run(|| -> std::io::Result<Vec<String>> {
                let log = Log::default();
                let mut child = Child::spawn(&mut cat())?;
                let mut input = child.take_stdin().unwrap();
                let mut echoes = BufReader::new(child.take_stdout().unwrap());

                let l = log.clone();
                let ticker = simul_green::spawn(move || -> std::io::Result<ChildStdin> {
                    for i in 0..TICKS {
                        simul_green::sleep(Duration::from_millis(1))?;
                        l.push(format!("tick {i}"));
                        writeln!(input, "line {i}")?;
                    }
                    Ok(input)
                })?;
                for i in 0..TICKS {
                    let mut line = String::new();
                    echoes.read_line(&mut line)?; // parks until the echo
                    assert_eq!(line, format!("line {i}\n"));
                    // Its input is still open (the ticker holds it): alive.
                    assert_eq!(child.try_wait()?, None);
                    log.push(format!("echo {i}"));
                }
                let mut input = ticker.join().map_err(std::io::Error::from)??;

                for i in 0..200 {
                    writeln!(input, "ping {i}")?;
                    let mut line = String::new();
                    echoes.read_line(&mut line)?;
                    assert_eq!(line, format!("ping {i}\n"));
                }
                drop(input); // EOF: cat finishes
                let mut rest = String::new();
                assert_eq!(echoes.read_to_string(&mut rest)?, 0);
                assert!(child.wait()?.success());
                Ok(log.take())
            });
            let log = log.unwrap().unwrap();
            assert_eq!(log.len(), 2 * TICKS, "{name}: {log:?}");
            for i in 0..TICKS {
                let at = |what: &str| log.iter().position(|e| *e == what).unwrap();
                assert!(at(&format!("tick {i}")) < at(&format!("echo {i}")), "{name}: {log:?}");
                if i > 0 {
                    assert!(at(&format!("echo {}", i - 1)) < at(&format!("echo {i}")), "{name}");
                }
            }
        }
    });
}

/// `wait` parks only the waiting green thread: the child (`cat`) can exit
/// only after a ticker, sleeping meanwhile, closes its input. A wait that
/// blocked the hub would never return.
#[test]
fn wait_lets_other_green_threads_run_until_the_child_exits() {
    let _g = serial();
    bounded(|| {
        for (name, hub) in hubs() {
            let log = hub.run(|| -> std::io::Result<Vec<String>> {
                let log = Log::default();
                let mut child = Child::spawn(Command::new("cat").stdin(Stdio::piped()))?;
                let input = child.take_stdin();
                let l = log.clone();
                let ticker = simul_green::spawn(move || -> std::io::Result<()> {
                    for i in 0..3 {
                        simul_green::sleep(Duration::from_millis(1))?;
                        l.push(format!("tick {i}"));
                    }
                    drop(input);
                    l.push("closed");
                    Ok(())
                })?;
                let status = child.wait()?;
                log.push(format!("exited, success: {}", status.success()));
                ticker.join().map_err(std::io::Error::from)??;
                Ok(log.take())
            });
            assert_eq!(
                log.unwrap().unwrap(),
                ["tick 0", "tick 1", "tick 2", "closed", "exited, success: true"],
                "{name}"
            );
        }
    });
}

#[test]
fn exit_codes_come_back() {
    let _g = serial();
    bounded(move || {
        Hub::new().unwrap().run(|| -> std::io::Result<()> {
            let mut three = Child::spawn(&mut sh("exit 3"))?;
            let status = three.wait()?;
            assert_eq!(status.code(), Some(3));
            assert!(!status.success());
            assert_eq!(three.wait()?, status, "the same status again");
            assert_eq!(three.try_wait()?, Some(status));
            assert!(Child::spawn(&mut Command::new("true"))?.wait()?.success());
            assert_eq!(Child::spawn(&mut Command::new("false"))?.wait()?.code(), Some(1));
            // Several children at once, each waited on by its own thread.
            let waiters: Vec<_> = (0..8)
                .map(|i| {
                    simul_green::spawn(move || -> std::io::Result<Option<i32>> {
                        Ok(Child::spawn(&mut sh(&format!("exit {i}")))?.wait()?.code())
                    })
                })
                .collect::<Result<_, _>>()?;
            for (i, w) in waiters.into_iter().enumerate() {
                assert_eq!(w.join().map_err(std::io::Error::from)??, Some(i as i32));
            }
            Ok(())
        })
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_killed_child_is_waited_for_with_its_signal() {
    let _g = serial();
    bounded(move || {
        Hub::new().unwrap().run(|| -> std::io::Result<()> {
            let mut sleeper = Child::spawn(Command::new("sleep").arg("30"))?;
            assert_eq!(sleeper.try_wait()?, None);
            sleeper.kill()?;
            let status = sleeper.wait()?; // the 30 s bound would trip `bounded`
            assert_eq!(status.signal(), Some(Signal::KILL.as_raw()));
            assert_eq!(status.code(), None);
            sleeper.kill()?; // reaped already: nothing to do, no error
            sleeper.signal(Signal::TERM)?;

            // Killed by another green thread while this one waits.
            let mut sleeper = Child::spawn(Command::new("sleep").arg("30"))?;
            let pid = sleeper.id();
            let killer = simul_green::spawn(move || {
                Child::spawn(Command::new("kill").args(["-TERM", &pid.to_string()]))?.wait()
            })?;
            let status = sleeper.wait()?;
            assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
            assert!(killer.join().map_err(std::io::Error::from)??.success());
            Ok(())
        })
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_megabyte_of_output_arrives_byte_exact() {
    let _g = serial();
    const LEN: usize = 1_000_000;
    let data = pattern(LEN);
    let file = TempFile::new("megabyte", &data);
    let path = file.0.clone();
    let (from_file, through_stdin) = bounded(move || {
        Hub::new().unwrap().run(|| -> std::io::Result<(Vec<u8>, Vec<u8>)> {
            // Output only: `cat FILE`, read to the end.
            let mut child = Child::spawn(Command::new("cat").arg(&path).stdout(Stdio::piped()))?;
            let mut from_file = Vec::new();
            child.stdout().unwrap().read_to_end(&mut from_file)?;
            assert!(child.wait()?.success());

            // In and out: a writer thread parks whenever the pipe is full.
            let mut child = Child::spawn(&mut cat())?;
            let mut input = child.take_stdin().unwrap();
            let writer = simul_green::spawn(move || input.write_all(&pattern(LEN)))?;
            let mut through = Vec::new();
            child.take_stdout().unwrap().read_to_end(&mut through)?;
            writer.join().map_err(std::io::Error::from)??;
            assert!(child.wait()?.success());
            Ok((from_file, through))
        })
    })
    .unwrap()
    .unwrap();
    assert!(from_file == data, "cat FILE: {} bytes, not the file's", from_file.len());
    assert!(through_stdin == data, "through cat: {} bytes differ", through_stdin.len());
}

/// The child fills the stderr pipe *before* writing stdout: reading
/// stdout first and stderr afterwards would deadlock (the child waits for
/// stderr to drain, the reader for stdout's end). Both pipes are read at
/// once, so both arrive whole.
#[test]
fn large_stdout_and_stderr_together_do_not_deadlock() {
    let _g = serial();
    const LEN: usize = 600_000;
    let data = pattern(LEN);
    let file = TempFile::new("both", &data);
    let script = format!("cat '{0}' >&2; cat '{0}'; cat '{0}' >&2", file.0.display());
    let (via_output, via_child) = bounded(move || {
        Hub::new().unwrap().run(|| -> std::io::Result<_> {
            let via_output = process::output(&mut sh(&script))?;
            let via_child = Child::spawn(
                sh(&script).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()),
            )?
            .wait_with_output()?;
            Ok((via_output, via_child))
        })
    })
    .unwrap()
    .unwrap();
    let both = [data.as_slice(), data.as_slice()].concat();
    for (name, out) in [("output", via_output), ("wait_with_output", via_child)] {
        assert!(out.status.success(), "{name}: {:?}", out.status);
        assert!(out.stdout == data, "{name}: stdout has {} bytes", out.stdout.len());
        assert!(out.stderr == both, "{name}: stderr has {} bytes", out.stderr.len());
    }
}

#[test]
fn a_missing_program_is_not_found() {
    let _g = serial();
    let missing = || Command::new("/definitely/not/a/program");
    assert_eq!(Child::spawn(&mut missing()).unwrap_err().kind(), ErrorKind::NotFound);
    let (spawned, output) = bounded(move || {
        Hub::new().unwrap().run(|| {
            (
                Child::spawn(&mut missing()).unwrap_err().kind(),
                process::output(&mut missing()).unwrap_err().kind(),
            )
        })
    })
    .unwrap();
    assert_eq!((spawned, output), (ErrorKind::NotFound, ErrorKind::NotFound));
}

/// Outside a hub, whatever would have to wait says so; whatever can
/// complete at once does.
#[test]
fn outside_a_hub_waiting_is_a_clear_error_and_never_a_hang() {
    let _g = serial();
    bounded(|| {
        let is_not_in_hub = |e: std::io::Error| {
            assert!(e.to_string().contains("not inside a simul-green hub"), "{e}");
        };
        let mut child = Child::spawn(
            Command::new("sleep").arg("30").stdin(Stdio::piped()).stdout(Stdio::piped()),
        )
        .unwrap();
        child.stdin().unwrap().write_all(b"room in the pipe").unwrap(); // no wait needed
        is_not_in_hub(child.stdout().unwrap().read(&mut [0u8; 8]).unwrap_err());
        is_not_in_hub(child.wait().unwrap_err());
        assert!(child.stdin().is_none(), "wait closed stdin before it looked");
        assert_eq!(child.try_wait().unwrap(), None);
        child.kill().unwrap();
        // A test-only poll (nothing here can park): the kill lands soon.
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(status.signal(), Some(Signal::KILL.as_raw()));
        assert_eq!(child.wait().unwrap(), status, "an exited child's wait needs no hub");
        assert_eq!(child.stdout().unwrap().read(&mut [0u8; 8]).unwrap(), 0, "EOF needs none");

        // `output` needs a green thread to read stderr beside stdout.
        is_not_in_hub(process::output(&mut Command::new("true")).unwrap_err());
    });
}

/// Every way a `Child` and its pipes can end (waited, read to the end,
/// dropped while registered, killed while a green thread waits on it,
/// dropped running) leaves no descriptor behind.
#[test]
fn no_descriptor_is_leaked() {
    let _g = serial();
    let before = FdSnapshot::take();
    bounded(|| {
        let hub = Hub::new().unwrap();
        hub.run(|| -> std::io::Result<()> {
            for _ in 0..3 {
                // Waited, with every pipe piped and read.
                let mut all = sh("cat; echo err >&2")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn_green()?;
                all.stdin().unwrap().write_all(b"in")?;
                let out = all.wait_with_output()?;
                assert_eq!(
                    (out.stdout.as_slice(), out.stderr.as_slice()),
                    (&b"in"[..], &b"err\n"[..])
                );

                // A reader parked on stdout and a waiter parked on the
                // exit, both killed; then the child, registered
                // everywhere, is dropped running and killed by nobody.
                let mut sleeper = Command::new("sleep")
                    .arg("30")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn_green()?;
                let pid = sleeper.id().to_string();
                let mut out = sleeper.take_stdout().unwrap();
                let reader = simul_green::spawn(move || out.read(&mut [0u8; 8]))?;
                let waiter = simul_green::spawn(move || sleeper.wait())?;
                simul_green::yield_now()?; // both park, registering their fds
                reader.kill().map_err(std::io::Error::from)?;
                waiter.kill().map_err(std::io::Error::from)?; // drops the Child: the pid is adopted
                // Dropping killed nothing; stop it by its pid (a zombie,
                // not reused, until simul reaps it).
                assert!(
                    Child::spawn(Command::new("kill").args(["-KILL", &pid]))?.wait()?.success()
                );

                // Killed and waited for, with its pipes registered.
                let mut killed = Command::new("sleep")
                    .arg("30")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn_green()?;
                let mut err = killed.take_stderr().unwrap();
                let reader = simul_green::spawn(move || err.read(&mut [0u8; 8]))?;
                simul_green::yield_now()?;
                killed.kill()?;
                assert_eq!(reader.join().map_err(std::io::Error::from)??, 0, "EOF once killed");
                killed.wait()?;
            }
            Ok(())
        })
        .unwrap()
        .unwrap();
    });
    assert_no_leaks(&before);
}

/// A child dropped while running is reaped once it exits (by the next
/// spawn, `try_wait` or drop of any child), so it does not stay a zombie:
/// its `/proc` entry goes away.
#[test]
fn a_child_dropped_running_does_not_stay_a_zombie() {
    let _g = serial();
    bounded(|| {
        let hub = Hub::new().unwrap();
        hub.run(|| -> std::io::Result<()> {
            let mut child = Child::spawn(Command::new("sleep").arg("30"))?;
            let proc_entry = PathBuf::from(format!("/proc/{}", child.id()));
            child.kill()?;
            drop(child); // not waited for: a zombie once the kill lands
            for _ in 0..2000 {
                // Any later child lets the adopted pid be reaped.
                Child::spawn(&mut Command::new("true"))?.wait()?;
                if !proc_entry.exists() {
                    return Ok(());
                }
                simul_green::sleep(Duration::from_millis(5))?;
            }
            panic!("{} is still there: never reaped", proc_entry.display());
        })
        .unwrap()
        .unwrap();
    });
}

/// `cmd.spawn_green()` for the tests above.
trait SpawnGreen {
    fn spawn_green(&mut self) -> std::io::Result<Child>;
}

impl SpawnGreen for Command {
    fn spawn_green(&mut self) -> std::io::Result<Child> {
        Child::spawn(self)
    }
}
