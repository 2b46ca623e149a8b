//! # simul-future: what an `async fn` really is
//!
//! The future style of simul. A chess master giving a simul keeps, for
//! each board, a note of where that game stands; walking past a board,
//! she looks at the note, moves if she can, updates the note, and walks
//! on. A Rust future is that note: a state machine that is *polled*, makes
//! what progress it can, and says whether it is done.
//!
//! This crate builds the whole machinery by hand, on the
//! [`simul_reactor`] reactor: tasks, wakers made on `RawWakerVTable`, a
//! single-threaded executor, timers, and the combinators (`join`,
//! `select`, `timeout`, ...), each written as an explicit state machine
//! next to the `async fn` it stands for.
//!
//! ## 1. A future is a state machine that is polled
//!
//! ```text
//! trait Future {
//!     type Output;
//!     fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output>;
//! }
//! ```
//!
//! `poll` runs the machine until it would have to wait. It then returns
//! `Poll::Pending`, having arranged for `cx.waker()` to be woken when
//! waiting is over; or it returns `Poll::Ready(output)`. Nothing runs
//! unless something polls: a future that is never awaited does nothing.
//!
//! ## 2. The seed program `count`, twice
//!
//! Three tasks each print `One`, wait a second cooperatively, and print
//! `Two`. As `async fn`:
//!
//! ```
//! use simul_future::{Runtime, join3, now, sleep};
//! use simul_reactor::Clock;
//! use std::{cell::RefCell, rc::Rc, time::Duration};
//!
//! type Trace = Rc<RefCell<Vec<(u64, &'static str)>>>;
//! fn say(t: &Trace, word: &'static str) {
//!     t.borrow_mut().push((now().since_origin().as_secs(), word));
//! }
//!
//! async fn count(t: Trace) {
//!     say(&t, "One");
//!     sleep(Duration::from_secs(1)).await;
//!     say(&t, "Two");
//! }
//!
//! let mut rt = Runtime::with_clock(Clock::new_virtual())?; // exact, instant
//! let t = Trace::default();
//! rt.block_on(join3(count(t.clone()), count(t.clone()), count(t.clone())))?;
//! assert_eq!(
//!     *t.borrow(),
//!     [(0, "One"), (0, "One"), (0, "One"), (1, "Two"), (1, "Two"), (1, "Two")]
//! );
//! assert_eq!(rt.clock().now().since_origin(), Duration::from_secs(1)); // not 3
//! # Ok::<(), simul_future::RuntimeError>(())
//! ```
//!
//! The compiler turns `count` into an enum with one variant per place
//! where the function can be suspended, each holding the variables that
//! live across that `.await`. Written by hand, it is:
//!
//! ```text
//!   [Start] --poll: say One, create the sleep--> [Sleeping{sleep}]
//!                                                   | poll: sleep Pending -> Pending
//!                                                   | poll: sleep Ready: say Two
//!                                                   v
//!                                                 [Done] -> Ready(())
//! ```
//!
//! ```
//! use simul_future::{Runtime, Sleep, join3, now, sleep};
//! use simul_reactor::Clock;
//! use std::{cell::RefCell, future::Future, pin::Pin, rc::Rc, time::Duration};
//! use std::task::{Context, Poll};
//!
//! type Trace = Rc<RefCell<Vec<(u64, &'static str)>>>;
//! fn say(t: &Trace, word: &'static str) {
//!     t.borrow_mut().push((now().since_origin().as_secs(), word));
//! }
//!
//! pin_project_lite::pin_project! {
//!     #[project = CountProj]
//!     enum Count {
//!         Start { t: Trace },
//!         Sleeping { t: Trace, #[pin] sleep: Sleep },
//!         Done,
//!     }
//! }
//!
//! impl Future for Count {
//!     type Output = ();
//!     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
//!         loop {
//!             match self.as_mut().project() {
//!                 CountProj::Start { t } => {
//!                     say(t, "One");
//!                     let t = t.clone();
//!                     self.set(Count::Sleeping { t, sleep: sleep(Duration::from_secs(1)) });
//!                 }
//!                 CountProj::Sleeping { t, sleep } => {
//!                     if sleep.poll(cx).is_pending() {
//!                         return Poll::Pending; // the sleep keeps our waker
//!                     }
//!                     say(t, "Two");
//!                     self.set(Count::Done);
//!                     return Poll::Ready(());
//!                 }
//!                 CountProj::Done => panic!("`async fn` resumed after completion"),
//!             }
//!         }
//!     }
//! }
//!
//! let mut rt = Runtime::with_clock(Clock::new_virtual())?;
//! let t = Trace::default();
//! let c = || Count::Start { t: t.clone() };
//! rt.block_on(join3(c(), c(), c()))?;
//! assert_eq!(
//!     *t.borrow(),
//!     [(0, "One"), (0, "One"), (0, "One"), (1, "Two"), (1, "Two"), (1, "Two")]
//! );
//! # Ok::<(), simul_future::RuntimeError>(())
//! ```
//!
//! The same trace: an `async fn` *is* this enum, and `.await` is "poll
//! the inner future; if it is pending, return pending".
//!
//! ## 3. Pinning
//!
//! `poll` takes `Pin<&mut Self>` because a generated state machine may
//! hold a reference into itself (a buffer borrowed across an `.await`).
//! Moving it would leave that reference dangling, so once polled it must
//! stay put until dropped. `Pin` promises exactly that. Tasks keep their
//! future in a heap cell that never moves; combinators here use
//! `pin_project_lite` to reach their fields as `Pin<&mut Field>` (the
//! `#[pin]` ones) or `&mut Field` (the rest) without `unsafe`.
//!
//! ## 4. Wakers: how a pending future gets polled again
//!
//! A [`std::task::Waker`] is a data pointer and a table of four functions.
//! Here the pointer is the task's header and the functions are written by
//! hand (on `RawWakerVTable`). Waking a task on the runtime's own thread
//! sets its `SCHEDULED` bit and pushes it on the run queue: no lock, no
//! atomic operation. From any other thread the wake goes through a
//! mutex-protected injection queue and the reactor's
//! [`Notifier`](simul_reactor::Notifier), and the loop finishes the job on
//! its own thread, so a task's state is only ever touched by one thread.
//! Two wakes before a poll give one poll; a wake during a poll gives one
//! more poll, later; a wake after the task finished does nothing.
//!
//! simul's own futures ([`sleep`](fn@sleep), [`JoinHandle`], [`JoinSet`]) keep the
//! task itself rather than a cloned waker, which is cheaper and lets the
//! runtime know every way a task can still be woken.
//!
//! ## 5. The executor
//!
//! [`Runtime::block_on`] polls ready tasks in first-in first-out order,
//! in rounds: a round is the tasks ready when it starts (at most
//! [`BUDGET`]). Between rounds it fires due timers and collects wakes from
//! other threads, so, as with asyncio's `sleep(0)`, a task that yields
//! lets a due timer in at once; when idle, it waits in the reactor until
//! the next timer. Under the virtual clock that wait is a
//! jump of the clock, so tests of timing are exact and instant; virtual
//! time passes only while the loop waits (or through
//! [`Clock::block_for`](simul_reactor::Clock::block_for)), never while
//! tasks run.
//!
//! When the `block_on` future is pending and nothing can ever wake
//! anything, `block_on` returns [`RuntimeError::Deadlock`] with the list
//! of stuck tasks, where each was spawned, and what each waits on,
//! instead of hanging as asyncio and tokio do. See [`Deadlock`].
//!
//! Two more reports ([`Runtime::diagnostics`]): a **lost wakeup** (a
//! task returned `Pending` keeping no waker, no timer, no registration:
//! nothing can ever poll it again) is reported the moment it happens,
//! naming the task; in debug builds a **slow poll** (longer than 100 ms by
//! default) is reported with the task's spawn location.
//!
//! ## 6. Cancellation is `drop`
//!
//! A future that is dropped simply never resumes: its state machine is
//! destroyed at the `.await` where it stood, running the destructors of
//! what it held. [`JoinHandle::abort`], [`select`](fn@select)'s loser, [`timeout`](fn@timeout)
//! and a dropped [`JoinSet`] all cancel this way.
//!
//! ## 7. Async I/O
//!
//! [`TcpListener`] and [`TcpStream`] (and, in the same way,
//! [`UdpSocket`], [`UnixListener`] and [`UnixStream`]) wrap the reactor's
//! non-blocking sockets. Each registers its descriptor once, edge-triggered; the
//! runtime remembers, per descriptor, whether it may be readable or
//! writable and which task waits. A read tries the system call; on
//! `WouldBlock` it clears the flag, keeps the task, and returns
//! `Pending`; the reactor's next edge sets the flag and wakes the task.
//! While tasks are ready, the loop still looks at the reactor (without
//! blocking) every [`BUDGET`] polls, so a busy task cannot starve I/O.
//! The byte-level futures ([`Read`], [`ReadExact`], [`Write`],
//! [`WriteAll`]) are written over simul's own [`AsyncRead`] and
//! [`AsyncWrite`] traits.
//!
//! ## 8. Synchronisation between tasks
//!
//! [`Lock`], [`Semaphore`] and [`Queue`] are asyncio's, as leaf futures
//! ([`AcquireLock`], [`AcquirePermit`], [`Get`], [`Put`]) each drawn as a
//! state machine beside the `async fn` it stands for. Two promises hold
//! for all of them. *First come, first served*: what is released is
//! handed straight to the oldest waiter, so a newcomer cannot take it
//! between the wake and the waiter's next poll. *Cancellation-safe*:
//! dropping a waiting future (a lost [`select`](fn@select), a [`timeout`](fn@timeout)) at any
//! point neither loses nor duplicates a permit or an item; something
//! handed to a future that is then dropped goes on to the next waiter.
//! They live on the runtime's thread (`!Send`), so they need no atomics.
//!
//! ## Map of the crate
//!
//! | asyncio | here | kind |
//! | --- | --- | --- |
//! | `asyncio.run(main())` | [`Runtime::block_on`] | executor |
//! | `create_task` | [`spawn`](fn@spawn) → [`JoinHandle`] (`abort`, `is_finished`) | task |
//! | `sleep(0)` | [`yield_now`](fn@yield_now) | leaf future |
//! | `sleep(d)` | [`sleep`](fn@sleep), [`sleep_until`], [`interval`](fn@interval) | leaf futures on timers |
//! | `wait_for(f, d)` | [`timeout`](fn@timeout) | combinator |
//! | `gather(a, b)` | [`join`](fn@join), [`join3`](fn@join3), [`join_all`](fn@join_all) | combinators |
//! | `wait(FIRST_COMPLETED)` | [`select`](fn@select) | combinator |
//! | `TaskGroup` | [`JoinSet`] | task set |
//! | `Future` as a result slot, `Event` | [`oneshot`](fn@oneshot), [`Event`] | loop-local sync |
//! | `Lock`, `Semaphore`, `Queue` | [`Lock`], [`Semaphore`], [`Queue`] | loop-local sync, fair and cancellation-safe |
//! | `Queue.task_done()`, `Queue.join()` | [`Queue::task_done`], [`Queue::join`] → [`QueueJoin`] | loop-local sync |
//! | `to_thread(f)` | [`spawn_blocking`] → [`BlockingHandle`] | worker pool (≤ 4 threads) |
//! | `start_server`, `open_connection` | [`TcpListener::accept`], [`TcpStream::connect`] | leaf futures on the reactor |
//! | `create_datagram_endpoint` | [`UdpSocket`] (`send_to`, `recv_from`, `send`, `recv`) | leaf futures on the reactor |
//! | `create_subprocess_exec`, `proc.wait()` | [`Child::spawn`], [`Child::wait`], [`ChildStdin`], [`ChildStdout`] | leaf futures on the reactor |
//! | `add_signal_handler` | [`signal`] → [`SignalStream`], [`ctrl_c`](fn@ctrl_c) | leaf futures on the reactor |
//! | `start_unix_server`, `open_unix_connection` | [`UnixListener::accept`], [`UnixStream::connect`], [`UnixStream::pair`] | leaf futures on the reactor |
//! | `reader.read`, `readexactly`, `writer.write` + `drain` | [`AsyncReadExt`], [`AsyncWriteExt`] | leaf futures |
//!
//! # Tracing
//!
//! Under a [`simul_reactor::trace::Recording`] the runtime reports each
//! task as a unit `Unit::new(source, id)` (one `Source` per runtime; the
//! task's id, 0 for `block_on`'s future, named `main`): `Created` at
//! spawn (and at `block_on`), `Running` before each poll, `Suspended(w)`
//! when a poll returns `Pending`, `Woken` when its waker queues it (a
//! wake from another thread is recorded when the loop takes it from the
//! injection queue), and `Finished`, `Cancelled` (abort, runtime drop, a
//! deadlocked `block_on`) or `Panicked`. The executor cannot see what a
//! pending future waits for, so simul's leaf futures say it as they
//! return `Pending`, in the header field deadlock reports already use:
//! `Timer` (sleep, timeout, interval), `Readable`/`Writable` (I/O),
//! `Join` (`JoinHandle`, `JoinSet`), `Sync` (queue, lock, semaphore,
//! event, oneshot), `Thread` (`spawn_blocking`), `Yield` (`yield_now`);
//! the last one said in the poll wins, `Unknown` if none. With no
//! recording running each step costs one relaxed load.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod acquire_lock;
mod acquire_permit;
mod async_read;
mod async_write;
mod blocking;
mod child;
mod child_pipes;
mod ctrl_c;
mod error;
mod event;
mod fair_line;
mod interval;
mod io_source;
mod join;
mod join3;
mod join_all;
mod join_handle;
mod join_set;
mod lock;
mod maybe_done;
mod oneshot;
mod queue;
mod queue_get;
mod queue_join;
mod queue_put;
mod read;
mod read_exact;
mod run_queue;
mod runtime;
mod select;
mod semaphore;
mod signal_stream;
mod sleep;
mod spawn;
mod sync;
mod task;
mod tcp_listener;
mod tcp_stream;
mod timeout;
mod udp_socket;
mod unix_listener;
mod unix_stream;
mod waker;
mod write;
mod write_all;
mod yield_now;

pub use acquire_lock::AcquireLock;
pub use acquire_permit::AcquirePermit;
pub use async_read::{AsyncRead, AsyncReadExt};
pub use async_write::{AsyncWrite, AsyncWriteExt};
pub use blocking::{BlockingHandle, MAX_BLOCKING_THREADS, spawn_blocking};
pub use child::{Child, ChildWait};
pub use child_pipes::{ChildStderr, ChildStdin, ChildStdout};
pub use ctrl_c::{CtrlC, ctrl_c};
pub use error::{Deadlock, JoinError, RuntimeError, StuckTask};
pub use event::{Event, Wait};
pub use interval::{Interval, Tick, interval};
pub use join::{Join, join};
pub use join_all::{JoinAll, join_all};
pub use join_handle::JoinHandle;
pub use join_set::{JoinNext, JoinSet};
pub use join3::{Join3, join3};
pub use lock::{Lock, LockGuard};
pub use oneshot::{Receiver, RecvError, Sender, oneshot};
pub use queue::{Queue, QueueEmpty, QueueFull, TaskDoneError};
pub use queue_get::Get;
pub use queue_join::QueueJoin;
pub use queue_put::Put;
pub use read::Read;
pub use read_exact::ReadExact;
pub use runtime::{BUDGET, Diagnostics, Runtime};
pub use select::{Either, Select, select};
pub use semaphore::{Permit, Semaphore};
pub use signal_stream::{RecvSignal, SignalStream, signal};
pub use sleep::{Sleep, now, sleep, sleep_until};
pub use spawn::spawn;
pub use tcp_listener::{Accept, TcpListener};
pub use tcp_stream::{Connect, TcpStream};
pub use timeout::{Elapsed, Timeout, timeout};
pub use udp_socket::{Recv, RecvFrom, SendTo, UdpSocket};
pub use unix_listener::{UnixAccept, UnixListener};
pub use unix_stream::{UnixConnect, UnixStream};
pub use write::Write;
pub use write_all::WriteAll;
pub use yield_now::{YieldNow, yield_now};
