//! [`WriteAll`]: the future of
//! [`AsyncWriteExt::write_all`](crate::AsyncWriteExt::write_all).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::AsyncWrite;

/// Writes a whole buffer, as many times as it takes (partial writes are
/// normal when the send buffer fills).
///
/// ```text
///   [written < len] --poll_write Ready(Ok(n > 0))--> written += n --+
///        ^-----------------------------------------------------------+
///        |  --Pending--> Pending (woken when writable)
///        |  --Ready(Ok(0))--> Ready(Err(WriteZero))
///   [written == len] --> Ready(Ok(()))
/// ```
///
/// Equivalent `async fn`:
///
/// ```text
/// async fn write_all(w: &mut W, mut buf: &[u8]) -> io::Result<()> {
///     while !buf.is_empty() {
///         match w.write(buf).await? {
///             0 => return Err(WriteZero.into()),
///             n => buf = &buf[n..],
///         }
///     }
///     Ok(())
/// }
/// ```
///
/// # Examples
/// See [`AsyncWrite`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct WriteAll<'a, W: ?Sized> {
    /// The writer.
    writer: &'a mut W,
    /// What is left to write.
    buf: &'a [u8],
}

impl<'a, W: ?Sized> WriteAll<'a, W> {
    pub(crate) fn new(writer: &'a mut W, buf: &'a [u8]) -> WriteAll<'a, W> {
        WriteAll { writer, buf }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while !this.buf.is_empty() {
            match Pin::new(&mut *this.writer).poll_write(cx, this.buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted no bytes",
                    )));
                }
                Poll::Ready(Ok(n)) => this.buf = &this.buf[n..],
            }
        }
        Poll::Ready(Ok(()))
    }
}
