//! [`AsyncRead`]: the reading half of simul's async I/O, and
//! [`AsyncReadExt`], its `.await`-able methods.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Read, ReadExact};

/// Reads bytes without blocking the loop: like [`std::io::Read`], but
/// when no bytes are available it returns `Poll::Pending` after arranging
/// for `cx`'s task to be woken when some arrive.
///
/// **Why our own trait.** The ecosystem has two: `futures_io::AsyncRead`
/// (`poll_read(self: Pin<&mut Self>, cx, buf: &mut [u8])`, the shape used
/// here) and `tokio::io::AsyncRead` (`poll_read(.., buf: &mut ReadBuf<'_>)`,
/// which can read into uninitialised memory). simul depends on neither
/// crate, and a trait with one method is the clearest way to show what
/// they share. An adapter to either is a few lines: forward `poll_read`
/// (for tokio, read into `buf.initialize_unfilled()` and `advance`).
///
/// `Ok(0)` means end of stream (the peer shut down its writing half), as
/// in `std`, unless `buf` was empty.
///
/// # Examples
///
/// ```
/// use simul_future::{AsyncRead, AsyncReadExt, Runtime};
/// use std::{io, pin::Pin, task::{Context, Poll}};
///
/// /// A reader that always has one more byte, 'x'.
/// struct Xs;
/// impl AsyncRead for Xs {
///     fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
///         buf.iter_mut().take(1).for_each(|b| *b = b'x');
///         Poll::Ready(Ok(buf.len().min(1)))
///     }
/// }
///
/// let mut rt = Runtime::new()?;
/// let mut buf = [0u8; 3];
/// rt.block_on(async { Xs.read_exact(&mut buf).await })??;
/// assert_eq!(&buf, b"xxx");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AsyncRead {
    /// Reads into `buf`: `Ready(Ok(n))` with `n` bytes read, `Pending`
    /// (the task will be woken) when none are available yet.
    ///
    /// # Errors
    ///
    /// I/O errors, as `std::io::Read::read` (never `WouldBlock`, never
    /// `Interrupted`).
    ///
    /// # Examples
    /// See [`AsyncRead`].
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
}

/// The futures over an [`AsyncRead`].
///
/// # Examples
/// See [`AsyncRead`].
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes into `buf` (asyncio's `reader.read(n)`).
    ///
    /// # Examples
    /// See [`TcpStream`](crate::TcpStream).
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        Read::new(self, buf)
    }

    /// Fills `buf` completely (asyncio's `readexactly`).
    ///
    /// # Examples
    /// See [`AsyncRead`].
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact::new(self, buf)
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}
