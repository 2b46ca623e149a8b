//! # simul-future: what an `async fn` really is
//!
//! (Tutorial to be expanded.)
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod error;
mod join_handle;
mod runtime;
mod spawn;
mod task;
mod waker;
mod yield_now;

pub use error::{Deadlock, JoinError, RuntimeError, StuckTask};
pub use join_handle::JoinHandle;
pub use runtime::{BUDGET, Runtime};
pub use spawn::spawn;
pub use yield_now::{YieldNow, yield_now};
