//! [`SignalStream`] and [`signal`]: Unix signals as events a task awaits
//! (asyncio's `loop.add_signal_handler`, as a stream).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_reactor::{Interest, Signal, Signals};

use crate::io_source::{Direction, Registration};

/// Starts listening for `signal` on the current runtime.
///
/// From this call on, until the stream is dropped, the signal no longer
/// takes its previous action (for `SIGINT`, ending the process): each
/// arrival is an event [`SignalStream::recv`] returns. Arrivals between
/// two `recv`s coalesce into one, as Unix signals do.
///
/// # Errors
///
/// `InvalidInput` for signals no process may catch (`SIGKILL`,
/// `SIGSTOP`) or handle on a loop (`SIGSEGV` ...); `Other` outside a
/// runtime; see [`Signals::new`].
///
/// # Examples
///
/// ```
/// use simul_future::{Runtime, signal};
/// use simul_reactor::Signal;
///
/// let mut rt = Runtime::new()?;
/// rt.block_on(async {
///     let mut usr1 = signal(Signal::USR1)?;
///     Signal::USR1.raise()?; // would end the process without a listener
///     assert_eq!(usr1.recv().await?, Signal::USR1);
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn signal(signal: Signal) -> io::Result<SignalStream> {
    SignalStream::new(&[signal])
}

/// Signals arriving as a stream of events on the current runtime.
///
/// # Examples
/// See [`signal`].
#[derive(Debug)]
pub struct SignalStream {
    /// Deregisters first (fields drop in order), while the fd is open.
    registration: Registration,
    /// The reactor's listener (a self-pipe).
    signals: Signals,
    /// Signals drained from the pipe but not returned yet.
    arrived: VecDeque<Signal>,
}

impl SignalStream {
    /// Listens for every signal of `set`.
    ///
    /// # Errors
    ///
    /// As [`signal`]; `InvalidInput` for an empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_future::{Runtime, SignalStream};
    /// use simul_reactor::Signal;
    /// # let mut rt = Runtime::new()?;
    /// # rt.block_on(async {
    /// let mut s = SignalStream::new(&[Signal::USR2, Signal::WINCH])?;
    /// Signal::WINCH.raise()?;
    /// assert_eq!(s.recv().await?, Signal::WINCH);
    /// # Ok::<(), std::io::Error>(()) })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(set: &[Signal]) -> io::Result<SignalStream> {
        let signals = Signals::new(set)?;
        let registration = Registration::with_interest(signals.as_raw_fd(), Interest::READABLE)?;
        Ok(SignalStream { registration, signals, arrived: VecDeque::new() })
    }

    /// Waits for the next signal.
    ///
    /// # Examples
    /// See [`signal`].
    pub fn recv(&mut self) -> RecvSignal<'_> {
        RecvSignal { stream: self }
    }
}

/// The future of [`SignalStream::recv`]: a leaf future.
///
/// ```text
///   [Waiting] --a drained signal is buffered--> Ready(Ok(signal))
///       |     --pipe readable: drain it; got some--> Ready(Ok(first)), buffer the rest
///       +---- --nothing pending--> Pending, until the pipe is readable
/// ```
///
/// Dropping it loses nothing: drained signals stay buffered in the
/// stream for the next `recv`.
///
/// # Examples
/// See [`signal`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct RecvSignal<'a> {
    /// The stream.
    stream: &'a mut SignalStream,
}

impl Future for RecvSignal<'_> {
    type Output = io::Result<Signal>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Signal>> {
        let SignalStream { registration, signals, arrived } = &mut *self.get_mut().stream;
        if let Some(s) = arrived.pop_front() {
            return Poll::Ready(Ok(s));
        }
        registration.poll_io(cx, Direction::Read, || {
            arrived.extend(signals.pending()?);
            // An empty drain means a spurious wake: wait for the next edge.
            arrived.pop_front().ok_or_else(|| io::ErrorKind::WouldBlock.into())
        })
    }
}
