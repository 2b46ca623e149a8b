//! # simul-coro: generators, by hand
//!
//! (tutorial below)
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod and_then;
mod averager;
mod coroutine;
mod countdown;
mod from_fn;
mod join_error;
mod map_return;
mod reply;
mod resume_error;
mod run_error;
mod scheduler;
mod state;
mod task_id;
mod trace;
mod trap;
mod yield_from;
mod yields;

pub use and_then::AndThen;
pub use averager::Averager;
pub use coroutine::{Coroutine, Resume};
pub use countdown::Countdown;
pub use from_fn::{FromFn, from_fn};
pub use join_error::JoinError;
pub use map_return::MapReturn;
pub use reply::Reply;
pub use resume_error::ResumeError;
pub use run_error::{Deadlock, RunError, Wait};
pub use scheduler::Scheduler;
pub use state::CoroutineState;
pub use task_id::TaskId;
pub use trace::{TraceEvent, TraceKind, TrapKind};
pub use trap::{Task, Trap};
pub use yields::Yields;
