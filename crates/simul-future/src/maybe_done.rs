//! [`MaybeDone`]: a future, then its output, then nothing; the building
//! block of the join combinators.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// Holds a future until it completes, then its output until taken.
    ///
    /// ```text
    ///   [Running] --poll: Ready(v)--> [Done(v)] --take--> [Taken]
    ///      | poll: Pending: stays
    /// ```
    ///
    /// The future is pinned (structurally) while running; the output is
    /// not, so it can be moved out with `project_replace`.
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneReplace]
    pub(crate) enum MaybeDone<F: Future> {
        /// Still running.
        Running { #[pin] future: F },
        /// Finished; the output waits to be taken.
        Done { output: F::Output },
        /// The output was taken.
        Taken,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future.
    pub(crate) fn new(future: F) -> MaybeDone<F> {
        MaybeDone::Running { future }
    }

    /// Polls the future if it is still running; `true` once it is done.
    pub(crate) fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        let output = match self.as_mut().project() {
            MaybeDoneProj::Running { future } => match future.poll(cx) {
                Poll::Ready(output) => output,
                Poll::Pending => return false,
            },
            MaybeDoneProj::Done { .. } | MaybeDoneProj::Taken => return true,
        };
        // Drops the finished future in place and keeps its output.
        self.project_replace(MaybeDone::Done { output });
        true
    }

    /// Takes the output out, if it is done and not taken yet.
    pub(crate) fn take(self: Pin<&mut Self>) -> Option<F::Output> {
        match &*self {
            MaybeDone::Done { .. } => match self.project_replace(MaybeDone::Taken) {
                MaybeDoneReplace::Done { output } => Some(output),
                _ => None,
            },
            _ => None,
        }
    }
}
