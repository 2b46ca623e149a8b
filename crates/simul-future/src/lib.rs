//! # simul-future: what an `async fn` really is
//!
//! (Tutorial to be expanded.)
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod error;
mod interval;
mod join;
mod join3;
mod join_all;
mod join_handle;
mod join_set;
mod maybe_done;
mod runtime;
mod select;
mod sleep;
mod spawn;
mod task;
mod timeout;
mod waker;
mod yield_now;

pub use error::{Deadlock, JoinError, RuntimeError, StuckTask};
pub use interval::{Interval, Tick, interval};
pub use join::{Join, join};
pub use join_all::{JoinAll, join_all};
pub use join_handle::JoinHandle;
pub use join_set::{JoinNext, JoinSet};
pub use join3::{Join3, join3};
pub use runtime::{BUDGET, Runtime};
pub use select::{Either, Select, select};
pub use sleep::{Sleep, now, sleep, sleep_until};
pub use spawn::spawn;
pub use timeout::{Elapsed, Timeout, timeout};
pub use yield_now::{YieldNow, yield_now};
