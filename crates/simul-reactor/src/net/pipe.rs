//! [`pipe`]: an anonymous, non-blocking pipe.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::sys::{pipe as sys_pipe, socket};

/// Opens a pipe: bytes written to the [`PipeWriter`] come out of the
/// [`PipeReader`]. Both ends are non-blocking and close-on-exec.
///
/// Uses: a child process's stdin/stdout, a self-pipe for signal
/// handlers, and tests. For a child, hand over the end it uses with
/// [`PipeWriter::into_blocking_fd`] / [`PipeReader::into_blocking_fd`]
/// and `std::process::Stdio::from`: `O_NONBLOCK` belongs to the open pipe
/// and is shared by every copy of the descriptor, and most programs
/// expect blocking standard streams.
///
/// **`SIGPIPE`.** A pipe cannot suppress `SIGPIPE` per write as sockets
/// can. Writing when the reader is gone fails with `BrokenPipe` in a Rust
/// program, because the Rust runtime sets `SIGPIPE` to "ignore" before
/// `main`; a program that restored the default disposition is killed
/// instead.
///
/// # Errors
///
/// What `pipe2(2)` (or `pipe` and `fcntl` on macOS) says, for example
/// `EMFILE`.
///
/// # Examples
///
/// ```
/// use std::io::{ErrorKind, Read, Write};
///
/// let (mut reader, mut writer) = simul_reactor::net::pipe()?;
/// let mut buf = [0u8; 8];
/// assert_eq!(reader.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
/// writer.write_all(b"bytes")?; // a pipe delivers inside the call
/// assert_eq!(reader.read(&mut buf)?, 5);
/// drop(writer);
/// assert_eq!(reader.read(&mut buf)?, 0); // end of file once the writer is gone
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn pipe() -> io::Result<(PipeReader, PipeWriter)> {
    let (r, w) = sys_pipe::pipe()?;
    Ok((PipeReader { fd: r }, PipeWriter { fd: w }))
}

/// The reading end of a [`pipe`].
///
/// `read` returns what is buffered, `WouldBlock` when nothing is, and
/// `Ok(0)` once every writer has been closed.
///
/// # Examples
/// See [`pipe`].
pub struct PipeReader {
    /// The read end.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec pipe read end owned by this value alone.
    fd: OwnedFd,
}

/// The writing end of a [`pipe`].
///
/// `write` takes what fits in the pipe's buffer (64 KiB on Linux), and
/// fails with `WouldBlock` when it is full. Writes of at most `PIPE_BUF`
/// (4096 bytes on Linux, 512 on macOS) are atomic: never split or
/// interleaved with another writer's.
///
/// # Examples
/// See [`pipe`].
pub struct PipeWriter {
    /// The write end.
    ///
    /// # Invariant
    /// A non-blocking, close-on-exec pipe write end owned by this value alone.
    fd: OwnedFd,
}

impl PipeReader {
    /// Gives up the read end as a *blocking* descriptor, for a child
    /// process's stdin (see [`pipe`]).
    ///
    /// # Errors
    ///
    /// What the OS says when clearing `O_NONBLOCK`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::process::{Command, Stdio};
    ///
    /// let (reader, mut writer) = simul_reactor::net::pipe()?;
    /// writer.write_all(b"to the child")?;
    /// drop(writer);
    /// let out = Command::new("cat").stdin(Stdio::from(reader.into_blocking_fd()?)).output()?;
    /// assert_eq!(out.stdout, b"to the child");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        socket::set_nonblocking(self.fd.as_fd(), false)?;
        Ok(self.fd)
    }
}

impl PipeWriter {
    /// Gives up the write end as a *blocking* descriptor, for a child
    /// process's stdout or stderr (see [`pipe`]).
    ///
    /// # Errors
    ///
    /// What the OS says when clearing `O_NONBLOCK`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::process::{Command, Stdio};
    ///
    /// let (mut reader, writer) = simul_reactor::net::pipe()?;
    /// let status = Command::new("echo").arg("hi").stdout(Stdio::from(writer.into_blocking_fd()?)).status()?;
    /// assert!(status.success());
    /// let mut out = Vec::new();
    /// reader.read_to_end(&mut out)?; // the child exited: everything is buffered, then EOF
    /// assert_eq!(out, b"hi\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        socket::set_nonblocking(self.fd.as_fd(), false)?;
        Ok(self.fd)
    }
}

impl Read for &PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        socket::read(self.fd.as_fd(), buf)
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for &PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        socket::write(self.fd.as_fd(), buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeReader").field("fd", &self.fd.as_raw_fd()).finish()
    }
}

impl fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeWriter").field("fd", &self.fd.as_raw_fd()).finish()
    }
}

impl AsRawFd for PipeReader {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for PipeReader {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<PipeReader> for OwnedFd {
    fn from(reader: PipeReader) -> OwnedFd {
        reader.fd
    }
}

impl AsRawFd for PipeWriter {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for PipeWriter {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<PipeWriter> for OwnedFd {
    fn from(writer: PipeWriter) -> OwnedFd {
        writer.fd
    }
}
