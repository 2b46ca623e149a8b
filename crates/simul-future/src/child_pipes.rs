//! [`ChildStdin`], [`ChildStdout`], [`ChildStderr`]: a child process's
//! pipes as [`AsyncWrite`] and [`AsyncRead`] (asyncio's
//! `proc.stdin`/`proc.stdout` streams).

use std::io::{self, Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::Interest;

use crate::io_source::Registration;
use crate::{AsyncRead, AsyncWrite};

/// The write end of a child's standard input, registered with the
/// current runtime. Dropping it closes the pipe: the child reads end of
/// file. Writing after the child closed its end is `BrokenPipe`, never a
/// `SIGPIPE`.
///
/// # Examples
/// See [`Child`](crate::Child).
#[derive(Debug)]
pub struct ChildStdin {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The pipe.
    inner: simul_reactor::ChildStdin,
}

impl ChildStdin {
    /// Registers the pipe for writing.
    pub(crate) fn new(inner: simul_reactor::ChildStdin) -> io::Result<ChildStdin> {
        let registration = Registration::with_interest(inner.as_raw_fd(), Interest::WRITABLE)?;
        Ok(ChildStdin { registration, inner })
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let inner = &mut this.inner;
        this.registration.poll_write_buf(cx, buf, |buf| inner.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// A pipe has no half-close: drop the `ChildStdin` (or
    /// [`Child::take_stdin`](crate::Child::take_stdin) and drop it) to
    /// send end of file.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Defines a readable child pipe type.
macro_rules! child_reader {
    ($name:ident, $what:literal) => {
        #[doc = concat!("The read end of a child's ", $what, ", registered with the current")]
        /// runtime. It reads `Ok(0)` once the child (and every process
        /// that inherited the pipe) has closed its end.
        ///
        /// # Examples
        /// See [`Child`](crate::Child).
        #[derive(Debug)]
        pub struct $name {
            /// Deregisters first (fields drop in order), while the fd is open.
            registration: Registration,
            /// The pipe.
            inner: simul_reactor::$name,
        }

        impl $name {
            /// Registers the pipe for reading.
            pub(crate) fn new(inner: simul_reactor::$name) -> io::Result<$name> {
                let registration =
                    Registration::with_interest(inner.as_raw_fd(), Interest::READABLE)?;
                Ok($name { registration, inner })
            }
        }

        impl AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                let inner = &mut this.inner;
                this.registration.poll_read_buf(cx, buf, |buf| inner.read(buf))
            }
        }
    };
}

child_reader!(ChildStdout, "standard output");
child_reader!(ChildStderr, "standard error");
