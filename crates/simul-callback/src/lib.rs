//! # simul-callback: the callback style
//!
//! The first way to wait without blocking, and the oldest: a function that
//! wants to wait for something hands the loop a *callback*, "call me when
//! it has happened", and returns. Nothing is suspended; there is no stack
//! to keep. The waiting is done by an *event loop* that owns a queue of
//! callbacks and runs them one after the other, on one thread.
//!
//! This crate is Python asyncio's low-level loop (the part under
//! `async`/`await`: `call_soon`, `call_later`, `add_reader`,
//! `run_in_executor`) on the [simul reactor](simul_reactor). A Python
//! reader should recognise every name.
//!
//! ## A first loop
//!
//! Seed 002's cake, callback style: the dough takes 15 minutes, then the
//! oven 45; the groceries take 20. Each step *schedules its continuation*
//! instead of sleeping, so the groceries are bought while the dough rests.
//!
//! ```
//! use simul_callback::EventLoop;
//! use simul_reactor::Clock;
//! use std::{cell::RefCell, rc::Rc, time::Duration};
//!
//! let min = |m: u64| Duration::from_secs(60 * m);
//! // The virtual clock: an hour of waiting takes microseconds, exactly.
//! let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
//! let log = Rc::new(RefCell::new(Vec::new()));
//!
//! let l = log.clone();
//! lp.call_soon(move |lp| {
//!     // dough ... then the oven ... then done
//!     lp.call_later(min(15), move |lp| {
//!         lp.call_later(min(45), move |lp| {
//!             l.borrow_mut().push(("cake", lp.time().since_origin()));
//!         });
//!     });
//! });
//! let l = log.clone();
//! lp.call_soon(move |lp| {
//!     lp.call_later(min(20), move |lp| {
//!         l.borrow_mut().push(("groceries", lp.time().since_origin()));
//!     });
//! });
//! lp.run_until(|_| log.borrow().len() == 2)?;
//! assert_eq!(*log.borrow(), [("groceries", min(20)), ("cake", min(60))]);
//! # Ok::<(), simul_callback::Error>(())
//! ```
//!
//! The nesting is the price of the style: every "and then" is one more
//! closure, and state that a sequential program keeps in local variables
//! must be captured and carried along. The later simul styles (generators,
//! futures, green threads) exist to flatten exactly this.
//!
//! ## One iteration of the loop
//!
//! [`EventLoop::run_forever`] repeats one iteration until
//! [`EventLoop::stop`]. An iteration is, in order (asyncio's
//! `BaseEventLoop._run_once`):
//!
//! ```text
//!        ready queue (FIFO)                      timer heap
//!   +---------------------------+         +----------------------+
//!   | cb scheduled last round   |         | (deadline, seq) -> cb|
//!   +---------------------------+         +----------------------+
//!                |                                   |
//!  1. timeout =  0      if the ready queue is non-empty or stop() was called
//!                next deadline  if only timers are pending
//!                none (block)   otherwise
//!  2. reactor.poll(timeout) ....... the only place the loop blocks
//!                |                 (virtual clock: jumps to the deadline)
//!  3. woken?  -> move calls from other threads (call_soon_threadsafe,
//!                executor results) to the back of the ready queue
//!  4. events  -> for each ready fd: its reader / writer to the back;
//!                for each ready socket of a transport or server: its
//!                handler (which reads / writes / accepts until WouldBlock)
//!  5. timers  -> every timer due now, deadline order, ties FIFO, to the back
//!                |
//!  6. n = len(ready queue); run exactly n callbacks from the front
//!        a callback's call_soon goes to the back: it runs NEXT iteration
//!  7. re-arm the fds whose callbacks ran (level-triggered add_reader)
//!                |
//!     stop() called? -> return from run_forever; else back to 1.
//! ```
//!
//! What this order promises, and what `tests/ordering.rs` checks on
//! recorded traces:
//!
//! * callbacks run first in, first out;
//! * a callback scheduled while the ready queue runs waits for the next
//!   iteration, so one that reschedules itself forever still lets I/O
//!   and timers in between its runs;
//! * due timers run in deadline order, equal deadlines in the order they
//!   were scheduled, after what was already queued;
//! * an I/O callback runs in the iteration in which its readiness is seen.
//!
//! ## What else is here
//!
//! * [`Handle`] / [`TimerHandle`]: what scheduling returns; `cancel` works
//!   until the callback runs and is a no-op after.
//! * [`EventLoop::add_reader`] and friends: callbacks on any fd, with
//!   asyncio's level-triggered meaning.
//! * [`LoopHandle`]: `call_soon_threadsafe` from other threads.
//! * [`EventLoop::run_in_executor`]: blocking work on a bounded pool of
//!   worker threads, the result delivered back as a callback.
//! * [`Deferred`] and [`EventLoop::run_until_complete`]: run until a
//!   result is there.
//! * [`EventLoop::set_exception_handler`]: a panicking callback is
//!   reported there and the loop goes on.
//! * [`EventLoop::set_debug`]: asyncio's debug mode, which reports every
//!   callback slower than a threshold ([`SlowCallback`]) with the line
//!   that scheduled it: how you find the blocking call that starves
//!   everyone else.
//! * [`EventLoop::add_signal_handler`]: a signal becomes a callback in an
//!   ordinary iteration (a server stops cleanly on Ctrl-C).
//!
//! ## Transports and protocols
//!
//! Above raw callbacks sits asyncio's networking model. A [`Protocol`] is
//! a set of callbacks for one connection (`connection_made`,
//! `data_received`, `eof_received`, `connection_lost`, and
//! `pause_writing` / `resume_writing` for flow control); a [`Transport`]
//! is its way back to the socket (`write`, `write_eof`, `close`, `abort`,
//! `pause_reading`, ...). [`EventLoop::create_server`] makes a protocol
//! per accepted connection; [`EventLoop::create_connection`] connects one.
//! The protocol never sees `WouldBlock`: the transport reads until the
//! socket is drained, buffers what the socket will not take yet, and
//! writes it when the socket is writable. A read timeout
//! ([`Transport::set_read_timeout`], or for every connection of a server
//! [`Server::set_read_timeout`]) closes a peer that sends nothing for too
//! long: a slow client cannot hold a socket forever. UDP has the same shape:
//! [`EventLoop::create_datagram_endpoint`], [`DatagramProtocol`],
//! [`DatagramTransport`].
//!
//! ```text
//!   socket readable --> transport reads --> protocol.data_received(bytes)
//!                                                 |
//!   socket writable <-- transport buffer <-- transport.write(reply)
//!                       (over high water: protocol.pause_writing)
//! ```
//!
//! ## The seed scenarios
//!
//! `examples/` holds the seeds' programs written as a callback programmer
//! would: `count_callback`, `five_waits_callback`, `cake_callback`,
//! `chess_callback`, `nap_callback` (debug mode naming the blocking
//! callback), `cpu_bound_callback` (on the loop, with yields, offloaded
//! with `run_in_executor`), `blocking_io_callback` (blocking `std` calls
//! against the loop's sockets) and `echo_callback` (a server and a
//! verifying load client). Run them with
//! `cargo run -p simul-callback --example chess_callback`.
//!
//! ## Tracing
//!
//! Under a [`Recording`](simul_reactor::trace::Recording) the loop reports
//! its work in the [one event model](simul_reactor::trace) of every simul
//! style. A *unit* is a chain of callbacks, as an asyncio `Task` is a
//! chain of steps: whatever a running callback schedules (`call_soon`,
//! `call_later`, `call_at`, a reader or writer, a connection it opens, an
//! executor job) continues its unit; what is scheduled from outside any
//! callback (before the run, from the exception handler, from another
//! thread with `call_soon_threadsafe`) starts a new one, named after the
//! line that scheduled it (`nap_callback.rs:42`) until
//! [`name_current`](simul_reactor::trace::name_current) renames it. Each
//! connection a server accepts is a unit of its own (asyncio's
//! `start_server` runs a task per client).
//!
//! ```text
//!  call_soon/call_later from outside ---> Created
//!                                            |
//!             +------------------------> Running  (each callback of the unit)
//!             |                              |
//!           Woken   <-- timer due,     the callback returns with
//!             |         fd ready,      something of its unit pending:
//!             |         job result     Suspended(Yield | Timer(when) |
//!             +----------------------- Readable(fd) | Writable(fd) | Thread)
//!
//!  nothing of the unit left ------> Finished
//!  its last pending callback,
//!  reader or transport cancelled --> Cancelled   (unless it is the one running)
//!  the callback panics -----------> Panicked    (the exception handler path)
//! ```
//!
//! The loop keeps, while a recording runs, a count per unit of what it has
//! pending: callbacks scheduled and not yet run, registered readers,
//! writers and transports, executor jobs in flight. The wait a unit is
//! suspended on is what its callback scheduled (a `call_soon` wins: it is
//! ready again at once), else the fd of the reader or transport that ran,
//! else what the unit scheduled last. A blocking call inside a callback
//! ([`Clock::block_for`](simul_reactor::Clock::block_for)) is charged to
//! the running unit by the reactor.
//!
//! With no recording running, what remains is a `u64` unit id carried by
//! each scheduled callback and one relaxed atomic load per step
//! (`benches/callback.rs`: a million `call_soon`s took 40.5 ms before the
//! tracing hooks and 41.4 / 30.5 ms in two runs after; 100,000
//! `call_later`s 116 ms before, 94 / 102 ms after, all within the noise of
//! a shared two-core machine). A unit that began before the recording started is traced
//! from its next callback on, as if it started there; a unit's lane ends
//! at its first panic (a reader that asyncio keeps after a panic reopens
//! it).
//!
//! ## What it costs
//!
//! Scheduling a callback boxes the closure and pushes it on a `VecDeque`:
//! a [`Handle`] is the entry's sequence number, not a shared flag, so no
//! reference count is touched per callback. Panics are caught once per
//! batch of callbacks rather than once per callback. `benches/callback.rs`
//! measures the dispatch against draining a bare
//! `VecDeque<Box<dyn FnOnce()>>`.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod datagram;
mod deferred;
mod error;
mod event_loop;
mod exception;
mod executor;
mod handle;
mod protocol;
mod runnable;
mod server;
mod threadsafe;
mod transport;

pub use datagram::{DatagramProtocol, DatagramTransport};
pub use deferred::Deferred;
pub use error::Error;
pub use event_loop::EventLoop;
pub use exception::{CallbackKind, ExceptionContext, SlowCallback};
pub use executor::ExecutorError;
pub use handle::{Handle, TimerHandle};
pub use protocol::Protocol;
pub use server::Server;
pub use threadsafe::LoopHandle;
pub use transport::Transport;
