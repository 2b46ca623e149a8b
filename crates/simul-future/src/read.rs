//! [`Read`]: the future of [`AsyncReadExt::read`](crate::AsyncReadExt::read).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::AsyncRead;

/// Reads some bytes: a leaf future over `poll_read`.
///
/// ```text
///   [Reading] --poll_read Pending--> stay (woken when readable)
///       |     --poll_read Ready(r)--> Ready(r)
/// ```
///
/// The `async fn` it stands for, if `poll_read` could be awaited:
///
/// ```text
/// async fn read(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
///     poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, buf)).await
/// }
/// ```
///
/// # Examples
/// See [`TcpStream`](crate::TcpStream).
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Read<'a, R: ?Sized> {
    /// The reader.
    reader: &'a mut R,
    /// Where the bytes go.
    buf: &'a mut [u8],
}

impl<'a, R: ?Sized> Read<'a, R> {
    pub(crate) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> Read<'a, R> {
        Read { reader, buf }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        Pin::new(&mut *this.reader).poll_read(cx, this.buf)
    }
}
