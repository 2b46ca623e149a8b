//! # simul: one master, many boards
//!
//! In a chess *simul* one master plays many opponents at once: she moves at
//! one board, walks on while that opponent thinks, and comes back when
//! there is an answer. That walk is an event loop. simul builds one from
//! first principles, in each of the ways the asyncio tutorials it grew
//! from list for suspending a function without the OS, all on one reactor.
//!
//! ## Start here: the guide
//!
//! [`guide`] is the tutorial, twelve chapters in the seeds' order. Each
//! runs the seed scenarios in the styles it compares, as doctests that
//! assert what they claim (on the virtual clock, so the figures are
//! exact), shows a timeline the project drew, names the examples to run,
//! and ends with exercises.
//!
//! 1. [Waiting without blocking](guide::waiting): `count` and `five_waits`, cooperative and blocking
//! 2. [The event loop](guide::event_loop): a loop in forty lines plays the chess simul
//! 3. [Callbacks](guide::callbacks): `call_soon`, protocols and transports, the cake
//! 4. [Generators](guide::generators): hand-written coroutines, `yield from`, the trampoline
//! 5. [Futures](guide::futures): `poll`, wakers and an executor by hand, pinning
//! 6. [async/await](guide::async_await): the compiler's machine beside the hand-written one
//! 7. [Green threads](guide::green_threads): stacks, the switch, blocking-looking code
//! 8. [The reactor](guide::reactor): epoll and kqueue, edges, the notifier, io_uring's model
//! 9. [When not to use async](guide::when_not_async): `nap`, `cpu_bound`, `blocking_io`
//! 10. [Cancellation and timeouts](guide::cancellation): drop, `CancelledError`, cancellation-safe
//! 11. [Diagnosing](guide::diagnosing): slow callbacks, deadlocks, lost wakeups, Perfetto
//! 12. [Measuring](guide::measuring): what each style costs, and why
//!
//! ## The crates
//!
//! Each style is a crate, re-exported here as a module; their
//! documentation is the reference the chapters lean on:
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
//! The tour (`cargo run --release --example tour`) runs every seed
//! scenario in every style and prints the figures beside the seeds'.
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
