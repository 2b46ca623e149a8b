//! The atomics of the notifier's cross-thread protocol: std's, or loom's.
//!
//! A normal build re-exports `std::sync` here and nothing else changes:
//! the same types, the same code. Under `--cfg loom` (only
//! `scripts/loom.sh` builds that way) the same names come from the loom
//! model checker, which runs the notifier's real `wake` and `reset`
//! under every interleaving of a small model (`tests/loom_notifier.rs`).
//!
//! Only the notifier goes through here. The statics read by signal
//! handlers and the guard-page code stay on std: loom models neither
//! statics shared across models nor signal handlers.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
