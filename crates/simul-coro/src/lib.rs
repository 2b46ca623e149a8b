//! # simul-coro: generators by hand, and the trampoline that runs them
//!
//! The second way to suspend a function without the operating system's
//! help (the first is a callback) is to make the function *stop in the
//! middle and be continued later*. Python calls such a function a
//! generator; asyncio was built on generators (`yield from`) before it
//! had `async`/`await`, and curio still runs on the same idea. Rust's own
//! generators (`core::ops::Coroutine`) are unstable, so this crate writes
//! them by hand, as enums, and shows that this is all a coroutine is.
//!
//! ## 1. A generator is a state machine
//!
//! ```python
//! def countdown(n):
//!     while n > 0:
//!         yield n
//!         n -= 1
//!     return "liftoff"
//! ```
//!
//! Each `yield` is a *suspension point*: the function's frame (here just
//! `n`) is kept, control goes back to the caller with a value, and the
//! next `send` continues after the `yield`. A hand-written coroutine is an
//! enum with one variant per suspension point, plus a start and an end,
//! each variant holding the locals alive at that point; [`Countdown`] is
//! the generator above, drawn in its docs. The protocol is the
//! [`Coroutine`] trait:
//!
//! ```
//! use simul_coro::{Coroutine, Countdown, CoroutineState::*, ResumeError};
//!
//! let mut c = Countdown::new(2);                    // g = countdown(2)
//! assert_eq!(c.resume(()), Ok(Yielded(2)));         // next(g) == 2
//! assert_eq!(c.resume(()), Ok(Yielded(1)));         // next(g) == 1
//! assert_eq!(c.resume(()), Ok(Complete("liftoff"))); // StopIteration("liftoff")
//! assert_eq!(c.resume(()), Err(ResumeError::AfterCompletion));
//! ```
//!
//! Resuming a finished coroutine is an error *value*
//! ([`ResumeError::AfterCompletion`]): never undefined behaviour, never a
//! panic.
//!
//! ## 2. Values go in, too
//!
//! Since PEP 342, `yield` is an expression: `x = yield y` hands `y` out and
//! receives `x` from the caller's `send(x)`. That is the `input` of
//! [`Coroutine::resume`], and it is what makes a generator a *coroutine*:
//! two pieces of code passing control and values back and forth.
//! [`Averager`] keeps a running average of what it is sent:
//!
//! ```
//! use simul_coro::{Averager, Coroutine, CoroutineState::*};
//!
//! let mut avg = Averager::new();
//! let _ = avg.resume(None);                                   // prime: next(avg)
//! assert_eq!(avg.resume(Some(10.0)), Ok(Yielded(Some(10.0)))); // avg.send(10)
//! assert_eq!(avg.resume(Some(30.0)), Ok(Yielded(Some(20.0)))); // avg.send(30)
//! ```
//!
//! **Why `&mut self` and not `Pin<&mut Self>`.** A compiler-made coroutine
//! stores its locals in itself, and a local may borrow another local
//! across a `yield`; the value then points into itself and must never
//! move, hence `Pin`. A hand-written enum stores owned values only, so it
//! moves freely (the scheduler moves coroutines in and out of its task
//! table on every resume) and needs neither `Pin` nor `unsafe`.
//!
//! ## 3. Delegation: `yield from`
//!
//! `r = yield from sub` runs a sub-generator inside the current one: its
//! yields go out to our caller, our caller's sends go into it, and its
//! return value becomes `r`. Generators compose like functions do.
//! [`yield_from!`] is that, for hand-written coroutines (an early return
//! for "not finished yet", as `?` is for "failed"); [`Coroutine::and_then`]
//! sequences two coroutines, [`Coroutine::map_return`] maps the result, and
//! [`Coroutine::yields`] turns a `()`-input coroutine into an `Iterator`:
//!
//! ```
//! use simul_coro::{Coroutine, Countdown};
//!
//! // r = yield from countdown(2); return (yield from countdown(len(r) - 6))
//! let c = Countdown::new(2).and_then(|r| Countdown::new(r.len() as u64 - 6));
//! let mut it = c.yields();
//! assert_eq!(it.by_ref().collect::<Vec<_>>(), [2, 1, 1]);
//! assert_eq!(it.into_return(), Some(Ok("liftoff")));
//! ```
//!
//! ## 4. The trampoline: coroutines that ask
//!
//! A coroutine cannot block: that would block everyone. So when it needs
//! to wait, it *yields a command* (a [`Trap`]) saying what for, and a
//! scheduler, the [`Scheduler`], carries the command out and resumes it
//! later with the answer (a [`Reply`]). Control always bounces back to the
//! scheduler, hence *trampoline*. This is asyncio's design before 3.5 and
//! curio's today. The seed's `count`:
//!
//! ```
//! use simul_coro::{Coroutine, CoroutineState::*, Reply, Resume, ResumeError, Scheduler, Trap};
//! use std::time::Duration;
//!
//! /// def count(): print("One"); yield Sleep(1); print("Two")
//! enum Count { Start, Sleeping, Done }
//!
//! impl Coroutine<Reply<()>> for Count {
//!     type Yield = Trap<()>;
//!     type Return = ();
//!     fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
//!         match self {
//!             Count::Start => {
//!                 println!("One");
//!                 *self = Count::Sleeping;
//!                 Ok(Yielded(Trap::Sleep(Duration::from_secs(1))))
//!             }
//!             Count::Sleeping => {
//!                 println!("Two");
//!                 *self = Count::Done;
//!                 Ok(Complete(()))
//!             }
//!             Count::Done => Err(ResumeError::AfterCompletion),
//!         }
//!     }
//! }
//!
//! // On the virtual clock the second passes at once, and exactly.
//! let mut s = Scheduler::<()>::with_clock(simul_reactor::Clock::new_virtual())?;
//! for _ in 0..3 {
//!     s.spawn(Count::Start);
//! }
//! s.run_all()?; // One One One Two Two Two
//! assert_eq!(s.now().since_origin(), Duration::from_secs(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The traps are `Sleep`, `YieldNow`, `Readable(fd)`, `Writable(fd)`,
//! `Spawn`, `Join`, `Cancel`, `Detach`, `Now`, `CurrentTask`, `Park` and `Unpark`;
//! see [`Trap`] for what each is answered with, and when. The examples
//! run all eight seed scenarios this way: `count_coro`, `five_waits_coro`,
//! `nap_coro`, `cake_coro` and `chess_coro` on the virtual clock (or the
//! real one, scaled), `cpu_bound_coro` with real CPU work (and worker
//! threads answering through a socket), `blocking_io_coro` and `echo_coro`
//! with real loopback sockets through the [`net`] module.
//!
//! ## 5. Pulling commands versus wakers
//!
//! Here the **scheduler knows what every task waits for**: the task said
//! so, in the trap it yielded, and the scheduler files the task under that
//! timer, descriptor or task. In the future style (`async`/`await` on
//! wakers) it is the other way round: the scheduler only knows a task is
//! *not ready*; what it waits for is known to the leaf future that
//! returned `Pending`, which hands a [`Waker`](std::task::Waker) to
//! whoever will complete it (a timer wheel, a reactor registration, a
//! channel).
//!
//! | | commands (this crate) | wakers (futures) |
//! | --- | --- | --- |
//! | who knows what a task waits on | the scheduler | the leaf future and the waker's holder |
//! | new kinds of waiting | a new trap, inside the scheduler | any library, no scheduler change |
//! | waiting on two things at once (`select`) | needs a trap for it | free: poll two futures |
//! | deadlock report, "who waits on what" | exact, from the task table | only "nobody will wake X" |
//! | cost per wait | a `Trap` value returned, matched, filed; no syscall for a [`net`] socket | a `Waker` clone (often a refcount), stored |
//! | cost per wake | a queue push, with the answer | `wake()`: a queue push, then a re-`poll` that re-checks |
//! | waking from another thread | only through the scheduler | any thread may call `wake()` |
//!
//! What a wait on a descriptor costs depends on what the scheduler keeps
//! between waits, not on commands versus wakers. The sockets of [`net`]
//! are registered with the reactor once, for both directions, and the
//! scheduler keeps their readiness, as tokio and async-io do for futures:
//! a wait is a bit test, and if the bit is clear the task is filed under
//! the registration, with no `epoll_ctl`. A plain descriptor the task
//! yields (`Trap::Readable(fd)` on a pipe of its own) is registered for
//! that one wait and deregistered when it ends, as curio does: two
//! `epoll_ctl` calls per wait, which on a one-connection echo is the
//! difference between this style and the raw epoll floor
//! ([`Scheduler::poller_updates`] counts them).
//!
//! Commands are simple and transparent, and the scheduler can explain
//! itself (the [`Deadlock`] report, the trace); the price is a closed set
//! of things to wait for. Wakers are open-ended and compose (`select`,
//! `join`, timeouts as plain futures) at the price of the scheduler not
//! knowing why anything is pending.
//!
//! ## 6. Futures are coroutines too
//!
//! rustc compiles an `async fn` into a compiler-made coroutine that
//! yields `()` whenever an `.await` finds its future pending and is
//! resumed with the task's context on the next poll; a thin `Future` impl
//! turns `Yielded(())` into `Poll::Pending`. [`CoroutineFuture`] is that
//! impl, for hand-written coroutines resumed with a [`Waker`](std::task::Waker);
//! [`FutureCoroutine`] goes the other way and runs any future as a
//! coroutine. The difference from the trampoline is only the yield type:
//! `()` ("not yet, I arranged my own wake-up") versus a [`Trap`] ("here is
//! what I wait for").
//!
//! ```
//! use simul_coro::{CoroutineFuture, FutureCoroutine};
//! use std::future::Future;
//! use std::task::{Context, Poll, Waker};
//!
//! // A future, seen as a coroutine, seen as a future again.
//! let round_trip = CoroutineFuture::new(FutureCoroutine::new(async { 6 * 7 }));
//! let mut fut = std::pin::pin!(round_trip);
//! let mut cx = Context::from_waker(Waker::noop());
//! assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(42)));
//! ```
//!
//! ## 7. Failure
//!
//! * Resuming a completed coroutine: [`ResumeError::AfterCompletion`].
//! * A panic inside `resume` is caught; the task is dropped and its joiner
//!   gets [`JoinError::Panicked`]; the rest runs on.
//! * [`Trap::Cancel`] drops a task wherever it waits (its timer, its
//!   descriptor registration and its join are undone) and its joiner gets
//!   [`JoinError::Cancelled`].
//! * When nothing can ever resume anyone, [`Scheduler::run`] returns
//!   [`RunError::Deadlock`] naming who waits on what.
//!
//! ## 8. Tracing
//!
//! The [`Scheduler`] reports every task's life to the shared
//! [`simul_reactor::trace`] model, the one every simul style uses, so a
//! [`Recording`](simul_reactor::trace::Recording) turns a run into a
//! timeline. Each scheduler is one [`Source`](simul_reactor::trace::Source);
//! a task is the [`Unit`](simul_reactor::trace::Unit) of its
//! [`TaskId::number`], named `task 3` by default (rename it from inside
//! with [`name_current`](simul_reactor::trace::name_current)). Because the
//! task *says* what it waits for, the wait is always known:
//!
//! | the scheduler | shared trace event |
//! | --- | --- |
//! | [`spawn`](Scheduler::spawn), [`Trap::Spawn`] | `Created` |
//! | before resuming (once per turn, however many immediate traps follow) | `Running` |
//! | [`Trap::Sleep`] | `Suspended(Timer(deadline))` |
//! | [`Trap::YieldNow`] | `Suspended(Yield)`, then at once `Woken` |
//! | [`Trap::Readable`] / [`Trap::Writable`] | `Suspended(Readable(fd))` / `Suspended(Writable(fd))` |
//! | [`Trap::Join`] of a live task | `Suspended(Join)` |
//! | [`Trap::Park`] | `Suspended(Sync)` |
//! | a timer fires, a descriptor is ready, a joined task ends, [`Trap::Unpark`] | `Woken` |
//! | it returns / is cancelled / panics or fails with a [`ResumeError`] | `Finished` / `Cancelled` / `Panicked` |
//!
//! [`Clock::block_for`](simul_reactor::Clock::block_for) inside a task
//! adds `Blocked(d)` to its lane by itself. With no recording running,
//! each of these is one relaxed atomic load and a branch. The scheduler's
//! own [`TraceEvent`] list ([`Scheduler::record_trace`]) stays beside it:
//! it keeps every trap, for tests of the trampoline itself.
//!
//! ```
//! use simul_coro::{CoroutineState::*, Reply, Scheduler, Trap, from_fn};
//! use simul_reactor::trace::{Recording, TraceKind, Wait};
//! use simul_reactor::{Clock, Instant};
//! use std::time::Duration;
//!
//! let mut s = Scheduler::<()>::with_clock(Clock::new_virtual())?;
//! let recording = Recording::start()?;
//! let id = s.spawn(from_fn(|r: Reply<()>| match r {
//!     Reply::Start => Ok(Yielded(Trap::Sleep(Duration::from_secs(1)))),
//!     _ => Ok(Complete(())),
//! }));
//! s.run_all()?;
//! let trace = recording.finish();
//! // The loop's own lane (the reactor's polls) is in the trace too.
//! let task = trace.events().iter().filter(|e| e.unit == s.unit(id));
//! let kinds: Vec<TraceKind> = task.map(|e| e.kind).collect();
//! let second = Instant::ZERO + Duration::from_secs(1);
//! assert_eq!(kinds, [
//!     TraceKind::Created,
//!     TraceKind::Running,
//!     TraceKind::Suspended(Wait::Timer(second)),
//!     TraceKind::Woken,
//!     TraceKind::Running,
//!     TraceKind::Finished,
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Map of the crate
//!
//! | concept | items |
//! | --- | --- |
//! | the protocol | [`Coroutine`], [`CoroutineState`], [`Resume`], [`ResumeError`] |
//! | hand-written coroutines | [`Countdown`], [`Averager`], [`from_fn`](fn@from_fn) |
//! | composition | [`yield_from!`], [`AndThen`], [`MapReturn`], [`Yields`] |
//! | the trampoline | [`Scheduler`], [`Trap`], [`Reply`], [`Task`], [`TaskId`], [`Call`] |
//! | sockets, registered once | [`net::TcpListener`], [`net::TcpStream`], [`net::IoHandle`] |
//! | sockets as coroutines | [`net::Accept`], [`net::Connect`], [`net::Read`], [`net::WriteAll`] |
//! | bridges to futures | [`CoroutineFuture`], [`FutureCoroutine`] |
//! | its errors and traces | [`JoinError`], [`RunError`], [`Deadlock`], [`Wait`], [`TraceEvent`] |
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod and_then;
mod averager;
mod call;
mod coroutine;
mod coroutine_future;
mod countdown;
mod driver;
mod from_fn;
mod future_coroutine;
mod join_error;
mod map_return;
pub mod net;
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
pub use call::Call;
pub use coroutine::{Coroutine, Resume};
pub use coroutine_future::CoroutineFuture;
pub use countdown::Countdown;
pub use from_fn::{FromFn, from_fn};
pub use future_coroutine::FutureCoroutine;
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
