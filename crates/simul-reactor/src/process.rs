//! [`Child`]: a child process whose exit and pipes are reactor events.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::process::{Command, ExitStatus};
use std::sync::Mutex;

use crate::{Signal, sys};

/// A running child process that never makes the loop wait.
///
/// `std::process::Child::wait` blocks the calling thread until the child
/// exits. On an event loop that thread is the *only* one: while it sits in
/// `wait`, no other task, callback or timer runs, and a server stops
/// answering every client for as long as the child takes. (simul's seed
/// 004 shows this with a `sleep 1` child freezing a ticking timer.)
/// asyncio's answer is `create_subprocess_exec`, whose `wait()` suspends
/// only the task that called it. `Child` is the reactor's half of that:
///
/// * its **exit** is a descriptor, [`exit_fd`](Child::exit_fd), that
///   becomes readable when the process ends; register it with
///   [`Reactor::register`](crate::Reactor::register) like a socket, and
///   when it fires call [`try_wait`](Child::try_wait), which never blocks;
/// * its **pipes** ([`stdin`](Child::stdin), [`stdout`](Child::stdout),
///   [`stderr`](Child::stderr)) are non-blocking, so reads and writes say
///   `WouldBlock` instead of waiting, and each has a descriptor to
///   register.
///
/// One descriptor per event keeps the reactor's API uniform: the callback
/// loop keeps a callback per token, the future executor a waker, the green
/// hub a parked stack, and none of them needs to know that this descriptor
/// stands for a process.
///
/// The exit descriptor is a pidfd on Linux 5.3 and later; on older
/// kernels a `SIGCHLD` listener (see [`Signals`](crate::Signals)) that wakes
/// every child's watcher on any child's exit (so `try_wait` may say
/// `None` after a wake-up: wait again); on macOS and the BSDs a private
/// kqueue watching the process with `EVFILT_PROC`.
///
/// ```text
///   spawn --> Running --(exit_fd readable)--> try_wait() == Some(status) --> Exited
///               |  ^                                  |
///               |  +------- try_wait() == None -------+   (spurious or SIGCHLD fallback)
///               +-- kill() / signal(s): the exit follows as an event
/// ```
///
/// **Dropping a running child** leaves it running, as `std` and asyncio
/// do; drop also closes simul's ends of its pipes, so the child sees EOF on
/// stdin and `EPIPE` on output. Unlike `std`, simul remembers its pid and
/// reaps it, without blocking, the next time any `Child` is spawned,
/// checked with `try_wait`, or dropped, so the exited child does not stay
/// a zombie for the rest of the program. Kill it first if it must not
/// outlive its handle.
///
/// **Deregister before dropping**: dropping closes the exit descriptor and
/// the pipes.
///
/// # Examples
///
/// Run `sh -c 'echo hi'`, read its output through the reactor, and
/// collect its status when its exit descriptor fires:
///
/// ```
/// use simul_reactor::{Child, Events, Interest, Reactor, Token};
/// use std::io::{ErrorKind, Read};
/// use std::process::{Command, Stdio};
///
/// let mut reactor = Reactor::new()?;
/// let mut cmd = Command::new("sh");
/// cmd.args(["-c", "echo hi"]).stdout(Stdio::piped());
/// let mut child = Child::spawn(&mut cmd)?;
///
/// let out_fd = std::os::fd::AsRawFd::as_raw_fd(child.stdout().unwrap());
/// reactor.register(out_fd, Token(1), Interest::READABLE)?;
/// reactor.register(child.exit_fd(), Token(2), Interest::READABLE)?;
///
/// let (mut output, mut eof, mut status) = (Vec::new(), false, None);
/// let mut events = Events::with_capacity(8);
/// while !eof || status.is_none() {
///     reactor.poll(&mut events, None)?;
///     for event in events.iter() {
///         if event.token() == Token(1) {
///             // Edge-triggered: read until WouldBlock or EOF.
///             let mut buf = [0u8; 64];
///             loop {
///                 match child.stdout().unwrap().read(&mut buf) {
///                     Ok(0) => { eof = true; break }
///                     Ok(n) => output.extend_from_slice(&buf[..n]),
///                     Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///                     Err(e) => return Err(e),
///                 }
///             }
///         }
///         if event.token() == Token(2) {
///             status = child.try_wait()?; // None: a spurious wake, wait on
///         }
///     }
/// }
/// assert_eq!(output, b"hi\n");
/// assert!(status.unwrap().success());
/// # reactor.deregister(out_fd)?;
/// # reactor.deregister(child.exit_fd())?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Child {
    /// The std handle: owns the pid and does the `waitpid`. Its stdio
    /// fields are always `None`: their pipes were moved into ours.
    inner: std::process::Child,
    /// Makes `exit_fd` readable when the process ends.
    watch: sys::process::ExitWatch,
    /// The exit status, once `try_wait` has reaped the process.
    ///
    /// # Invariant
    /// While `None`, the pid is not reaped, so it still names our child
    /// and signalling it cannot hit an unrelated process.
    status: Option<ExitStatus>,
    /// Our end of the child's stdin, when piped and not taken.
    stdin: Option<ChildStdin>,
    /// Our end of the child's stdout, when piped and not taken.
    stdout: Option<ChildStdout>,
    /// Our end of the child's stderr, when piped and not taken.
    stderr: Option<ChildStderr>,
}

/// Pids of children dropped while running: reaped without blocking by
/// [`reap_orphans`] so they do not linger as zombies.
static ORPHANS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Reaps every orphan that has exited; forgets ones that are gone.
fn reap_orphans() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Ok(false): still running, keep it. Ok(true): reaped. Err (ECHILD):
    // someone else reaped it; nothing left to do.
    orphans.retain(|&pid| matches!(sys::process::reap(pid), Ok(false)));
}

/// Remembers a running child whose handle is going away.
fn adopt(pid: u32) {
    ORPHANS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(pid);
}

impl Child {
    /// Starts `command` and watches it.
    ///
    /// Configure the streams you want with `Stdio::piped()` first; simul
    /// takes those pipes and makes them non-blocking. Streams left at the
    /// default are inherited from this process, as with
    /// `Command::spawn`.
    ///
    /// # Errors
    ///
    /// What `Command::spawn` reports (for example `NotFound` for a
    /// missing program), or the OS error from creating the exit watch or
    /// setting `O_NONBLOCK` (with the `SIGCHLD` fallback, `OutOfMemory`
    /// beyond about a thousand watched children, the size of the signal
    /// handler's fixed table). In the latter cases the child was started and
    /// is killed (and later reaped) before the error is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Child;
    /// use std::process::Command;
    ///
    /// let missing = Child::spawn(&mut Command::new("/nonexistent/program"));
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn spawn(command: &mut Command) -> io::Result<Child> {
        Child::spawn_watched(command, sys::process::ExitWatch::new)
    }

    /// [`Child::spawn`] with the exit watch made by `watch` (tests force
    /// the `SIGCHLD` fallback through it).
    fn spawn_watched(
        command: &mut Command,
        watch: impl FnOnce(u32) -> io::Result<sys::process::ExitWatch>,
    ) -> io::Result<Child> {
        reap_orphans();
        let mut inner = command.spawn()?;
        let pid = inner.id();
        let stdin = inner.stdin.take().map(OwnedFd::from);
        let stdout = inner.stdout.take().map(OwnedFd::from);
        let stderr = inner.stderr.take().map(OwnedFd::from);
        let setup = || -> io::Result<sys::process::ExitWatch> {
            for fd in [&stdin, &stdout, &stderr].into_iter().flatten() {
                sys::fd::set_nonblocking(fd.as_fd(), true)?;
            }
            watch(pid)
        };
        match setup() {
            Ok(watch) => Ok(Child {
                inner,
                watch,
                status: None,
                stdin: stdin.map(|fd| ChildStdin { file: File::from(fd) }),
                stdout: stdout.map(|fd| ChildStdout { file: File::from(fd) }),
                stderr: stderr.map(|fd| ChildStderr { file: File::from(fd) }),
            }),
            Err(e) => {
                // A child nobody can watch: stop it, and let the orphan
                // list reap it rather than blocking here.
                let _ = sys::process::send_signal(pid, Signal::KILL.as_raw());
                adopt(pid);
                Err(e)
            }
        }
    }

    /// The child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_reactor::Child;
    /// let mut child = Child::spawn(&mut std::process::Command::new("true"))?;
    /// assert!(child.id() > 0);
    /// # child.kill()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// The descriptor that becomes readable when the child exits.
    ///
    /// Register it for [`Interest::READABLE`](crate::Interest::READABLE).
    /// Readiness means "check now": call [`try_wait`](Child::try_wait),
    /// and if it says `None`, wait for the next event (this happens with
    /// the `SIGCHLD` fallback, where any child's exit wakes every watcher).
    /// The descriptor is owned by the `Child` and closed when it drops.
    ///
    /// # Examples
    /// See [`Child`].
    pub fn exit_fd(&self) -> RawFd {
        self.watch.fd()
    }

    /// The exit status if the child has exited, without blocking.
    ///
    /// Once it has returned `Some`, it returns the same status again on
    /// every call.
    ///
    /// # Errors
    ///
    /// The OS error from `waitpid`; `ECHILD` means something outside simul
    /// reaped the process (for example `SIGCHLD` set to `SIG_IGN`).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Child;
    /// use std::process::Command;
    ///
    /// let mut child = Child::spawn(Command::new("sleep").arg("10"))?;
    /// assert_eq!(child.try_wait()?, None); // still sleeping; we did not wait
    /// child.kill()?;
    /// # while child.try_wait()?.is_none() { std::thread::yield_now(); }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        reap_orphans();
        // Consume the readiness first, then look: an exit after the look
        // makes a fresh edge, so no exit is missed.
        self.watch.clear()?;
        self.status = self.inner.try_wait()?;
        Ok(self.status)
    }

    /// Kills the child with `SIGKILL`. Its exit then shows up on
    /// [`exit_fd`](Child::exit_fd) like any other.
    ///
    /// Killing a child that has already been reaped does nothing and
    /// succeeds: its pid may belong to another process by now, so simul
    /// never signals it.
    ///
    /// # Errors
    ///
    /// The OS error from `kill(2)`, which does not happen for an unreaped
    /// child of ours.
    ///
    /// # Examples
    /// See [`Child::try_wait`].
    pub fn kill(&mut self) -> io::Result<()> {
        self.signal(Signal::KILL)
    }

    /// Sends `signal` to the child, for example [`Signal::TERM`] to ask
    /// it to stop. Does nothing once the child has been reaped (see
    /// [`kill`](Child::kill)).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal; otherwise as
    /// [`kill`](Child::kill).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Child, Signal};
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let mut child = Child::spawn(std::process::Command::new("sleep").arg("10"))?;
    /// child.signal(Signal::TERM)?;
    /// let status = loop {
    ///     if let Some(s) = child.try_wait()? { break s; }
    ///     std::thread::sleep(std::time::Duration::from_millis(1)); // a test, not a loop
    /// };
    /// assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signal(&mut self, signal: Signal) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        sys::process::send_signal(self.id(), signal.as_raw())
    }

    /// The child's stdin, if it was piped and not taken.
    ///
    /// # Examples
    /// See [`ChildStdin`].
    pub fn stdin(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// The child's stdout, if it was piped and not taken.
    ///
    /// # Examples
    /// See [`Child`].
    pub fn stdout(&mut self) -> Option<&mut ChildStdout> {
        self.stdout.as_mut()
    }

    /// The child's stderr, if it was piped and not taken.
    ///
    /// # Examples
    /// See [`ChildStderr`].
    pub fn stderr(&mut self) -> Option<&mut ChildStderr> {
        self.stderr.as_mut()
    }

    /// Takes the child's stdin out of the handle; dropping it closes the
    /// pipe, which the child reads as end of file.
    ///
    /// # Examples
    /// See [`ChildStdin`].
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Takes the child's stdout out of the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_reactor::Child;
    /// # use std::process::{Command, Stdio};
    /// let mut child = Child::spawn(Command::new("true").stdout(Stdio::piped()))?;
    /// let out = child.take_stdout();
    /// assert!(out.is_some() && child.stdout().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// Takes the child's stderr out of the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// # use simul_reactor::Child;
    /// # use std::process::{Command, Stdio};
    /// let mut child = Child::spawn(Command::new("true").stderr(Stdio::piped()))?;
    /// assert!(child.take_stderr().is_some());
    /// assert!(child.take_stderr().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.stderr.take()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_none() && matches!(self.inner.try_wait(), Ok(None)) {
            adopt(self.inner.id());
        }
        reap_orphans();
    }
}

macro_rules! child_pipe {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            /// The non-blocking pipe end, as a `File` for its `Read`/`Write`.
            file: File,
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.file.as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.file.as_fd()
            }
        }

        impl From<$name> for OwnedFd {
            fn from(pipe: $name) -> OwnedFd {
                pipe.file.into()
            }
        }
    };
}

child_pipe! {
    /// simul's end of a child's standard input: a non-blocking pipe.
    ///
    /// `write` returns `WouldBlock` when the pipe is full (64 KiB on
    /// Linux); register the descriptor for
    /// [`Interest::WRITABLE`](crate::Interest::WRITABLE) and write the rest
    /// when it fires. Drop it (see [`Child::take_stdin`]) to send end of
    /// file. Writing after the child closed its end gives `BrokenPipe`.
    ///
    /// # Examples
    ///
    /// `cat` echoes back what it is given:
    ///
    /// ```
    /// use simul_reactor::{Child, Events, Interest, Reactor, Token};
    /// use std::io::{ErrorKind, Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::process::{Command, Stdio};
    ///
    /// let mut reactor = Reactor::new()?;
    /// let mut child = Child::spawn(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()))?;
    /// child.stdin().unwrap().write_all(b"ping")?; // fits in the pipe: no WouldBlock
    /// drop(child.take_stdin()); // EOF: cat exits after echoing
    ///
    /// let mut out = child.take_stdout().unwrap();
    /// reactor.register(out.as_raw_fd(), Token(0), Interest::READABLE)?;
    /// let (mut echoed, mut buf, mut events) = (Vec::new(), [0u8; 64], Events::with_capacity(4));
    /// 'outer: loop {
    ///     reactor.poll(&mut events, None)?;
    ///     loop {
    ///         match out.read(&mut buf) {
    ///             Ok(0) => break 'outer,
    ///             Ok(n) => echoed.extend_from_slice(&buf[..n]),
    ///             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    /// }
    /// assert_eq!(echoed, b"ping");
    /// # reactor.deregister(out.as_raw_fd())?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStdin
}

child_pipe! {
    /// simul's end of a child's standard output: a non-blocking pipe.
    ///
    /// `read` returns `WouldBlock` when nothing is buffered and `Ok(0)`
    /// once the child (and everything it passed the pipe to) has closed
    /// it. Register the descriptor for
    /// [`Interest::READABLE`](crate::Interest::READABLE) and read until
    /// one of those two after each event.
    ///
    /// # Examples
    /// See [`Child`].
    ChildStdout
}

child_pipe! {
    /// simul's end of a child's standard error: a non-blocking pipe,
    /// read like [`ChildStdout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Child, Events, Interest, Reactor, Token};
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    ///
    /// let mut reactor = Reactor::new()?;
    /// let mut child = Child::spawn(Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Stdio::piped()))?;
    /// reactor.register(child.exit_fd(), Token(0), Interest::READABLE)?;
    /// let mut events = Events::with_capacity(4);
    /// while child.try_wait()?.is_none() {
    ///     reactor.poll(&mut events, None)?;
    /// }
    /// // The child has exited, so everything it wrote is in the pipe.
    /// let mut text = String::new();
    /// child.stderr().unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "oops\n");
    /// # reactor.deregister(child.exit_fd())?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStderr
}

// The three impls below go through `sys::fd` rather than `File`'s own
// `read`/`write`: those hand `EINTR` straight back, and a user of these
// pipes must never see `Interrupted` (found by `scripts/eintr.sh`, guarded
// by `tests/process.rs`).
impl Write for ChildStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::fd::write(self.file.as_fd(), buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Pipes have no user-space buffer: every `write` went to the kernel.
        Ok(())
    }
}

impl Read for ChildStdout {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::fd::read(self.file.as_fd(), buf)
    }
}

impl Read for ChildStderr {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::fd::read(self.file.as_fd(), buf)
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use crate::{Events, Interest, Reactor, Token};
    use std::collections::HashMap;
    use std::time::Duration;

    /// The `SIGCHLD` fallback for kernels without `pidfd_open`: every
    /// exit wakes every watcher, each re-checks its own child, and all
    /// statuses come out right. Afterwards SIGCHLD's disposition is the
    /// default again.
    #[test]
    fn sigchld_fallback_sees_every_exit() {
        let mut reactor = Reactor::new().unwrap();
        let mut children = HashMap::new();
        for i in 0..8usize {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", &format!("sleep 0.0{i}; exit {i}")]);
            let child =
                Child::spawn_watched(&mut cmd, |_| sys::process::ExitWatch::sigchld()).unwrap();
            reactor.register(child.exit_fd(), Token(i), Interest::READABLE).unwrap();
            children.insert(i, child);
        }
        let mut statuses = HashMap::new();
        let mut events = Events::with_capacity(16);
        let deadline = reactor.now() + Duration::from_secs(10);
        while statuses.len() < children.len() {
            assert!(reactor.now() < deadline, "only {} exits seen", statuses.len());
            reactor.poll(&mut events, Some(deadline)).unwrap();
            for e in events.iter() {
                let i = e.token().0;
                if let Some(status) = children.get_mut(&i).unwrap().try_wait().unwrap() {
                    statuses.insert(i, status.code());
                }
            }
        }
        for (i, code) in &statuses {
            assert_eq!(*code, Some(*i as i32));
        }
        for child in children.values() {
            reactor.deregister(child.exit_fd()).unwrap();
        }
        drop(children);
        // SAFETY: an all-zero sigaction is a valid value.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a query (null new action) into a live value.
        assert_eq!(unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) }, 0);
        assert_eq!(old.sa_sigaction, libc::SIG_DFL);
    }
}
