//! [`Child`]: a child process whose exit and pipes are awaited without
//! blocking the loop (asyncio's `create_subprocess_exec`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{Command, ExitStatus};
use std::task::{Context, Poll};

use simul_reactor::{Interest, Signal};

use crate::io_source::{Direction, Registration};
use crate::{ChildStderr, ChildStdin, ChildStdout};

/// A child process registered with the current runtime.
///
/// `std::process::Child::wait` would stop the whole loop until the child
/// exits; [`wait`](Child::wait) here suspends only the task that awaits
/// it. It stands on [`simul_reactor::Child`]: the process's exit is a
/// descriptor (a pidfd on Linux) registered like a socket, and its pipes
/// are non-blocking and registered too, as [`AsyncWrite`](crate::AsyncWrite)
/// ([`ChildStdin`]) and [`AsyncRead`](crate::AsyncRead) ([`ChildStdout`],
/// [`ChildStderr`]).
///
/// Ask for pipes on the `Command` (`Stdio::piped()`), as with `std`.
/// Dropping a `Child` leaves the process running (as `std` and asyncio
/// do) and closes simul's ends of its pipes; the reactor reaps it later
/// so it does not stay a zombie. [`kill`](Child::kill) it first if it
/// must not outlive its handle.
///
/// # Examples
///
/// `cat` echoes what it is given:
///
/// ```
/// use simul_future::{AsyncReadExt, AsyncWriteExt, Child, Runtime};
/// use std::process::{Command, Stdio};
///
/// let mut rt = Runtime::new()?;
/// let (out, status) = rt.block_on(async {
///     let mut cmd = Command::new("cat");
///     cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
///     let mut child = Child::spawn(&mut cmd)?;
///     let mut stdin = child.take_stdin().unwrap();
///     stdin.write_all(b"round trip").await?;
///     drop(stdin); // end of file for cat
///     let mut out = Vec::new();
///     let mut buf = [0u8; 64];
///     let stdout = child.stdout().unwrap();
///     loop {
///         let n = stdout.read(&mut buf).await?;
///         if n == 0 { break }
///         out.extend_from_slice(&buf[..n]);
///     }
///     let status = child.wait().await?;
///     Ok::<_, std::io::Error>((out, status))
/// })??;
/// assert_eq!(out, b"round trip");
/// assert!(status.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Child {
    /// The exit descriptor's registration; deregisters before `inner`
    /// closes the descriptor (fields drop in order).
    exit: Registration,
    /// Standard input, if piped and not taken.
    stdin: Option<ChildStdin>,
    /// Standard output, if piped and not taken.
    stdout: Option<ChildStdout>,
    /// Standard error, if piped and not taken.
    stderr: Option<ChildStderr>,
    /// The process (its pipes already moved out above).
    inner: simul_reactor::Child,
}

impl Child {
    /// Starts `command`, with the pipes it asks for registered.
    ///
    /// # Errors
    ///
    /// `NotFound` for a missing program, what `fork`/`exec` say; `Other`
    /// outside a runtime. If registering fails after the process started,
    /// it is killed before the error is returned.
    ///
    /// # Examples
    /// See [`Child`].
    pub fn spawn(command: &mut Command) -> io::Result<Child> {
        let mut inner = simul_reactor::Child::spawn(command)?;
        match Child::register(&mut inner) {
            Ok((exit, stdin, stdout, stderr)) => Ok(Child { exit, stdin, stdout, stderr, inner }),
            Err(e) => {
                // Nobody could ever wait for it; do not leave it running.
                let _ = inner.kill();
                Err(e)
            }
        }
    }

    /// Registers the exit descriptor and the pipes of `inner`.
    #[allow(clippy::type_complexity)]
    fn register(
        inner: &mut simul_reactor::Child,
    ) -> io::Result<(Registration, Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>)>
    {
        let exit = Registration::with_interest(inner.exit_fd(), Interest::READABLE)?;
        let stdin = inner.take_stdin().map(ChildStdin::new).transpose()?;
        let stdout = inner.take_stdout().map(ChildStdout::new).transpose()?;
        let stderr = inner.take_stderr().map(ChildStderr::new).transpose()?;
        Ok((exit, stdin, stdout, stderr))
    }

    /// The process id.
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let mut child = simul_future::Child::spawn(&mut std::process::Command::new("true"))?;
    /// assert!(child.id() > 0);
    /// child.wait().await?;
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// Waits for the process to exit; the output is its status. Awaiting
    /// again gives the same status.
    ///
    /// # Examples
    /// See [`Child`].
    pub fn wait(&mut self) -> ChildWait<'_> {
        ChildWait { child: self }
    }

    /// The exit status if the process has exited, without waiting.
    ///
    /// # Errors
    ///
    /// What `waitpid(2)` says.
    ///
    /// # Examples
    /// See [`Child::kill`].
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.inner.try_wait()
    }

    /// Kills the process with `SIGKILL`; [`wait`](Child::wait) then
    /// reports it. Does nothing once it has been reaped.
    ///
    /// # Errors
    ///
    /// What `kill(2)` says (not expected for our own child).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let mut child = simul_future::Child::spawn(std::process::Command::new("sleep").arg("10"))?;
    /// assert_eq!(child.try_wait()?, None);
    /// child.kill()?;
    /// assert_eq!(child.wait().await?.signal(), Some(9));
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        self.inner.kill()
    }

    /// Sends `signal` to the process (for example [`Signal::TERM`]).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal; as
    /// [`kill`](Child::kill).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::Signal;
    /// use std::os::unix::process::ExitStatusExt;
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let mut child = simul_future::Child::spawn(std::process::Command::new("sleep").arg("10"))?;
    /// child.signal(Signal::TERM)?;
    /// assert_eq!(child.wait().await?.signal(), Some(Signal::TERM.as_raw()));
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signal(&mut self, signal: Signal) -> io::Result<()> {
        self.inner.signal(signal)
    }

    /// Standard input, if piped and not taken.
    ///
    /// # Examples
    /// See [`Child`] (through [`take_stdin`](Child::take_stdin)).
    pub fn stdin(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// Standard output, if piped and not taken.
    ///
    /// # Examples
    /// See [`Child`].
    pub fn stdout(&mut self) -> Option<&mut ChildStdout> {
        self.stdout.as_mut()
    }

    /// Standard error, if piped and not taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::AsyncReadExt;
    /// use std::process::{Command, Stdio};
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let mut cmd = Command::new("sh");
    /// cmd.args(["-c", "echo oops >&2"]).stderr(Stdio::piped());
    /// let mut child = simul_future::Child::spawn(&mut cmd)?;
    /// let mut buf = [0u8; 5];
    /// child.stderr().unwrap().read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"oops\n");
    /// child.wait().await?;
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stderr(&mut self) -> Option<&mut ChildStderr> {
        self.stderr.as_mut()
    }

    /// Takes standard input out (to move it into another task, or to drop
    /// it and so close the pipe).
    ///
    /// # Examples
    /// See [`Child`].
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Takes standard output out.
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut rt = simul_future::Runtime::new()?;
    /// # rt.block_on(async {
    /// let mut child = simul_future::Child::spawn(&mut std::process::Command::new("true"))?;
    /// assert!(child.take_stdout().is_none()); // not piped
    /// # child.wait().await?;
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// Takes standard error out.
    ///
    /// # Examples
    /// See [`Child::take_stdout`].
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.stderr.take()
    }
}

/// The future of [`Child::wait`]: a leaf future.
///
/// ```text
///   [Waiting] --exit fd readable (or first poll): waitpid(WNOHANG)
///       |          Some(status) --> Ready(Ok(status))
///       |          None (still running, or a spurious wake) --> Pending
///       +-- error --> Ready(Err(e))
/// ```
///
/// As an `async fn`: `loop { if let Some(s) = child.try_wait()? { return
/// Ok(s) } readable(child.exit_fd()).await }`. Dropping it stops waiting;
/// the process runs on.
///
/// # Examples
/// See [`Child`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct ChildWait<'a> {
    /// The child.
    child: &'a mut Child,
}

impl Future for ChildWait<'_> {
    type Output = io::Result<ExitStatus>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        let Child { exit, inner, .. } = &mut *self.get_mut().child;
        exit.poll_io(cx, Direction::Read, || match inner.try_wait()? {
            Some(status) => Ok(status),
            None => Err(io::ErrorKind::WouldBlock.into()),
        })
    }
}
