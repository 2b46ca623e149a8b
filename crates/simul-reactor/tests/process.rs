//! Child processes through the reactor: pipes read and written without
//! blocking, exits seen on the exit descriptor, every child reaped, no
//! descriptor leaked.
//!
//! The tests hold `LOCK` so that descriptor counts and "no child left"
//! checks see only their own children.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use simul_reactor::{Child, Events, Interest, Reactor, Signal, Token};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn sh(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

/// Waits on the exit descriptor alone (10 s bound) and returns the status.
fn wait_exit(reactor: &mut Reactor, child: &mut Child) -> ExitStatus {
    reactor.register(child.exit_fd(), Token(99), Interest::READABLE).unwrap();
    let deadline = reactor.now() + Duration::from_secs(10);
    let mut events = Events::with_capacity(8);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(reactor.now() < deadline, "child {} did not exit in time", child.id());
        reactor.poll(&mut events, Some(deadline)).unwrap();
    };
    reactor.deregister(child.exit_fd()).unwrap();
    status
}

/// Reads `pipe` until `WouldBlock` or EOF into `out`; true at EOF.
fn read_available(pipe: &mut impl Read, out: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn stdout_is_read_to_eof_through_the_reactor() {
    let _g = lock();
    let mut reactor = Reactor::new().unwrap();
    // 300,000 bytes: several pipe-fuls, so reads hit WouldBlock in between.
    let mut child =
        Child::spawn(sh("head -c 300000 /dev/zero | tr '\\0' x").stdout(Stdio::piped())).unwrap();
    let mut out = child.take_stdout().unwrap();
    reactor.register(out.as_raw_fd(), Token(1), Interest::READABLE).unwrap();
    let mut got = Vec::new();
    let mut events = Events::with_capacity(8);
    let deadline = reactor.now() + Duration::from_secs(10);
    while !read_available(&mut out, &mut got) {
        assert!(reactor.now() < deadline, "no EOF after {} bytes", got.len());
        reactor.poll(&mut events, Some(deadline)).unwrap();
    }
    assert_eq!(got.len(), 300_000);
    assert!(got.iter().all(|&b| b == b'x'));
    reactor.deregister(out.as_raw_fd()).unwrap();
    assert!(wait_exit(&mut reactor, &mut child).success());
}

#[test]
fn cat_echoes_a_megabyte_written_without_blocking() {
    let _g = lock();
    let mut reactor = Reactor::new().unwrap();
    let mut child =
        Child::spawn(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped())).unwrap();
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut stdin = Some(child.take_stdin().unwrap());
    let mut stdout = child.take_stdout().unwrap();
    let in_fd = stdin.as_ref().unwrap().as_raw_fd();
    reactor.register(in_fd, Token(1), Interest::WRITABLE).unwrap();
    reactor.register(stdout.as_raw_fd(), Token(2), Interest::READABLE).unwrap();

    let (mut written, mut echoed, mut would_block) = (0, Vec::new(), 0);
    let mut events = Events::with_capacity(8);
    let deadline = reactor.now() + Duration::from_secs(20);
    loop {
        if let Some(pipe) = stdin.as_mut() {
            while written < data.len() {
                match pipe.write(&data[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        would_block += 1;
                        break;
                    }
                    Err(e) => panic!("write: {e}"),
                }
            }
            if written == data.len() {
                reactor.deregister(in_fd).unwrap();
                stdin = None; // EOF for cat
            }
        }
        if read_available(&mut stdout, &mut echoed) {
            break;
        }
        assert!(reactor.now() < deadline, "stuck: wrote {written}, echoed {}", echoed.len());
        reactor.poll(&mut events, Some(deadline)).unwrap();
    }
    assert!(echoed == data, "echo differs ({} of {} bytes)", echoed.len(), data.len());
    assert!(would_block > 0, "a megabyte should fill the pipe at least once");
    reactor.deregister(stdout.as_raw_fd()).unwrap();
    assert!(wait_exit(&mut reactor, &mut child).success());
}

#[test]
fn exit_statuses_arrive_on_the_exit_descriptor() {
    let _g = lock();
    let mut reactor = Reactor::new().unwrap();
    let mut t = Child::spawn(&mut Command::new("true")).unwrap();
    assert_eq!(wait_exit(&mut reactor, &mut t).code(), Some(0));
    let mut f = Child::spawn(&mut Command::new("false")).unwrap();
    assert_eq!(wait_exit(&mut reactor, &mut f).code(), Some(1));
    let mut three = Child::spawn(&mut sh("exit 3")).unwrap();
    assert_eq!(wait_exit(&mut reactor, &mut three).code(), Some(3));

    let mut sleeper = Child::spawn(Command::new("sleep").arg("100")).unwrap();
    assert_eq!(sleeper.try_wait().unwrap(), None);
    sleeper.kill().unwrap();
    let status = wait_exit(&mut reactor, &mut sleeper);
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    // Reaped: the status sticks, and signalling is a harmless no-op.
    assert_eq!(sleeper.try_wait().unwrap(), Some(status));
    sleeper.kill().unwrap();
    sleeper.signal(Signal::TERM).unwrap();
}

#[test]
fn fifty_concurrent_children_are_all_reaped_without_fd_leaks() {
    let _g = lock();
    let before = FdSnapshot::take();
    {
        let mut reactor = Reactor::new().unwrap();
        let mut children = HashMap::new();
        for i in 0..50usize {
            let mut cmd = sh(&format!("echo {i}; exit {}", i % 7));
            let child = Child::spawn(cmd.stdout(Stdio::piped())).unwrap();
            reactor.register(child.exit_fd(), Token(i), Interest::READABLE).unwrap();
            children.insert(i, child);
        }
        let mut statuses = HashMap::new();
        let mut events = Events::with_capacity(64);
        let deadline = reactor.now() + Duration::from_secs(20);
        while statuses.len() < 50 {
            assert!(reactor.now() < deadline, "only {} of 50 exited", statuses.len());
            reactor.poll(&mut events, Some(deadline)).unwrap();
            for e in events.iter() {
                let i = e.token().0;
                if let Some(status) = children.get_mut(&i).unwrap().try_wait().unwrap() {
                    statuses.insert(i, status);
                }
            }
        }
        for (i, child) in &mut children {
            assert_eq!(statuses[i].code(), Some((*i % 7) as i32));
            let mut out = String::new();
            child.stdout().unwrap().read_to_string(&mut out).unwrap();
            assert_eq!(out, format!("{i}\n"));
            reactor.deregister(child.exit_fd()).unwrap();
        }
    }
    assert_no_leaks(&before);
    assert_no_children();
}

/// No child of this process is left, zombie or running.
fn assert_no_children() {
    // SAFETY: WNOHANG makes this return at once; a null status is allowed.
    let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    assert_eq!(r, -1, "an unreaped child remained");
    assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(libc::ECHILD));
}

#[test]
fn a_dropped_running_child_is_reaped_once_it_exits() {
    let _g = lock();
    let before = FdSnapshot::take();
    let child = Child::spawn(&mut sh("sleep 0.2")).unwrap();
    let pid = child.id() as libc::pid_t;
    drop(child);
    // SAFETY: signal 0 only checks that the process exists.
    assert_eq!(unsafe { libc::kill(pid, 0) }, 0, "dropping must not kill it");

    // The zombie would stay forever without simul's orphan list. Any
    // later spawn reaps it once it has exited; kill(pid, 0) then fails.
    let mut reactor = Reactor::new().unwrap();
    let deadline = reactor.now() + Duration::from_secs(10);
    loop {
        let mut t = Child::spawn(&mut Command::new("true")).unwrap();
        wait_exit(&mut reactor, &mut t);
        drop(t);
        // SAFETY: as above.
        if unsafe { libc::kill(pid, 0) } == -1 {
            assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(libc::ESRCH));
            break;
        }
        assert!(reactor.now() < deadline, "orphan {pid} never reaped");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(reactor);
    assert_no_leaks(&before);
    assert_no_children();
}

#[test]
fn a_missing_program_is_not_found() {
    let _g = lock();
    let err = Child::spawn(&mut Command::new("/definitely/not/here")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}
