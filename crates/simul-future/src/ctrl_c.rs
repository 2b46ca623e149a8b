//! [`ctrl_c`]: wait for `SIGINT` instead of dying of it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::Signal;

use crate::SignalStream;

/// Waits for Ctrl-C (`SIGINT`): a server awaits it beside its work and
/// shuts down cleanly instead of being killed.
///
/// Listening starts at the first poll and ends when the future is
/// dropped or done; meanwhile `SIGINT` does not end the process.
///
/// # Errors
///
/// `Other` outside a runtime; see [`signal`](crate::signal).
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, ctrl_c, join, yield_now};
/// use simul_reactor::Signal;
///
/// let mut rt = Runtime::new()?;
/// let (stopped, ()) = rt.block_on(join(ctrl_c(), async {
///     yield_now().await; // ctrl_c is listening by now
///     Signal::INT.raise().unwrap(); // as if the user pressed Ctrl-C
/// }))?;
/// stopped?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ctrl_c() -> CtrlC {
    CtrlC { state: State::Start }
}

/// The future of [`ctrl_c`].
///
/// ```text
///   [Start] --poll: listen for SIGINT--> [Listening(stream)]
///      | error --> Ready(Err)                  | poll: recv Pending --> Pending
///                                              | recv Ready --> [Done] --> Ready(Ok(()))
/// ```
///
/// As an `async fn`: `async fn ctrl_c() -> io::Result<()> {
/// signal(Signal::INT)?.recv().await.map(drop) }`.
///
/// # Examples
/// See [`ctrl_c`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct CtrlC {
    /// Where the wait stands.
    state: State,
}

/// The states of [`CtrlC`].
#[derive(Debug)]
enum State {
    /// Not listening yet.
    Start,
    /// Listening.
    Listening(SignalStream),
    /// Returned Ready.
    Done,
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Start => match SignalStream::new(&[Signal::INT]) {
                    Ok(stream) => self.state = State::Listening(stream),
                    Err(e) => {
                        self.state = State::Done;
                        return Poll::Ready(Err(e));
                    }
                },
                State::Listening(stream) => {
                    let Poll::Ready(r) = Pin::new(&mut stream.recv()).poll(cx) else {
                        return Poll::Pending;
                    };
                    self.state = State::Done;
                    return Poll::Ready(r.map(drop));
                }
                State::Done => panic!("CtrlC polled after it returned Ready"),
            }
        }
    }
}
