//! # simul: one master, many boards
//!
//! In a chess *simul* one master plays many opponents at once: she moves at
//! one board, walks on while that opponent thinks, and comes back when
//! there is an answer. That walk is an event loop. simul builds one from
//! first principles, in each of the ways the asyncio tutorials it grew
//! from list for suspending a function without the OS, all on one reactor:
//!
//! | module | style | read it for |
//! | --- | --- | --- |
//! | [`reactor`] | the ground | readiness (epoll, kqueue), timers, real and virtual clocks, the notifier, sockets, processes, signals |
//! | [`callback`] | callbacks | asyncio's low-level loop: `call_soon`, `call_later`, transports and protocols |
//! | [`coro`] | generators | hand-rolled coroutines, `yield from`, a trampoline answering yielded commands |
//! | [`future`] | futures, async/await | `poll`, wakers built by hand, pinning, an executor; `async fn` on the same executor |
//! | [`green`] | greenlets | stackful green threads: blocking-looking code that parks on the reactor |
//! | [`scenario`] | (shared) | the seed scenarios written once: parameters, figures, checks, timelines |
//!
//! Each module is the crate of that style, re-exported; its documentation
//! is a chapter of the tutorial.
//!
//! # Examples
//!
//! The same wait, on the virtual clock, in two styles:
//!
//! ```
//! use simul::reactor::{Clock, Instant};
//! use std::time::Duration;
//!
//! // A future on the future executor.
//! let mut rt = simul::future::Runtime::with_clock(Clock::new_virtual())?;
//! let end = rt.block_on(async {
//!     simul::future::sleep(Duration::from_secs(1)).await;
//!     simul::future::now()
//! });
//! assert_eq!(end.ok(), Some(Instant::ZERO + Duration::from_secs(1)));
//!
//! // A callback on the callback loop.
//! let mut lp = simul::callback::EventLoop::with_clock(Clock::new_virtual())?;
//! lp.call_later(Duration::from_secs(1), |lp| lp.stop());
//! lp.run_forever().expect("the loop stops itself");
//! assert_eq!(lp.time(), Instant::ZERO + Duration::from_secs(1));
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod guide;

pub use simul_callback as callback;
pub use simul_coro as coro;
pub use simul_future as future;
pub use simul_green as green;
pub use simul_reactor as reactor;
pub use simul_scenario as scenario;
