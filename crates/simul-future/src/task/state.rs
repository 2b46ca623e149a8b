//! The bits of a task's state word.
//!
//! A task's state lives in one `Cell<u32>` in its header. Only the
//! runtime's own thread reads or writes it: a waker used on another
//! thread never touches it, it hands the task to the runtime through the
//! injection queue and the runtime sets the bits itself (see
//! [`waker`](crate::waker)). That is why a plain `Cell` is enough and the
//! hot path has no atomic read-modify-write.
//!
//! ```text
//!            spawn
//!              |
//!              v        wake (sets SCHEDULED, pushes on the run queue)
//!   +-----> [idle] ------------------------------------+
//!   |                                                  v
//!   |  Pending                                   [SCHEDULED]
//!   +--------- [RUNNING] <--- popped by the loop ------+
//!                  |  (clears SCHEDULED, sets RUNNING)
//!                  | Ready, panic, or CANCELLED seen at a suspension
//!                  v
//!              [COMPLETE] -- JoinHandle takes the output --> [CLOSED]
//! ```

/// The task is on the run queue (or is about to be put there by the
/// loop). Set by a wake on the runtime's thread, or by the loop when it
/// drains a wake injected from another thread; cleared by the loop just
/// before it polls the task. While it is set, further wakes do nothing:
/// that is what coalesces two wakes into one poll.
pub(crate) const SCHEDULED: u32 = 1 << 0;

/// The task's future is being polled right now. Set and cleared by the
/// loop around `poll`. A wake during the poll sets [`SCHEDULED`] and
/// queues the task again, so it is polled once more, later, never
/// re-entrantly.
pub(crate) const RUNNING: u32 = 1 << 1;

/// The future is gone and the task's result (output, panic or
/// cancellation) is stored in the task. Set by the loop once; never
/// cleared. Wakes of a complete task do nothing.
pub(crate) const COMPLETE: u32 = 1 << 2;

/// The result has been taken by the `JoinHandle` (or dropped because
/// nobody will take it). Set once, after [`COMPLETE`].
pub(crate) const CLOSED: u32 = 1 << 3;

/// `abort()` was called. Set by `JoinHandle::abort`; the loop drops the
/// future the next time the task is at a suspension point (immediately,
/// if it is idle) and completes it with `JoinError::Cancelled`.
pub(crate) const CANCELLED: u32 = 1 << 4;

/// A `JoinHandle` for the task exists. Cleared when it is dropped; a
/// task completing without one drops its output at once.
pub(crate) const HANDLE: u32 = 1 << 5;

/// The header stands for the future passed to `block_on`, which lives on
/// `block_on`'s stack and is polled by the loop itself.
pub(crate) const ROOT: u32 = 1 << 6;

/// The header's join-waiter slot holds a waiter (the `JoinHandle` was
/// polled and the task has not completed). Set and cleared only by
/// `Header::set_join_waiter` / `Header::take_join_waiter`.
pub(crate) const JOIN_WAITER: u32 = 1 << 7;
