//! [`ReadExact`]: the future of
//! [`AsyncReadExt::read_exact`](crate::AsyncReadExt::read_exact).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::AsyncRead;

/// Fills a buffer completely, reading as many times as it takes.
///
/// ```text
///   [filled < len] --poll_read Ready(Ok(n > 0))--> filled += n --+
///        ^--------------------------------------------------------+
///        |  --poll_read Pending--> Pending (woken when readable)
///        |  --Ready(Ok(0))--> Ready(Err(UnexpectedEof))
///   [filled == len] --> Ready(Ok(()))
/// ```
///
/// Equivalent `async fn`:
///
/// ```text
/// async fn read_exact(r: &mut R, buf: &mut [u8]) -> io::Result<()> {
///     let mut filled = 0;
///     while filled < buf.len() {
///         match r.read(&mut buf[filled..]).await? {
///             0 => return Err(UnexpectedEof.into()),
///             n => filled += n,
///         }
///     }
///     Ok(())
/// }
/// ```
///
/// Cancelling it (dropping it) loses the bytes read so far.
///
/// # Examples
/// See [`AsyncRead`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct ReadExact<'a, R: ?Sized> {
    /// The reader.
    reader: &'a mut R,
    /// The buffer to fill.
    buf: &'a mut [u8],
    /// Bytes of `buf` filled so far.
    filled: usize,
}

impl<'a, R: ?Sized> ReadExact<'a, R> {
    pub(crate) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> ReadExact<'a, R> {
        ReadExact { reader, buf, filled: 0 }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.filled < this.buf.len() {
            match Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[this.filled..]) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("end of stream after {} of {} bytes", this.filled, this.buf.len()),
                    )));
                }
                Poll::Ready(Ok(n)) => this.filled += n,
            }
        }
        Poll::Ready(Ok(()))
    }
}
