//! # simul-reactor: where every simul style waits
//!
//! A chess master giving a *simul* walks from board to board. At each one
//! she moves if the opponent has answered, and walks on if not. She never
//! stands at a board waiting. The walking master is an event loop; this
//! crate is what tells her which boards have answered.
//!
//! Every suspend/resume style in simul (callbacks, generators, futures,
//! green threads) stands on this one reactor, and nothing else in simul
//! talks to the operating system. It offers four things:
//!
//! 1. **Readiness.** Register a file descriptor with an [`Interest`] and a
//!    [`Token`]; [`Reactor::poll`] reports [`Event`]s when it becomes
//!    readable or writable, hangs up or fails. epoll on Linux, kqueue on
//!    macOS and the BSDs, behind one API.
//! 2. **Time.** A [`Clock`], real or virtual, and a deadline passed to
//!    `poll`. Under the virtual clock, a reactor with nothing to do jumps
//!    straight to the deadline, so hours of simulated waiting take
//!    microseconds and tests of timing are exact.
//! 3. **Wake-ups.** A [`Notifier`] that any thread can use to interrupt a
//!    blocked `poll`, so work finished elsewhere (a worker thread, a
//!    waker called from another thread) reaches the loop.
//! 4. **Processes and signals.** A [`Child`] process's exit, and the
//!    arrival of a Unix [`Signal`] (Ctrl-C's `SIGINT`, say) through
//!    [`Signals`], are each one more readable descriptor: registered like
//!    a socket, they wake the loop instead of blocking it (`Child::wait`)
//!    or killing the process (`SIGINT`'s default action). See
//!    [Processes and signals](#processes-and-signals).
//!
//! ## One turn of a loop
//!
//! ```text
//!   +-> run everything that is ready (callbacks, tasks, coroutines)
//!   |     |
//!   |     v
//!   |   deadline = earliest pending timer
//!   |     |
//!   |     v
//!   |   reactor.poll(&mut events, deadline)   <- the only place we block
//!   |     |
//!   |     v
//!   |   for each event: make its waiter ready
//!   |   for each due timer: make its waiter ready
//!   +-----+
//! ```
//!
//! The reactor does not run anything itself. That is the schedulers' job,
//! and the difference between the styles is how they remember *who* was
//! waiting for an event: a callback in a table, a parked coroutine, a
//! waker, a stack.
//!
//! ## A complete example
//!
//! Two ends of a socket pair: we wait until one end has data, without
//! blocking in `read`.
//!
//! ```
//! use simul_reactor::{Events, Interest, Reactor, Token};
//! use std::io::{Read, Write};
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//!
//! let mut reactor = Reactor::new()?;
//! let (mut board, mut opponent) = UnixStream::pair()?;
//! board.set_nonblocking(true)?;
//! reactor.register(board.as_raw_fd(), Token(1), Interest::READABLE)?;
//!
//! // Nothing has been sent: a non-blocking read would say WouldBlock.
//! let mut buf = [0u8; 16];
//! assert_eq!(board.read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
//!
//! std::thread::spawn(move || opponent.write_all(b"e2e4"));
//!
//! let mut events = Events::with_capacity(16);
//! loop {
//!     reactor.poll(&mut events, None)?;
//!     if events.iter().any(|e| e.token() == Token(1) && e.is_readable()) {
//!         break;
//!     }
//! }
//! let n = board.read(&mut buf)?;
//! assert_eq!(&buf[..n], b"e2e4");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## Triggering
//!
//! simul registers every descriptor **edge-triggered** (`EPOLLET` on
//! epoll, `EV_CLEAR` on kqueue): an event is reported when readiness
//! *changes*, once, not on every poll while it lasts. Three reasons:
//!
//! * It is the cheapest: a descriptor is registered once, not re-armed
//!   after every event (oneshot costs an `epoll_ctl` per wait), and a
//!   readable socket the scheduler has not got round to does not come back
//!   in every poll (level triggering's busy-looping hazard).
//! * It matches how futures and green threads wait: a task that gets
//!   `WouldBlock` parks itself, and the next edge wakes it.
//! * It behaves the same on epoll and kqueue.
//!
//! What callers must do in exchange: **after an event, read (or write,
//! or accept) until the call returns `WouldBlock`** before waiting again.
//! Stopping early, with data still buffered, means no new edge comes and
//! the data sits there unseen. A caller that wants level-triggered
//! behaviour (asyncio's `add_reader` calls its callback as long as the
//! descriptor is readable) calls [`Reactor::reregister`] after handling
//! an event: re-registration re-arms the descriptor, and one that is still
//! ready is reported again by the next poll.
//!
//! ### A refinement: a short read means drained
//!
//! "Until `WouldBlock`" costs one extra read per event: the last one,
//! which finds nothing. For a **stream socket** (TCP, Unix stream) that
//! read can be skipped when the one before it was *short*, returning
//! fewer bytes than the buffer holds, and [`Event::short_read_drains`]
//! says so for the event that woke you. Why that is sound:
//!
//! 1. A stream read copies from the receive queue until the buffer is
//!    full or the queue is empty. So a short read means the queue was
//!    empty at that moment: nothing was left behind.
//! 2. Every arrival after that moment (data, end-of-file, a reset) wakes
//!    the socket's wait queue, and an edge-triggered registration is
//!    queued for reporting on *every* such wake-up since it was last
//!    reported, not only when the socket goes from empty to non-empty
//!    (epoll(7): each wake-up runs epoll's callback, which puts the item
//!    back on the ready list; kqueue: each arrival re-runs the read
//!    filter, and `EV_CLEAR` only resets what was already retrieved). The
//!    read came after the report that woke the reader, so the arrival
//!    comes after it too, and the next poll reports it.
//!
//! Where point 1 fails, the refinement is wrong, and
//! [`Event::short_read_drains`] is `false`:
//!
//! * **End-of-file and errors.** When the event already says the peer
//!   shut down (`EPOLLRDHUP`, `EPOLLHUP`, `EV_EOF`) or failed, the `0`
//!   or the error is already queued and raises no later edge: read until
//!   you see it.
//! * **TCP urgent data.** A TCP read stops short at the urgent
//!   (out-of-band) mark with data queued behind it. epoll reports a
//!   pending urgent byte as `EPOLLPRI` (registered with every readable
//!   interest), so those events say `false`; an urgent byte that arrives
//!   after the report raises its own edge. kqueue's read filter does not
//!   report urgent data, so on kqueue it is always `false`.
//! * **Anything but a byte stream.** A datagram socket returns one
//!   datagram per read, however short; a Unix stream read also stops
//!   short at a message carrying descriptors or credentials. Read those
//!   until `WouldBlock`.
//! * **A full read** says nothing: more may be queued. Read again.
//! * **A burst not started by an event** (a reader that stopped early,
//!   for fairness, and resumes later) must read until `WouldBlock`: the
//!   edge that would announce the rest has been consumed.
//!
//! ```
//! use simul_reactor::{Events, Interest, Reactor, Token};
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::os::fd::AsRawFd;
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! let (mut server, _) = listener.accept()?;
//! server.set_nonblocking(true)?;
//! let mut reactor = Reactor::new()?;
//! reactor.register(server.as_raw_fd(), Token(0), Interest::READABLE)?;
//!
//! let mut events = Events::with_capacity(8);
//! let mut buf = [0u8; 1024];
//! for word in [&b"e2e4"[..], b"e7e5", b"g1f3"] {
//!     client.write_all(word)?;
//!     reactor.poll(&mut events, None)?; // one edge per arrival
//!     let ev = events.iter().next().unwrap();
//!     assert!(ev.short_read_drains() || cfg!(not(target_os = "linux")));
//!     let n = server.read(&mut buf)?; // short: 4 < 1024, so drained
//!     assert_eq!(&buf[..n], word);
//!     // No second read: the next word raises a new edge.
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## Processes and signals
//!
//! A blocking call on the loop's thread stops *everything*: while
//! `std::process::Child::wait` sits in `waitpid`, no timer fires and no
//! other client is served. asyncio replaces such calls with
//! `create_subprocess_exec` and `add_signal_handler`; simul replaces them
//! with one rule: **every event is a readable file descriptor.**
//!
//! | event | descriptor | then call |
//! | --- | --- | --- |
//! | data from a child | [`ChildStdout`] / [`ChildStderr`] (non-blocking pipes) | `read` until `WouldBlock` or `Ok(0)` |
//! | room for input to a child | [`ChildStdin`] (non-blocking pipe), for writing | `write` until `WouldBlock` |
//! | a child exited | [`Child::exit_fd`] (pidfd, private kqueue, or `SIGCHLD` pipe) | [`Child::try_wait`] |
//! | a signal arrived | [`Signals`] (a self-pipe fed by a signal handler) | [`Signals::pending`] |
//!
//! Because these are ordinary registrations, every scheduler built on the
//! reactor can wait for them without a special case: the callback loop
//! calls a callback, the executor wakes a waker, the green hub resumes a
//! stack. A server stops cleanly on Ctrl-C like this:
//!
//! ```
//! use simul_reactor::{Events, Interest, Reactor, Signal, Signals, Token};
//! use std::os::fd::AsRawFd;
//!
//! const CTRL_C: Token = Token(0);
//! let mut reactor = Reactor::new()?;
//! let stop = Signals::new(&[Signal::INT, Signal::TERM])?;
//! reactor.register(stop.as_raw_fd(), CTRL_C, Interest::READABLE)?;
//! # Signal::INT.raise()?; // stands in for the user pressing Ctrl-C
//!
//! let mut events = Events::with_capacity(64);
//! 'serve: loop {
//!     reactor.poll(&mut events, None)?;
//!     for event in events.iter() {
//!         if event.token() == CTRL_C && !stop.pending()?.is_empty() {
//!             break 'serve; // close listeners, finish requests, flush logs
//!         }
//!         // ... serve other tokens ...
//!     }
//! }
//! # reactor.deregister(stop.as_raw_fd())?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## Platforms
//!
//! The epoll backend (Linux) is the one that is tested: every test and
//! doctest here runs on it. The kqueue backend (macOS, iOS, FreeBSD,
//! DragonFly, NetBSD, OpenBSD) is compiled in CI for
//! `x86_64-unknown-freebsd` and `aarch64-apple-darwin` but **not executed**
//! there: the project has no BSD or macOS machine, so treat it as written
//! to the man pages, not as proven. Differences a caller can see on kqueue:
//! readable and writable readiness of one descriptor arrive as two events;
//! regular files can be registered (epoll refuses them); and a
//! registration ends when that descriptor *number* is closed, even if a
//! duplicate stays open (epoll keeps it until the last duplicate closes).
//!
//! ## Sockets and pipes
//!
//! The [`net`] module holds the non-blocking TCP, UDP and Unix-domain
//! sockets and pipes that every style reads and writes, and teaches their
//! rules: `WouldBlock`, the connect dance, partial writes, half-close, and
//! why a write never raises `SIGPIPE`.
//!
//! ## Clocks and precise waits
//!
//! See [`Clock`] and [`Reactor::poll`]. On the real clock a deadline is
//! met with nanosecond resolution where the kernel allows it
//! (`epoll_pwait2` since Linux 5.11, kqueue's `timespec`) and otherwise by
//! rounding a millisecond timeout *up*: a wait may end late (the OS
//! schedules the thread), never early.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod clock;
mod event;
mod instant;
mod interest;
#[cfg(loom)]
#[doc(hidden)]
pub mod model;
pub mod net;
mod notifier;
mod process;
mod reactor;
mod signal;
mod stack;
mod sync;
mod sys;
mod timer;
mod token;
pub mod trace;
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod ucontext;

pub use clock::Clock;
pub use event::{Event, Events};
pub use instant::Instant;
pub use interest::Interest;
pub use notifier::Notifier;
pub use process::{Child, ChildStderr, ChildStdin, ChildStdout};
pub use reactor::Reactor;
pub use signal::{Signal, Signals};
pub use stack::Stack;
pub use timer::{TimerKey, TimerQueue};
pub use token::Token;
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub use ucontext::UContext;
