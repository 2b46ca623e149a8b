//! The workloads of the style comparison, written once in every style.
//!
//! Shared by the criterion suite (`benches/styles.rs`) and the quick
//! report (`examples/bench_report`), which include this directory with a
//! `#[path]` module so both time exactly the same code. Each workload is
//! one file, and each file has one function per style with the same
//! signature: the size in, a checksum out (so nothing is optimised away,
//! and so the report can check that every style did the same work).
//!
//! | workload   | one operation                                   |
//! |------------|-------------------------------------------------|
//! | `dispatch` | a unit of work scheduled once and run           |
//! | `suspend`  | one unit suspending and being resumed           |
//! | `handoff`  | a value passed from one unit to another         |
//! | `timers`   | a sleeper: timer armed, fired, unit resumed     |
//! | `chess`    | a board's move: think, sleep 55 s (virtual)     |
//! | `echo`     | a 64-byte round trip on loopback TCP            |
//!
//! Not every style has every workload: [`applies`] says which cells of the
//! table exist, and why the others do not.
//!
//! [`idle_conns`] is not a column: it is the harness of reliability item
//! 18 (idle connections beside one echo), shared by
//! `tests/idle_connections.rs` and `examples/idle_echo.rs`.
#![allow(dead_code, unreachable_pub)]

pub mod chess;
pub mod dispatch;
pub mod echo;
pub mod handoff;
pub mod idle;
#[cfg(target_os = "linux")]
pub mod idle_conns;
pub mod suspend;
pub mod timers;

use std::fmt;

/// One way of writing the same program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    /// `simul-callback`: closures on an asyncio-like loop.
    Callback,
    /// `simul-coro`: hand-rolled coroutines yielding traps.
    Coro,
    /// `simul-future`, the futures written by hand as state machines.
    Future,
    /// `simul-future`, the same runtime running `async` blocks.
    Async,
    /// `simul-green`: stackful green threads.
    Green,
    /// tokio's current-thread runtime: the reference.
    Tokio,
    /// No runtime at all: the cheapest way to do the same thing on one
    /// thread (a `VecDeque` drain, a heap of timers, a raw epoll loop).
    Floor,
}

impl Style {
    /// Every style, in table order.
    pub const ALL: [Style; 7] = [
        Style::Callback,
        Style::Coro,
        Style::Future,
        Style::Async,
        Style::Green,
        Style::Tokio,
        Style::Floor,
    ];

    /// The name used in benchmark ids, tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Style::Callback => "callback",
            Style::Coro => "coro",
            Style::Future => "future",
            Style::Async => "async",
            Style::Green => "green",
            Style::Tokio => "tokio",
            Style::Floor => "floor",
        }
    }

    /// The style called `name`.
    pub fn parse(name: &str) -> Option<Style> {
        Style::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// N units, each scheduled once and run.
    Dispatch,
    /// One unit suspending N times.
    Suspend,
    /// Two units passing a value back and forth N times.
    Handoff,
    /// N concurrent sleepers.
    Timers,
    /// The chess simul: N boards × 30 moves on the virtual clock.
    Chess,
    /// Loopback echo on one connection.
    Echo1,
    /// Loopback echo on 100 connections.
    Echo100,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 7] = [
        Workload::Dispatch,
        Workload::Suspend,
        Workload::Handoff,
        Workload::Timers,
        Workload::Chess,
        Workload::Echo1,
        Workload::Echo100,
    ];

    /// The name used in benchmark ids, tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Dispatch => "dispatch",
            Workload::Suspend => "suspend",
            Workload::Handoff => "handoff",
            Workload::Timers => "timers",
            Workload::Chess => "chess",
            Workload::Echo1 => "echo_1conn",
            Workload::Echo100 => "echo_100conn",
        }
    }

    /// The workload called `name`.
    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// What one operation of this workload is, for table headers.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::Dispatch => "ns per unit",
            Workload::Suspend => "ns per suspend",
            Workload::Handoff => "ns per handoff",
            Workload::Timers => "ns per timer",
            Workload::Chess => "ns per move",
            Workload::Echo1 | Workload::Echo100 => "k round trips/s",
        }
    }

    /// True when a bigger figure is better (throughput), false for costs.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Workload::Echo1 | Workload::Echo100)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `style` has a version of `workload`, and if not, why not.
pub fn applies(style: Style, workload: Workload) -> Result<(), &'static str> {
    match (style, workload) {
        (Style::Floor, Workload::Suspend) => {
            Err("with no scheduler there is nothing to suspend to")
        }
        (Style::Floor, Workload::Handoff) => Err("with no scheduler a handoff is a function call"),
        (Style::Floor, Workload::Chess) => Err("the chess simul needs a scheduler and a clock"),
        _ => Ok(()),
    }
}

/// The most green threads a workload keeps alive at once. Each parked
/// green thread holds an `mmap`ed stack and its guard page, two kernel
/// memory mappings, and Linux allows 65,530 mappings per process by
/// default (`vm.max_map_count`): a million sleeping green threads cannot
/// exist, so the green style runs the concurrent workloads (`timers`) at
/// this size and reports the same per-operation figure.
pub const GREEN_MAX_CONCURRENT: u64 = 20_000;

/// A cheap, deterministic spread of `n` delays in `0..range` (an LCG):
/// the same sequence for every style.
pub fn spread(n: u64, range: u64) -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % range
        })
        .collect()
}

/// A current-thread tokio runtime with its I/O and time drivers on.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// A current-thread tokio runtime whose clock starts paused: when nothing
/// is ready it jumps to the next timer, as simul's virtual clock does.
pub fn tokio_paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("tokio runtime")
}

/// How big a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The sizes the comparison is defined with (the criterion suite).
    Full,
    /// A tenth of that: the report's default, all of it in under a minute.
    Report,
    /// A hundredth: the report's `--check` mode in CI, where only the
    /// table's completeness is checked.
    Check,
}

impl Size {
    /// Operations per run of `workload` at this size (for echo: round
    /// trips per connection; for chess: boards).
    pub fn of(self, workload: Workload) -> u64 {
        let full = match workload {
            Workload::Dispatch => 1_000_000,
            Workload::Suspend => 10_000_000,
            Workload::Handoff => 1_000_000,
            Workload::Timers => 1_000_000,
            Workload::Chess => 10_000,
            Workload::Echo1 => 20_000,
            Workload::Echo100 => 1_000,
        };
        let div = match self {
            Size::Full => 1,
            Size::Report => 10,
            Size::Check => 100,
        };
        // The chess simul needs at least 12 boards to keep the master busy.
        (full / div).max(if workload == Workload::Chess { 12 } else { 1 })
    }
}

/// One timed run.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Operations done (see [`Workload::unit`]).
    pub ops: u64,
    /// Time they took.
    pub elapsed: std::time::Duration,
}

impl Run {
    /// The cell's figure: ns per operation, or thousands of operations per
    /// second for the throughput workloads.
    pub fn figure(&self, workload: Workload) -> f64 {
        let secs = self.elapsed.as_secs_f64().max(1e-12);
        if workload.higher_is_better() {
            self.ops as f64 / secs / 1e3
        } else {
            secs * 1e9 / self.ops.max(1) as f64
        }
    }
}

/// Fails with a message naming the cell when a checksum is wrong.
fn verify(style: Style, workload: Workload, got: u64, want: u64) -> std::io::Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{workload}/{style}: checksum {got}, expected {want}: the style did different work"
        )))
    }
}

/// Runs `workload` in `style` with `n` operations (see [`Size::of`]),
/// timing only the workload itself (runtimes, servers and connections
/// are set up first), and checks that it did the work.
pub fn run(style: Style, workload: Workload, n: u64) -> std::io::Result<Run> {
    use simul_reactor::Clock;
    use std::time::Instant;

    if let Err(why) = applies(style, workload) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("{workload}/{style}: {why}"),
        ));
    }
    // Times the workload alone: every runtime is built before it.
    macro_rules! timed {
        ($e:expr) => {{
            let start = Instant::now();
            let got = $e;
            (got, start.elapsed())
        }};
    }
    let virtual_clock = matches!(workload, Workload::Timers | Workload::Chess);
    let clock = || if virtual_clock { Clock::new_virtual() } else { Clock::real() };
    let n = if style == Style::Green && workload == Workload::Timers {
        n.min(GREEN_MAX_CONCURRENT)
    } else {
        n
    };
    match workload {
        Workload::Echo1 | Workload::Echo100 => {
            let conns = if workload == Workload::Echo1 { 1 } else { 100 };
            // One connection: server and client share a core (see
            // `echo::one_cpu`); a hundred: the scheduler places them.
            let cpu = if conns == 1 { Some(echo::one_cpu()?) } else { None };
            let server = echo::Server::start_on(style, cpu)?;
            let mut client = echo::Client::connect(server.addr(), conns)?;
            let mut go = |rounds| match cpu {
                Some(cpu) => client.run_on(rounds, cpu),
                None => client.run(rounds),
            };
            // One warm-up round trip per connection.
            go(1)?;
            let elapsed = go(n)?;
            drop(client);
            server.stop()?;
            return Ok(Run { ops: n * conns as u64, elapsed });
        }
        Workload::Chess => {
            let clock = clock();
            let (got, elapsed) = match style {
                Style::Callback => {
                    let mut lp = simul_callback::EventLoop::with_clock(clock.clone())?;
                    timed!(chess::callback(&mut lp, n))
                }
                Style::Coro => {
                    let mut s = simul_coro::Scheduler::with_clock(clock.clone())?;
                    timed!(chess::coro(&mut s, n))
                }
                Style::Future => {
                    let mut rt = simul_future::Runtime::with_clock(clock.clone())?;
                    timed!(chess::future(&mut rt, n))
                }
                Style::Async => {
                    let mut rt = simul_future::Runtime::with_clock(clock.clone())?;
                    timed!(chess::async_(&mut rt, n))
                }
                Style::Green => {
                    let hub = simul_green::Hub::with_clock(clock.clone())?;
                    timed!(chess::green(&hub, &clock, n))
                }
                Style::Tokio => {
                    let rt = tokio_paused_runtime();
                    timed!(chess::tokio(&rt, n))
                }
                Style::Floor => unreachable!("checked by applies"),
            };
            verify(style, workload, got, chess::expected(n))?;
            if style != Style::Tokio && clock.now().since_origin() != chess::exact(n) {
                return Err(std::io::Error::other(format!(
                    "chess/{style}: the simul took {:?} on the virtual clock, expected {:?}",
                    clock.now().since_origin(),
                    chess::exact(n)
                )));
            }
            return Ok(Run { ops: chess::expected(n), elapsed });
        }
        _ => {}
    }
    // The rest: build the runtime, then time the workload alone.
    let delays = if workload == Workload::Timers { timers::delays(n) } else { Vec::new() };
    let want = match workload {
        Workload::Dispatch => dispatch::expected(n),
        Workload::Timers => timers::expected(&delays),
        _ => n,
    };
    let (got, elapsed) = match style {
        Style::Floor => match workload {
            Workload::Dispatch => timed!(dispatch::floor(n)),
            Workload::Timers => timed!(timers::floor(&delays)),
            _ => unreachable!("checked by applies"),
        },
        Style::Callback => {
            let mut lp = simul_callback::EventLoop::with_clock(clock())?;
            match workload {
                Workload::Dispatch => timed!(dispatch::callback(&mut lp, n)),
                Workload::Suspend => timed!(suspend::callback(&mut lp, n)),
                Workload::Handoff => timed!(handoff::callback(&mut lp, n)),
                _ => timed!(timers::callback(&mut lp, &delays)),
            }
        }
        Style::Coro => match workload {
            Workload::Dispatch => {
                let mut s = simul_coro::Scheduler::with_clock(clock())?;
                timed!(dispatch::coro(&mut s, n))
            }
            Workload::Timers => {
                let mut s = simul_coro::Scheduler::with_clock(clock())?;
                timed!(timers::coro(&mut s, &delays))
            }
            Workload::Suspend => {
                let mut s = simul_coro::Scheduler::with_clock(clock())?;
                timed!(suspend::coro(&mut s, n))
            }
            _ => {
                let mut s = simul_coro::Scheduler::with_clock(clock())?;
                timed!(handoff::coro(&mut s, n))
            }
        },
        Style::Future | Style::Async => {
            let mut rt = simul_future::Runtime::with_clock(clock())?;
            let hand = style == Style::Future;
            match (workload, hand) {
                (Workload::Dispatch, true) => timed!(dispatch::future(&mut rt, n)),
                (Workload::Dispatch, false) => timed!(dispatch::async_(&mut rt, n)),
                (Workload::Suspend, true) => timed!(suspend::future(&mut rt, n)),
                (Workload::Suspend, false) => timed!(suspend::async_(&mut rt, n)),
                (Workload::Handoff, true) => timed!(handoff::future(&mut rt, n)),
                (Workload::Handoff, false) => timed!(handoff::async_(&mut rt, n)),
                (_, true) => timed!(timers::future(&mut rt, &delays)),
                (_, false) => timed!(timers::async_(&mut rt, &delays)),
            }
        }
        Style::Green => {
            let hub = simul_green::Hub::with_clock(clock())?;
            match workload {
                Workload::Dispatch => timed!(dispatch::green(&hub, n)),
                Workload::Suspend => timed!(suspend::green(&hub, n)),
                Workload::Handoff => timed!(handoff::green(&hub, n)),
                _ => timed!(timers::green(&hub, &delays)),
            }
        }
        Style::Tokio => {
            let rt = if virtual_clock { tokio_paused_runtime() } else { tokio_runtime() };
            match workload {
                Workload::Dispatch => timed!(dispatch::tokio(&rt, n)),
                Workload::Suspend => timed!(suspend::tokio(&rt, n)),
                Workload::Handoff => timed!(handoff::tokio(&rt, n)),
                _ => timed!(timers::tokio(&rt, &delays)),
            }
        }
    };
    verify(style, workload, got, want)?;
    Ok(Run { ops: n, elapsed })
}
