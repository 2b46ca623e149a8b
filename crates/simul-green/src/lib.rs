//! # simul-green: green threads, the greenlet style
//!
//! The fourth way simul suspends and resumes a function without the OS.
//! Callbacks split a function into pieces by hand; generators and
//! `async fn` let the *compiler* split it, at every `yield` or `.await`.
//! A **green thread** does not split the function at all: it gives it a
//! call stack of its own, and suspending it means saving a handful of
//! registers and pointing the CPU at another stack. That is what Python's
//! greenlets do, and gevent and eventlet build on them to run code written
//! as if it blocked (`sock.recv()`, `time.sleep()`) cooperatively.
//!
//! ```
//! use simul_green::Hub;
//! use simul_reactor::Clock;
//! use std::time::Duration;
//!
//! // The `count` seed: three tasks print One, wait 1 s, print Two.
//! let hub = Hub::with_clock(Clock::new_virtual())?;
//! let log = hub.run(|| {
//!     let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
//!     let tasks: Vec<_> = (0..3)
//!         .map(|_| {
//!             let log = log.clone();
//!             simul_green::spawn(move || {
//!                 log.borrow_mut().push("One");
//!                 simul_green::sleep(Duration::from_secs(1)).unwrap(); // looks blocking
//!                 log.borrow_mut().push("Two");
//!             })
//!         })
//!         .collect::<Result<_, _>>()?;
//!     for t in tasks {
//!         t.join()?;
//!     }
//!     Ok::<_, simul_green::Error>(log.take())
//! })??;
//! assert_eq!(log, ["One", "One", "One", "Two", "Two", "Two"]);
//! assert_eq!(hub.now().since_origin(), Duration::from_secs(1)); // not 3
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Stackful and stackless
//!
//! A future (stackless coroutine) keeps its suspended state in a struct
//! the compiler lays out: exactly the variables live across each `.await`,
//! often a few dozen bytes. A green thread (stackful coroutine) keeps it
//! in real stack frames, so it can suspend from *any* depth, in code that
//! knows nothing about suspension: a `BufReader` over a socket, a parser
//! calling `read` deep inside. That is the whole trade:
//!
//! | | stackful (this crate) | stackless (`async fn`) |
//! | --- | --- | --- |
//! | where code can suspend | anywhere, any depth, through any library | only at `.await`, in `async` code all the way up ("function colouring") |
//! | memory per suspended task | a stack: pages actually touched, 4–8 KiB at least, plus reserved address space | the future's size, often under 100 B |
//! | switch cost | save/restore ~8 registers: a few ns | return up and poll down the chain of futures |
//! | overflow | a guard page, caught and reported | impossible: no stack of its own |
//! | cancellation | unwind the stack (a kill), like `GreenletExit` | drop the future |
//! | borrowing across a wait | free: it is just a stack frame | free inside one `async fn`; pinning for self-references |
//!
//! Green threads win where existing blocking-style code must become
//! concurrent without rewriting (gevent's pitch), and where a switch must
//! be cheap and not depend on how deep the call chain is. They lose where
//! there are millions of tasks (memory), where thousands of tasks start
//! at once (past the hub's pool of 64 stacks each new thread costs an
//! `mmap`, a guard-page `mprotect`, page faults on first touch and an
//! `munmap` at its end: the `green` benchmark's `park_wake`, 10,000
//! threads parked on one event and woken, takes about 145 ms on the
//! development VM against 0.8 ms for the same tasks as futures and 3 ms on
//! tokio), on platforms without a stack switch, and where the compiler's
//! view of every suspension point (lifetimes, `Send` checking across
//! `.await`) is wanted.
//!
//! ## The switch
//!
//! A context switch is a function call that returns *somewhere else*. The
//! calling convention already says which registers a called function must
//! give back unchanged (callee-saved); the compiler saves all the others
//! around any call. So `switch(save, to)` pushes only the callee-saved
//! registers on the current stack, stores the stack pointer in `*save`,
//! loads `to` into the stack pointer, pops the other context's registers
//! and returns: into the place where *that* context once called `switch`.
//! On x86-64 that is `rbx rbp r12–r15` plus the SSE and x87 control words;
//! on aarch64 `x19–x29`, the link register, `d8–d15` and `FPCR` (the
//! floating-point control register: a green thread that changes its
//! rounding mode keeps it to itself, as with MXCSR on x86-64). The
//! register tables live in the `arch` module docs (`src/arch/*.rs`);
//! `scripts/aarch64-qemu.sh` runs the aarch64 switch under qemu-user.
//!
//! A new thread gets a stack whose top is laid out as if it had called
//! `switch` from the first instruction of its entry function, so the first
//! switch to it "returns" into that function. The entry catches every
//! panic (`catch_unwind`): unwinding must never try to leave the first
//! frame of a green stack, since there is nothing above it.
//!
//! [`Backend::Ucontext`] switches with glibc's `swapcontext` instead, which
//! also saves the signal mask with a system call on every switch.
//! [`Backend::measure_switch`] and the `green` benchmark
//! (`cargo bench -p simul-green`) measure both; on the development VM the
//! assembly switch costs about 10 ns of CPU and `swapcontext` about 270 ns.
//!
//! ## The hub
//!
//! [`Hub::run`] runs a closure as the **main** green thread on the calling
//! thread's own stack; [`spawn`] starts others, each on a [`Stack`] (mmap,
//! guard page, registered with valgrind). Whenever the running thread
//! waits ([`JoinHandle::join`], [`sleep`], [`yield_now`], [`wait_fd`],
//! [`Event::wait`]) the hub picks the next runnable thread, or waits in the
//! [`Reactor`](simul_reactor::Reactor) for a timer or a descriptor. See
//! [`hub`] for the state diagram and loop. Panics stay inside their green
//! thread and reach the joiner as [`Error::Panicked`]; [`JoinHandle::kill`]
//! unwinds a thread's stack so its destructors run; if main waits and
//! nothing can ever run again, main's wait returns [`Error::Deadlock`]
//! listing who waits for what.
//!
//! ## Other OS threads
//!
//! A hub and its green threads live on one OS thread (`Rc`, no locks).
//! Two doors lead in from outside. An [`Unparker`] (`Send + Sync +
//! Clone`) wakes a green thread parked in [`park`] from any thread, like
//! `std::thread::Thread::unpark`: it queues the wake-up behind a mutex
//! and rings the reactor's notifier, which the hub drains when its poll
//! returns. On it, [`offload`](fn@offload) runs a closure on a bounded pool of worker
//! threads while the calling green thread parks (gevent's threadpool,
//! asyncio's `to_thread`): the way to run CPU-heavy or truly blocking
//! code without stopping every other green thread.
//!
//! ## Monkeypatching, and doing it with types
//!
//! gevent makes *existing* Python code cooperative by **monkeypatching**:
//! `gevent.monkey.patch_all()` replaces `socket.socket`, `time.sleep`,
//! `select` and friends in the standard library, at run time, with
//! versions that switch to the hub instead of blocking. Every library that
//! imports `socket` afterwards gets the green one without knowing it. It
//! works because Python looks names up at run time; it is also why gevent
//! bugs are hard (which functions got patched, and when?).
//!
//! Rust resolves every call at compile time; nothing can be patched. The
//! same effect comes from **types**: code written against `std::io::Read`
//! and `Write` (a `BufReader` line protocol, `serde_json::from_reader`)
//! does not care which type it reads from. Give it a green socket whose
//! `read` parks the green thread on `WouldBlock` and it runs cooperatively,
//! unchanged, and the compiler shows exactly which calls are green. The
//! [`net`] module has such types ([`net::TcpStream`] and friends), the
//! [`process`] module child processes whose wait and pipes park the same
//! way (`gevent.subprocess`); the primitive they are built on is
//! [`wait_fd`].
//!
//! ## Tracing
//!
//! The hub records every step into the shared trace model
//! ([`simul_reactor::trace`]) whenever a
//! [`Recording`](simul_reactor::trace::Recording) runs on its OS thread.
//! Each hub takes one [`Source`](simul_reactor::trace::Source); a green
//! thread is the unit whose local id is [`GreenId::as_u64`] (main is 0,
//! named `main`; [`spawn_named`] names the lane, and code inside a green
//! thread may rename it with `trace::name_current`). Thread-locals belong
//! to the OS thread, not to a green stack, so one recorder sees every
//! green thread; every step is recorded before the switch it leads to.
//!
//! | the hub does | recorded |
//! | --- | --- |
//! | [`spawn`] | `Created` |
//! | switches to a thread (or main starts, or is picked again without a switch) | `Running` |
//! | [`yield_now`] | `Suspended(Yield)`, `Woken` |
//! | parks on [`Wait::Join`] / [`Wait::Kill`] | `Suspended(Join)` |
//! | parks on [`Wait::Event`] | `Suspended(Sync)` |
//! | parks on [`Wait::Sleep`]`(t)` | `Suspended(Timer(t))` |
//! | parks on [`Wait::Io`] (readable, or both / writable) | `Suspended(Readable(fd))` / `Suspended(Writable(fd))` |
//! | makes a parked thread ready (timer, fd, join, event, kill) | `Woken` |
//! | a thread returns / panics / is killed (or got no stack) | `Finished` / `Panicked` / `Cancelled` |
//!
//! [`Clock::block_for`](simul_reactor::Clock::block_for) adds `Blocked(d)`
//! to the running thread itself. With no recording anywhere, each step
//! costs one relaxed load and a branch (the `green` benchmark's
//! `yield_round_trip` and `spawn_join` measure it). The older
//! [`Builder::trace`] hook is independent of this and still reports the
//! hub's own [`TraceEvent`]s.
//!
//! ## Valgrind
//!
//! Stacks are registered with memcheck through its client requests, so
//! the switches do not confuse it. Run a test binary under it with:
//!
//! ```text
//! cargo test -p simul-green --no-run     # note the test binary's path
//! valgrind --error-exitcode=1 --leak-check=full target/debug/deps/<test>-<hash> --test-threads=1
//! ```
//!
//! [`Stack`]: simul_reactor::Stack
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod arch;
mod context;
mod current;
mod deadlock;
mod error;
mod event;
pub mod hub;
mod join;
pub mod net;
mod offload;
pub mod process;
mod registry;
mod trace;
mod unpark;

pub use context::Backend;
pub use current::{current, now, sleep, sleep_or_block, spawn, spawn_named, wait_fd, yield_now};
pub use deadlock::{Deadlock, Waiter};
pub use error::Error;
pub use event::Event;
pub use hub::{Builder, Hub};
pub use join::JoinHandle;
pub use offload::offload;
pub use trace::{GreenId, Outcome, TraceEvent, Wait};
pub use unpark::{Unparker, park, unparker};
