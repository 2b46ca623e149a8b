//! [`AsyncWrite`]: the writing half of simul's async I/O, and
//! [`AsyncWriteExt`], its `.await`-able methods.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Write, WriteAll};

/// Writes bytes without blocking the loop: like [`std::io::Write`], but
/// when the destination is full it returns `Poll::Pending` after arranging
/// for `cx`'s task to be woken when there is room.
///
/// It has the shape of `futures_io::AsyncWrite` (`poll_write`,
/// `poll_flush`, `poll_close`) and of `tokio::io::AsyncWrite` (where
/// `poll_close` is called `poll_shutdown`); see
/// [`AsyncRead`](crate::AsyncRead) for why simul has its own.
///
/// # Examples
///
/// ```
/// use simul_future::{AsyncWrite, AsyncWriteExt, Runtime};
/// use std::{io, pin::Pin, task::{Context, Poll}};
///
/// /// Collects what is written, two bytes at a time.
/// struct Slow(Vec<u8>);
/// impl AsyncWrite for Slow {
///     fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
///         let n = buf.len().min(2);
///         self.0.extend_from_slice(&buf[..n]);
///         Poll::Ready(Ok(n))
///     }
///     fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
///         Poll::Ready(Ok(()))
///     }
///     fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
///         Poll::Ready(Ok(()))
///     }
/// }
///
/// let mut rt = Runtime::new()?;
/// let mut out = Slow(Vec::new());
/// rt.block_on(async { out.write_all(b"hello").await })??;
/// assert_eq!(out.0, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AsyncWrite {
    /// Writes some of `buf`: `Ready(Ok(n))` with `n` bytes taken,
    /// `Pending` (the task will be woken) when there is no room yet.
    ///
    /// # Errors
    ///
    /// I/O errors, as `std::io::Write::write` (for a socket whose peer
    /// is gone: `BrokenPipe` or `ConnectionReset`, never a `SIGPIPE`).
    ///
    /// # Examples
    /// See [`AsyncWrite`].
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;

    /// Pushes buffered bytes out (nothing to do for a socket).
    ///
    /// # Errors
    ///
    /// As [`poll_write`](AsyncWrite::poll_write).
    ///
    /// # Examples
    /// See [`AsyncWrite`].
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Closes the writing half: the peer reads end of stream.
    ///
    /// # Errors
    ///
    /// As [`poll_write`](AsyncWrite::poll_write).
    ///
    /// # Examples
    /// See [`AsyncWrite`].
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// The futures over an [`AsyncWrite`].
///
/// # Examples
/// See [`AsyncWrite`].
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf` (one `write` call's worth).
    ///
    /// # Examples
    /// See [`TcpStream`](crate::TcpStream).
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write::new(self, buf)
    }

    /// Writes all of `buf` (asyncio's `writer.write(data)` followed by
    /// `await writer.drain()`).
    ///
    /// # Examples
    /// See [`AsyncWrite`].
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll::new(self, buf)
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
