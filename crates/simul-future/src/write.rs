//! [`Write`]: the future of [`AsyncWriteExt::write`](crate::AsyncWriteExt::write).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::AsyncWrite;

/// Writes some bytes: a leaf future over `poll_write`.
///
/// ```text
///   [Writing] --poll_write Pending--> stay (woken when writable)
///       |     --poll_write Ready(r)--> Ready(r)
/// ```
///
/// The `async fn` it stands for:
///
/// ```text
/// async fn write(w: &mut W, buf: &[u8]) -> io::Result<usize> {
///     poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf)).await
/// }
/// ```
///
/// # Examples
/// See [`TcpStream`](crate::TcpStream).
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Write<'a, W: ?Sized> {
    /// The writer.
    writer: &'a mut W,
    /// The bytes.
    buf: &'a [u8],
}

impl<'a, W: ?Sized> Write<'a, W> {
    pub(crate) fn new(writer: &'a mut W, buf: &'a [u8]) -> Write<'a, W> {
        Write { writer, buf }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Write<'_, W> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        Pin::new(&mut *this.writer).poll_write(cx, this.buf)
    }
}
