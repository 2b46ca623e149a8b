//! Child processes whose pipes and exit park the green thread:
//! `gevent.subprocess`, done with types.
//!
//! [`Child::spawn`] takes the `std::process::Command` you already know
//! and starts it through [`simul_reactor::Child`], which makes the pipes
//! non-blocking and turns the child's exit into a descriptor. Every call
//! that would wait for the child ([`Child::wait`], a `read` from its
//! [`stdout`](ChildStdout), a `write` to its [`stdin`](ChildStdin) when
//! the pipe is full) tries first, and on `WouldBlock` parks the calling
//! green thread on the hub's reactor, exactly as the sockets of
//! [`net`](crate::net) do. Code written against `std::io::Read` and
//! `Write` talks to the child unchanged:
//!
//! ```
//! use simul_green::process::Child;
//! use std::io::{BufRead, BufReader, Write};
//! use std::process::{Command, Stdio};
//!
//! let hub = simul_green::Hub::new()?;
//! let answers = hub.run(|| -> std::io::Result<Vec<String>> {
//!     let mut cat = Child::spawn(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()))?;
//!     let mut to_cat = cat.take_stdin().unwrap();
//!     let mut from_cat = BufReader::new(cat.take_stdout().unwrap());
//!     let mut answers = Vec::new();
//!     for question in ["ping", "pong"] {
//!         writeln!(to_cat, "{question}")?;          // parks if the pipe is full
//!         let mut line = String::new();
//!         from_cat.read_line(&mut line)?;           // parks until cat answers
//!         answers.push(line.trim_end().to_owned());
//!     }
//!     drop(to_cat);                                 // end of file: cat exits
//!     assert!(cat.wait()?.success());               // parks until it has
//!     Ok(answers)
//! })??;
//! assert_eq!(answers, ["ping", "pong"]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! While one green thread waits for its child, the hub runs the others:
//! timers fire, sockets are served, other children are talked to.
//!
//! ## Why not `std::process`
//!
//! `std::process::Child::wait` calls `waitpid(2)` without `WNOHANG`: the
//! *OS thread* sleeps in the kernel until the child exits. A hub and all
//! its green threads live on that one OS thread, so nothing else runs
//! meanwhile: no green thread, no timer, no socket. The same holds for
//! reading a `std::process::ChildStdout` (a blocking `read(2)`) and for
//! `Command::output`. Here a ticker green thread is ready to run the whole
//! time, yet it only gets to tick once the std wait has returned. With
//! [`Child::wait`] the ticker runs while main waits; it must, in fact,
//! since it holds `cat`'s input and `cat` exits only once the ticker has
//! closed it (a std wait there would hang for ever):
//!
//! ```
//! use simul_green::process::Child;
//! use std::cell::RefCell;
//! use std::process::{Command, Stdio};
//! use std::rc::Rc;
//!
//! let hub = simul_green::Hub::new()?;
//! let log = hub.run(|| -> std::io::Result<Vec<&str>> {
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!
//!     let l = log.clone();
//!     let ticker = simul_green::spawn(move || l.borrow_mut().push("tick"))?; // ready...
//!     Command::new("true").status()?; // ...but the OS thread sleeps in waitpid
//!     log.borrow_mut().push("std wait returned");
//!     ticker.join().map_err(std::io::Error::from)?;
//!
//!     let mut cat = Child::spawn(Command::new("cat").stdin(Stdio::piped()))?;
//!     let (l, input) = (log.clone(), cat.take_stdin());
//!     let ticker = simul_green::spawn(move || {
//!         l.borrow_mut().push("tick");
//!         drop(input); // end of file: now cat exits
//!     })?;
//!     cat.wait()?; // parks; the hub runs the ticker
//!     log.borrow_mut().push("green wait returned");
//!     ticker.join().map_err(std::io::Error::from)?;
//!     Ok(log.take())
//! })??;
//! assert_eq!(log, ["std wait returned", "tick", "tick", "green wait returned"]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! (For truly blocking code there is also [`offload`](fn@crate::offload),
//! which runs it on a worker thread; a child process needs none, since
//! its exit is an event like any other.)
//!
//! ## Compared with `gevent.subprocess`
//!
//! gevent makes `subprocess.Popen` cooperative by monkeypatching: its
//! `Popen` keeps the standard library's interface and waits on the hub
//! (a libev child watcher, fed by `SIGCHLD`) instead of in `waitpid`.
//! Here the cooperative version is a different type with the same shape
//! as `std`'s, and the compiler shows which one a call uses.
//!
//! | `gevent.subprocess` | here | `std::process` |
//! | --- | --- | --- |
//! | `Popen(args, stdout=PIPE)` | [`Child::spawn`]`(Command::new(..).stdout(Stdio::piped()))` | `Command::spawn` |
//! | `p.pid` | [`Child::id`] | `Child::id` |
//! | `p.wait()`: parks the greenlet | [`Child::wait`]: parks the green thread | `Child::wait`: blocks the OS thread |
//! | `p.poll()` | [`Child::try_wait`] | `Child::try_wait` |
//! | `p.kill()`, `p.send_signal(s)` | [`Child::kill`], [`Child::signal`] | `Child::kill` |
//! | `p.stdin`, `p.stdout`, `p.stderr`: cooperative file objects | [`Child::stdin`] .. [`Child::take_stderr`]: [`ChildStdin`] (`Write`), [`ChildStdout`], [`ChildStderr`] (`Read`) | the same, blocking |
//! | `p.communicate()`: a greenlet per pipe | [`Child::wait_with_output`]: a green thread for stderr | `wait_with_output`: `poll(2)` on both pipes, blocking |
//! | `check_output(args)` | [`output`]`(&mut cmd)` (check `status` yourself) | `Command::output` |
//! | `p.wait(timeout=1)` | none: let another green thread [`sleep`](crate::sleep) and [`kill`](Child::kill) | none |
//!
//! Two differences in behaviour: [`Child::wait`] closes the child's stdin
//! first, as `std`'s does (gevent's does not), so a child reading its
//! input to the end cannot wait for the parent that waits for it; and
//! there is no `shell=True`, spawn `sh -c '...'` instead.
//!
//! ## How the wait works
//!
//! [`Child::wait`] is a loop: [`try_wait`](Child::try_wait) (a
//! `waitpid(WNOHANG)` that never blocks), and if the child is still
//! running, park until its exit descriptor
//! ([`simul_reactor::Child::exit_fd`]: a pidfd on Linux 5.3 and later) is
//! reported readable, then look again. The descriptor is registered with
//! the hub once and stays registered until the `Child` is dropped, like a
//! socket's. With the reactor's `SIGCHLD` fallback (older kernels) any
//! child's exit wakes every waiter; the loop simply looks again. On the
//! kqueue systems the exit descriptor is a kqueue (watching the child's
//! `EVFILT_PROC`), which another kqueue can watch for reading only: the
//! hub registers a descriptor only for the directions waited for, so
//! this one is registered for reading, like a pidfd.
//! No variant spins: between two looks the green thread is parked.
//!
//! ## Outside a hub
//!
//! As with [`net`](crate::net): [`Child::spawn`], [`try_wait`](Child::try_wait),
//! [`kill`](Child::kill) and [`signal`](Child::signal) never wait and work
//! anywhere; a `wait`, `read` or `write` that can complete at once (the
//! child has exited, data is buffered, the pipe has room) does so, and
//! one that would have to wait returns an `io::Error` saying so (`not
//! inside a simul-green hub ...`) instead of hanging.
//!
//! ## Dropping
//!
//! Nothing leaks, and nothing is killed. Dropping a pipe end deregisters
//! it from the hub and closes it: the child sees end of file on stdin, or
//! `EPIPE` when writing to a closed stdout or stderr. Dropping a [`Child`]
//! deregisters its exit descriptor, closes it and every pipe end it still
//! holds, and leaves the process running, as `std` and gevent do. Unlike
//! `std`, the reactor's `Child` remembers the pid of a child dropped while
//! running and reaps it, without blocking, the next time any child is
//! spawned, checked with `try_wait` or dropped, so it does not stay a
//! zombie. [`kill`](Child::kill) (and [`wait`](Child::wait)) first if the
//! child must not outlive its handle.
//!
//! ## `EINTR`
//!
//! No call here returns `Interrupted`: the reactor retries the pipes'
//! `read(2)` and `write(2)`, the hub retries its poll, and
//! `waitpid(WNOHANG)` does not sleep, so it is not interrupted.

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::process::{Command, ExitStatus, Output, Stdio};

use simul_reactor::{Interest, Signal};

use crate::hub::with_current;
use crate::registry::Registration;

/// Retries `op` until it does not say `WouldBlock`, parking on `fd` for
/// `interest` in between; `fd` is owned by the object of `reg`, whose
/// registration stays across the waits.
fn retry<T>(
    fd: RawFd,
    reg: &Registration,
    interest: Interest,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => park_on(fd, reg, interest)?,
            other => return other,
        }
    }
}

/// Parks until `fd`, owned by the object of `reg`, is ready for
/// `interest` (after a `WouldBlock`, or after `try_wait` said `None`).
fn park_on(fd: RawFd, reg: &Registration, interest: Interest) -> io::Result<()> {
    with_current(|hub| hub.wait_io(fd, interest, Some(reg)))?
}

/// Deregisters `fd` from the hub running here, if its owner registered it
/// there, before the owner closes it. Elsewhere (outside `run`, another
/// thread) the hub recognises the entry as stale if the number comes back.
fn release(fd: RawFd, reg: &Registration) {
    let _ = with_current(|hub| hub.release_fd(fd, reg));
}

/// A child process whose [`wait`](Child::wait) and pipes park the green
/// thread instead of blocking the hub.
///
/// Configure the pipes you want on the `Command` with `Stdio::piped()`;
/// [`stdin`](Child::stdin), [`stdout`](Child::stdout) and
/// [`stderr`](Child::stderr) then hold them. See the [module docs](self)
/// for how this compares with `std::process` and `gevent.subprocess`, and
/// for what dropping does.
///
/// # Examples
///
/// ```
/// use simul_green::process::Child;
/// use std::io::Read;
/// use std::process::{Command, Stdio};
///
/// let hub = simul_green::Hub::new()?;
/// let (text, code) = hub.run(|| -> std::io::Result<(String, Option<i32>)> {
///     let mut child = Child::spawn(
///         Command::new("sh").args(["-c", "echo hello; exit 7"]).stdout(Stdio::piped()),
///     )?;
///     let mut text = String::new();
///     child.stdout().unwrap().read_to_string(&mut text)?; // parks until EOF
///     Ok((text, child.wait()?.code()))
/// })??;
/// assert_eq!((text.as_str(), code), ("hello\n", Some(7)));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Child {
    /// The reactor's child: pid, exit descriptor, status.
    inner: simul_reactor::Child,
    /// The exit descriptor's entry in the hub's registry, once waited on.
    reg: Registration,
    /// Our end of the child's stdin, when piped and not taken.
    stdin: Option<ChildStdin>,
    /// Our end of the child's stdout, when piped and not taken.
    stdout: Option<ChildStdout>,
    /// Our end of the child's stderr, when piped and not taken.
    stderr: Option<ChildStderr>,
}

impl Child {
    /// Starts `command`. Never waits, so it works outside a hub too.
    ///
    /// Streams set to `Stdio::piped()` become [`ChildStdin`],
    /// [`ChildStdout`] and [`ChildStderr`]; the others are what the
    /// `Command` says (inherited by default), as with `Command::spawn`.
    ///
    /// # Errors
    ///
    /// What [`simul_reactor::Child::spawn`] reports: `NotFound` for a
    /// missing program, `PermissionDenied`, the OS error from setting up
    /// the exit watch.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::ErrorKind;
    /// use std::process::Command;
    ///
    /// let err = Child::spawn(&mut Command::new("/no/such/program")).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let status = hub.run(|| Child::spawn(&mut Command::new("true"))?.wait())??;
    /// assert!(status.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(command: &mut Command) -> io::Result<Child> {
        let mut inner = simul_reactor::Child::spawn(command)?;
        let stdin =
            inner.take_stdin().map(|inner| ChildStdin { inner, reg: Registration::default() });
        let stdout =
            inner.take_stdout().map(|inner| ChildStdout { inner, reg: Registration::default() });
        let stderr =
            inner.take_stderr().map(|inner| ChildStderr { inner, reg: Registration::default() });
        Ok(Child { inner, reg: Registration::default(), stdin, stdout, stderr })
    }

    /// The child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    ///
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     let mut child = Child::spawn(&mut std::process::Command::new("true"))?;
    ///     assert!(child.id() > 0);
    ///     child.wait().map(drop)
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// Waits for the child to exit, parking the calling green thread (the
    /// hub runs the others meanwhile), and returns its status.
    ///
    /// Closes the child's stdin first, if this handle still holds it, as
    /// `std::process::Child::wait` does: a child that reads its input to
    /// the end would otherwise wait for the parent that waits for it. Once
    /// the child has exited, every later call returns the same status at
    /// once. A green thread killed while it waits unwinds from here; the
    /// child keeps running.
    ///
    /// # Errors
    ///
    /// The "not inside a simul-green hub" error if the child is still
    /// running and the caller is not in a hub's `run`; the hub's errors
    /// for a wait (while unwinding, a deadlock report); `ECHILD` from
    /// `waitpid` if something outside simul reaped the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::process::Command;
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let code = hub.run(|| -> std::io::Result<Option<i32>> {
    ///     let mut child = Child::spawn(Command::new("sh").args(["-c", "sleep 0.01; exit 3"]))?;
    ///     let status = child.wait()?; // parks; other green threads run
    ///     assert_eq!(child.wait()?, status); // the same status again
    ///     Ok(status.code())
    /// })??;
    /// assert_eq!(code, Some(3));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        self.wait_exit()
    }

    /// The loop of [`wait`](Child::wait): look, and park on the exit
    /// descriptor while the child runs. The same on every system: the
    /// hub registers the descriptor for reading only, which kqueue also
    /// accepts for the kqueue that is the exit descriptor there.
    fn wait_exit(&mut self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.inner.try_wait()? {
                return Ok(status);
            }
            // `try_wait` consumed the readiness before it looked, so an
            // exit after the look is a new edge: it cannot be missed.
            park_on(self.inner.exit_fd(), &self.reg, Interest::READABLE)?;
        }
    }

    /// The exit status if the child has exited, `None` if it is still
    /// running. Never waits, so it works outside a hub too.
    ///
    /// # Errors
    ///
    /// The OS error from `waitpid`; `ECHILD` means something outside
    /// simul reaped the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::process::Command;
    ///
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     let mut child = Child::spawn(Command::new("sleep").arg("30"))?;
    ///     assert_eq!(child.try_wait()?, None); // still sleeping: we did not wait
    ///     child.kill()?;
    ///     let status = child.wait()?;
    ///     assert_eq!(child.try_wait()?, Some(status));
    ///     Ok(())
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.inner.try_wait()
    }

    /// Kills the child with `SIGKILL`; [`wait`](Child::wait) then returns
    /// its status. Does nothing once the child has been reaped (its pid
    /// may belong to another process by then).
    ///
    /// # Errors
    ///
    /// The OS error from `kill(2)`, which does not happen for a child that
    /// has not been reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use simul_reactor::Signal;
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let status = hub.run(|| -> std::io::Result<_> {
    ///     let mut child = Child::spawn(std::process::Command::new("sleep").arg("30"))?;
    ///     child.kill()?;
    ///     child.wait()
    /// })??;
    /// assert_eq!(status.signal(), Some(Signal::KILL.as_raw()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        self.inner.kill()
    }

    /// Sends `signal` to the child, for example [`Signal::TERM`] to ask it
    /// to stop. Does nothing once the child has been reaped.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal; otherwise as
    /// [`kill`](Child::kill).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use simul_reactor::Signal;
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let status = hub.run(|| -> std::io::Result<_> {
    ///     let mut child = Child::spawn(std::process::Command::new("sleep").arg("30"))?;
    ///     child.signal(Signal::TERM)?;
    ///     child.wait()
    /// })??;
    /// assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signal(&mut self, signal: Signal) -> io::Result<()> {
        self.inner.signal(signal)
    }

    /// The child's stdin, if it was piped and not taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::Write;
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let code = hub.run(|| -> std::io::Result<Option<i32>> {
    ///     let mut child = Child::spawn(
    ///         Command::new("sh").args(["-c", "read n; exit $n"]).stdin(Stdio::piped()),
    ///     )?;
    ///     child.stdin().unwrap().write_all(b"5\n")?;
    ///     Ok(child.wait()?.code())
    /// })??;
    /// assert_eq!(code, Some(5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdin(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// The child's stdout, if it was piped and not taken.
    ///
    /// # Examples
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let text = hub.run(|| -> std::io::Result<String> {
    ///     let mut child = Child::spawn(Command::new("echo").arg("hi").stdout(Stdio::piped()))?;
    ///     let mut text = String::new();
    ///     child.stdout().unwrap().read_to_string(&mut text)?;
    ///     child.wait()?;
    ///     Ok(text)
    /// })??;
    /// assert_eq!(text, "hi\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdout(&mut self) -> Option<&mut ChildStdout> {
        self.stdout.as_mut()
    }

    /// The child's stderr, if it was piped and not taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let text = hub.run(|| -> std::io::Result<String> {
    ///     let mut child = Child::spawn(
    ///         Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Stdio::piped()),
    ///     )?;
    ///     let mut text = String::new();
    ///     child.stderr().unwrap().read_to_string(&mut text)?;
    ///     child.wait()?;
    ///     Ok(text)
    /// })??;
    /// assert_eq!(text, "oops\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stderr(&mut self) -> Option<&mut ChildStderr> {
        self.stderr.as_mut()
    }

    /// Takes the child's stdin out of the handle, to give to another green
    /// thread; dropping it sends end of file.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::{Read, Write};
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let echoed = hub.run(|| -> std::io::Result<Vec<u8>> {
    ///     let mut cat = Child::spawn(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()))?;
    ///     let mut input = cat.take_stdin().unwrap();
    ///     // 1 MiB does not fit in a pipe: the writer parks while it is full,
    ///     // and the reader below drains it meanwhile.
    ///     let writer = simul_green::spawn(move || input.write_all(&vec![7u8; 1 << 20]))?;
    ///     let mut echoed = Vec::new();
    ///     cat.stdout().unwrap().read_to_end(&mut echoed)?; // EOF: writer done, cat exited
    ///     writer.join().map_err(std::io::Error::from)??;
    ///     cat.wait()?;
    ///     Ok(echoed)
    /// })??;
    /// assert_eq!(echoed, vec![7u8; 1 << 20]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Takes the child's stdout out of the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::{BufRead, BufReader};
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let lines = hub.run(|| -> std::io::Result<Vec<String>> {
    ///     let mut child = Child::spawn(Command::new("printf").arg("a\\nb\\n").stdout(Stdio::piped()))?;
    ///     let lines = BufReader::new(child.take_stdout().unwrap()).lines().collect();
    ///     child.wait()?;
    ///     lines
    /// })??;
    /// assert_eq!(lines, ["a", "b"]);
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
    /// use simul_green::process::Child;
    /// use std::process::{Command, Stdio};
    ///
    /// let mut child = Child::spawn(Command::new("true").stderr(Stdio::piped()))?;
    /// assert!(child.take_stderr().is_some());
    /// assert!(child.take_stderr().is_none() && child.stderr().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.stderr.take()
    }

    /// Closes stdin, reads stdout and stderr to the end, both at once,
    /// and waits for the child: `std`'s `wait_with_output`, gevent's
    /// `communicate()`.
    ///
    /// Reading the two pipes one after the other could deadlock: a child
    /// that fills the stderr pipe (64 KiB on Linux) stops until someone
    /// reads it, while the parent reads stdout and waits for an end of file
    /// that never comes. So when both are piped, stderr is read by a
    /// second green thread while the calling one reads stdout, as
    /// gevent's `communicate` does with greenlets. Streams not piped (or
    /// taken) come back empty.
    ///
    /// # Errors
    ///
    /// A read error or a [`wait`](Child::wait) error; the "not inside a
    /// simul-green hub" error outside a hub when anything has to wait
    /// (with both streams piped, always: the helper is a green thread).
    /// On an error the helper is killed and the child left running (and
    /// reaped later, see the [module docs](self#dropping)).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let out = hub.run(|| {
    ///     Child::spawn(
    ///         Command::new("sh")
    ///             .args(["-c", "echo out; echo err >&2; exit 1"])
    ///             .stdout(Stdio::piped())
    ///             .stderr(Stdio::piped()),
    ///     )?
    ///     .wait_with_output()
    /// })??;
    /// assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
    /// assert_eq!(out.status.code(), Some(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = match (self.stdout.take(), self.stderr.take()) {
            (None, None) => (Vec::new(), Vec::new()),
            (Some(out), None) => (read_all(out)?, Vec::new()),
            (None, Some(err)) => (Vec::new(), read_all(err)?),
            (Some(out), Some(err)) => {
                let mut helper = Helper(Some(crate::spawn(move || read_all(err))?));
                let stdout = read_all(out)?; // on an error `helper` kills the thread
                let stderr = helper.join()?;
                (stdout, stderr)
            }
        };
        let status = self.wait()?;
        Ok(Output { status, stdout, stderr })
    }
}

/// Reads `pipe` to its end.
fn read_all(mut pipe: impl Read) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    pipe.read_to_end(&mut all)?;
    Ok(all)
}

/// The green thread reading stderr for [`Child::wait_with_output`]:
/// killed if the caller leaves without joining it, so it does not go on
/// reading a pipe nobody wants.
struct Helper(Option<crate::JoinHandle<io::Result<Vec<u8>>>>);

impl Helper {
    /// Its result.
    fn join(&mut self) -> io::Result<Vec<u8>> {
        match self.0.take() {
            Some(handle) => handle.join().map_err(io::Error::from)?,
            None => Ok(Vec::new()),
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            // Fails only while the caller unwinds; the helper then reads
            // to the end of the pipe, which comes when the child exits
            // (its end of the pipe closes with it) or is killed.
            let _ = handle.kill();
        }
    }
}

/// Runs `command` to completion and collects its status, stdout and
/// stderr, parking the calling green thread: `Command::output` for green
/// threads (gevent's `check_output`, without the check).
///
/// Sets the command's stdin to `Stdio::null()` and its stdout and stderr
/// to `Stdio::piped()`, replacing what was configured (std's `output`
/// does this only for streams left unset, but a `Command` does not say
/// which those are). Both pipes are read at once, so a child writing much
/// to both cannot deadlock; see [`Child::wait_with_output`].
///
/// # Errors
///
/// As [`Child::spawn`] (`NotFound`, ...) and [`Child::wait_with_output`].
///
/// # Examples
///
/// ```
/// use std::process::Command;
///
/// let hub = simul_green::Hub::new()?;
/// let out = hub.run(|| simul_green::process::output(Command::new("echo").arg("hello")))??;
/// assert!(out.status.success());
/// assert_eq!(out.stdout, b"hello\n");
/// assert!(out.stderr.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn output(command: &mut Command) -> io::Result<Output> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    Child::spawn(command)?.wait_with_output()
}

impl Drop for Child {
    /// Deregisters the exit descriptor; the fields then close it and the
    /// pipes, and the reactor's `Child` adopts a still running process
    /// (see the [module docs](self#dropping)).
    fn drop(&mut self) {
        release(self.inner.exit_fd(), &self.reg);
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

/// The green side of one child pipe: its struct, `Drop` (deregister
/// before the descriptor closes), the descriptor traits and `Debug`.
macro_rules! green_pipe {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name {
            /// The reactor's non-blocking pipe end.
            inner: simul_reactor::$name,
            /// Its entry in the hub's registry, once it waited.
            reg: Registration,
        }

        impl Drop for $name {
            fn drop(&mut self) {
                release(self.as_raw_fd(), &self.reg);
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    };
}

green_pipe! {
    /// Our end of a child's standard input: `write` parks the green
    /// thread while the pipe is full. Drop it to send end of file; writing
    /// after the child closed its end gives `BrokenPipe`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::{ErrorKind, Write};
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// hub.run(|| -> std::io::Result<()> {
    ///     // `true` exits without reading: the pipe has no reader left.
    ///     let mut child = Child::spawn(Command::new("true").stdin(Stdio::piped()))?;
    ///     let mut stdin = child.take_stdin().unwrap();
    ///     child.wait()?;
    ///     assert_eq!(stdin.write_all(b"anyone?").unwrap_err().kind(), ErrorKind::BrokenPipe);
    ///     Ok(())
    /// })??;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStdin
}

green_pipe! {
    /// Our end of a child's standard output: `read` parks the green
    /// thread until data or end of file arrives.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let n = hub.run(|| -> std::io::Result<usize> {
    ///     let mut child = Child::spawn(
    ///         Command::new("sh").args(["-c", "sleep 0.01; echo late"]).stdout(Stdio::piped()),
    ///     )?;
    ///     let mut out = child.take_stdout().unwrap();
    ///     let mut buf = [0u8; 16];
    ///     let n = out.read(&mut buf)?; // parks until "late" arrives
    ///     child.wait()?;
    ///     Ok(n)
    /// })??;
    /// assert_eq!(n, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStdout
}

green_pipe! {
    /// Our end of a child's standard error, read like [`ChildStdout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_green::process::Child;
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    ///
    /// let hub = simul_green::Hub::new()?;
    /// let text = hub.run(|| -> std::io::Result<String> {
    ///     let mut child = Child::spawn(
    ///         Command::new("sh").args(["-c", "echo warning >&2"]).stderr(Stdio::piped()),
    ///     )?;
    ///     let mut text = String::new();
    ///     child.take_stderr().unwrap().read_to_string(&mut text)?;
    ///     child.wait()?;
    ///     Ok(text)
    /// })??;
    /// assert_eq!(text, "warning\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ChildStderr
}

impl Write for ChildStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (fd, inner) = (self.inner.as_raw_fd(), &mut self.inner);
        retry(fd, &self.reg, Interest::WRITABLE, || inner.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // nothing is buffered in user space
    }
}

impl Read for ChildStdout {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (fd, inner) = (self.inner.as_raw_fd(), &mut self.inner);
        retry(fd, &self.reg, Interest::READABLE, || inner.read(&mut *buf))
    }
}

impl Read for ChildStderr {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (fd, inner) = (self.inner.as_raw_fd(), &mut self.inner);
        retry(fd, &self.reg, Interest::READABLE, || inner.read(&mut *buf))
    }
}
