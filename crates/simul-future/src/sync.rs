//! The atomics and lock of the cross-thread wake path: std's, or loom's.
//!
//! A normal build re-exports std here and nothing else changes: the same
//! types, the same code. Under `--cfg loom` (only `scripts/loom.sh` builds
//! that way) the same names come from the loom model checker, which runs
//! the real wakers, task reference counts and injection queue under every
//! interleaving of a small model (`tests/loom_wakers.rs`).
//!
//! What goes through here: the task header's `refs` and the runtime's
//! [`Shared`](crate::runtime::Shared) part (its `Arc`, injection queue
//! lock and flags). `runtime.rs` also takes loom's thread-local for the
//! runtime that runs on this thread (loom runs its threads on one OS
//! thread, so a std thread-local would be shared between them). The
//! blocking pool keeps std's: it runs real OS threads.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicBool, AtomicU32, Ordering, fence},
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicU32, Ordering, fence},
};
#[cfg(loom)]
pub(crate) use std::sync::PoisonError;
