//! # simul: one master, many boards
//!
//! simul teaches cooperative multitasking from first principles and is a
//! real runtime. This facade re-exports its crates; see
//! [`reactor`] for the layer every style stands on.
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub use simul_reactor as reactor;
