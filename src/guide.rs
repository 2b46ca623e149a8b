//! The tutorial, chapter by chapter.
//!
//! The chapters follow the seeds' path: waiting without blocking, the
//! event loop, then each way of suspending a function (callbacks,
//! generators, futures, async/await, green threads), the reactor under
//! them, what async is not for, cancellation, diagnosis, and what it all
//! costs. Every code block in them runs as a doctest.
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
//! Every chapter's code runs as it stands; chapter 12's smallest
//! comparison, one unit scheduled in two styles:
//!
//! ```
//! let mut lp = simul::callback::EventLoop::new()?;
//! lp.call_soon(|lp| lp.stop());
//! lp.run_forever().expect("one callback, then stop");
//!
//! let mut rt = simul::future::Runtime::new()?;
//! let seven = rt.block_on(async { simul::future::spawn(async { 7 }).await });
//! assert_eq!(seven.ok().and_then(Result::ok), Some(7));
//! # Ok::<(), std::io::Error>(())
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
pub mod measuring {}
