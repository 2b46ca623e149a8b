//! Shared helpers for simul's reliability tests: the plumbing that several
//! crates' test files would otherwise each carry a copy of.
//!
//! This is a workspace-internal dev-dependency (`publish = false`), not a
//! public API: it exists so that the unsafe signal code behind the
//! real-signal tests (catalogue item 10, `tests/real_signals.rs` in every
//! style crate) is written, and reviewed, once.
//!
//! - [`signal_storm`]: another OS thread sending a signal to the test's
//!   thread every ~100 µs, with a handler that counts deliveries and the
//!   deliveries that cut a system call short.
//! - [`fds`]: the process's open file descriptors and a leak check that
//!   other threads' short-lived descriptors do not upset.
//! - [`env`](mod@env): what the tests read from their environment (`SIMUL_FULL`,
//!   whether a tracer is attached).
//! - [`alloc`]: counting allocators, process-wide and per thread.
//! - [`cpu`]: CPU ticks used by a thread or the process (spin checks).
//! - [`data`]: deterministic test payloads.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod alloc;
pub mod cpu;
pub mod data;
pub mod env;
pub mod fds;
pub mod signal_storm;
