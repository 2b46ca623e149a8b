//! The tutorial, chapter by chapter.
//!
//! The chapters follow the seeds' path: waiting without blocking, the
//! event loop, then each way of suspending a function (callbacks,
//! generators, futures, async/await, green threads), the reactor under
//! them, what async is not for, cancellation, diagnosis, and what it all
//! costs. Read them in order: each builds on the one before, and the
//! seed scenarios (`count`, `five_waits`, `chess`, `cake`, `nap`,
//! `cpu_bound`, `blocking_io`, `echo`) come back in every style, so like
//! is always compared with like.
//!
//! Every chapter
//!
//! * shows the seed's Python, then the Rust, and says why before how;
//! * runs its code as doctests (`cargo test -p simul --doc guide`) that
//!   assert what the text claims: a transcript, a figure, a recorded
//!   trace. Almost all run on the virtual clock, so an hour of waiting
//!   takes microseconds and the figures are exact;
//! * names the per-style examples it discusses, with the command to run
//!   them (`tests/guide.rs` checks that every one exists);
//! * ends with exercises, followed by a timeline picture the project
//!   drew: from the tour (`cargo run --release --example tour -- --svg
//!   DIR`), or from the chapter's own doctest when a picture needs other
//!   parameters (`SIMUL_GUIDE_SVG_DIR=docs cargo test -p simul --doc
//!   guide` rewrites those).
//!
//! | chapter | module |
//! | --- | --- |
//! | 1. Waiting without blocking: `time.sleep` against `asyncio.sleep` | [`waiting`] |
//! | 2. The event loop: the chess simul, one turn drawn, the virtual clock | [`event_loop`] |
//! | 3. Callbacks: scheduling, transports and protocols, the cake, and where it hurts | [`callbacks`] |
//! | 4. Generators: hand-rolled coroutines, `yield from`, the trampoline | [`generators`] |
//! | 5. Futures: `poll`, wakers built by hand, an executor, pinning | [`futures`] |
//! | 6. async/await: the compiler's state machine beside the hand-written one | [`async_await`] |
//! | 7. Green threads: stacks, the switch, blocking-looking code | [`green_threads`] |
//! | 8. The reactor: epoll and kqueue, edge and level, the notifier, readiness and completion | [`reactor`] |
//! | 9. When not to use async: starvation, blocking calls, and their replacements | [`when_not_async`] |
//! | 10. Cancellation and timeouts: drop against `CancelledError`, cancellation-safe | [`cancellation`] |
//! | 11. Diagnosing: slow callbacks, timelines and Perfetto, deadlock reports, lost wakeups | [`diagnosing`] |
//! | 12. Measuring: what each style costs, and why | [`measuring`] |
//!
//! # Examples
//!
//! The guide in one doctest: chapter 1's `count`, three tasks waiting a
//! second each, cooperatively on the future executor and then blocking
//! the loop, on the virtual clock:
//!
//! ```
//! use simul::future::{Runtime, join3, sleep};
//! use simul::reactor::Clock;
//! use std::time::Duration;
//!
//! let count = |clock: Clock, blocking: bool| async move {
//!     if blocking {
//!         clock.block_for(Duration::from_secs(1)); // time.sleep(1)
//!     } else {
//!         sleep(Duration::from_secs(1)).await; // await asyncio.sleep(1)
//!     }
//! };
//! for (blocking, took) in [(false, 1), (true, 3)] {
//!     let clock = Clock::new_virtual();
//!     let mut rt = Runtime::with_clock(clock.clone())?;
//!     let c = || count(clock.clone(), blocking);
//!     rt.block_on(join3(c(), c(), c()))?;
//!     assert_eq!(clock.now().since_origin(), Duration::from_secs(took));
//! }
//! # Ok::<(), simul::future::RuntimeError>(())
//! ```

#[doc = include_str!("guide/waiting.md")]
#[doc = include_str!("../docs/count_async-cooperative.svg")]
#[doc = include_str!("../docs/count_async-blocking.svg")]
pub mod waiting {}

#[doc = include_str!("guide/event_loop.md")]
#[doc = include_str!("../docs/guide_chess_callback.svg")]
pub mod event_loop {}

#[doc = include_str!("guide/callbacks.md")]
#[doc = include_str!("../docs/cake_callback-cooperative.svg")]
pub mod callbacks {}

#[doc = include_str!("guide/generators.md")]
#[doc = include_str!("../docs/cake_coro-cooperative.svg")]
pub mod generators {}

#[doc = include_str!("guide/futures.md")]
#[doc = include_str!("../docs/cake_future-cooperative.svg")]
pub mod futures {}

#[doc = include_str!("guide/async_await.md")]
#[doc = include_str!("../docs/five_waits_async-cooperative.svg")]
pub mod async_await {}

#[doc = include_str!("guide/green_threads.md")]
#[doc = include_str!("../docs/cake_green-cooperative.svg")]
pub mod green_threads {}

#[doc = include_str!("guide/reactor.md")]
#[doc = include_str!("../docs/guide_reactor_callback.svg")]
pub mod reactor {}

#[doc = include_str!("guide/when_not_async.md")]
#[doc = include_str!("../docs/nap_coro-blocking.svg")]
#[doc = include_str!("../docs/nap_coro-friendly.svg")]
pub mod when_not_async {}

#[doc = include_str!("guide/cancellation.md")]
#[doc = include_str!("../docs/guide_cancellation_async.svg")]
pub mod cancellation {}

#[doc = include_str!("guide/diagnosing.md")]
#[doc = include_str!("../docs/nap_callback-blocking.svg")]
pub mod diagnosing {}

#[doc = include_str!("guide/measuring.md")]
#[doc = include_str!("../docs/guide_measuring_echo.svg")]
#[doc = include_str!("../docs/bench_report.svg")]
pub mod measuring {}
