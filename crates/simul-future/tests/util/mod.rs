//! Helpers shared by the tests: a trace recorder and hand-made futures.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// An ordered record of events, shared by the tasks of one test.
#[derive(Clone, Default)]
pub struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    pub fn new() -> Trace {
        Trace::default()
    }
    pub fn push(&self, event: impl Into<String>) {
        self.0.borrow_mut().push(event.into());
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Records `dropped <name>` in the trace when dropped.
pub struct DropGuard(pub Trace, pub &'static str);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.push(format!("dropped {}", self.1));
    }
}

/// A future that counts its polls and parks its waker in a shared slot,
/// finishing when `done` is set.
pub struct Parked {
    pub polls: Rc<RefCell<u32>>,
    pub waker: Rc<RefCell<Option<Waker>>>,
    pub done: Rc<RefCell<bool>>,
}

impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.polls.borrow_mut() += 1;
        if *self.done.borrow() {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Polls `f` once with a waker that does nothing (for stepping a leaf
/// future through its states by hand, outside any runtime).
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Reliability item 27 on a connected stream pair `(a, b)`: a read into
/// or a write from an empty buffer is `Ok(0)` on its first poll, whether
/// or not bytes are pending (never parked waiting for data it cannot
/// take), consumes and sends nothing, and is not end of stream.
pub async fn empty_buffers_are_no_ops<S>(a: &mut S, b: &mut S) -> std::io::Result<()>
where
    S: simul_future::AsyncRead + simul_future::AsyncWrite + Unpin,
{
    use simul_future::{AsyncReadExt, AsyncWriteExt};
    // Nothing to read: still ready at once.
    assert!(matches!(poll_once(&mut b.read(&mut [])), Poll::Ready(Ok(0))), "an empty read waited");
    assert!(matches!(poll_once(&mut a.write(&[])), Poll::Ready(Ok(0))), "an empty write waited");
    assert_eq!(b.read(&mut []).await?, 0);
    assert_eq!(a.write(&[]).await?, 0);

    // Bytes pending: an empty read takes none of them.
    a.write_all(b"after the empty ones").await?;
    let mut buf = [0u8; 20];
    b.read_exact(&mut buf[..5]).await?;
    assert!(matches!(poll_once(&mut b.read(&mut [])), Poll::Ready(Ok(0))));
    b.read_exact(&mut buf[5..]).await?;
    assert_eq!(&buf, b"after the empty ones", "an empty read consumed or added bytes");

    // The empty writes sent nothing and closed nothing: a read waits.
    assert!(poll_once(&mut b.read(&mut [0u8; 1])).is_pending(), "bytes or end of stream appeared");
    assert_eq!(b.write(&[]).await?, 0);
    assert!(poll_once(&mut a.read(&mut [0u8; 1])).is_pending(), "bytes or end of stream appeared");
    b.write_all(b"back").await?;
    let mut back = [0u8; 4];
    a.read_exact(&mut back).await?;
    assert_eq!(&back, b"back");
    Ok(())
}
