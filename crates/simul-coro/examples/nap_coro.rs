//! `nap`, generator style (seed 000, "the magic behind asyncio").
//!
//! Three tasks gathered together: `exit_after(5 s)` clears a flag,
//! `notify_every(0.2 s)` prints `Notify!` while the flag holds, and a nap
//! that does blocking work (`time.sleep`, here `Clock::block_for`):
//!
//! * `blocking_wait_for(4 s)` blocks in one piece: the loop cannot resume
//!   anyone for 4 s, so no `Notify!` at all during the nap;
//! * `friendly_blocking_wait_for(2 s)` does the same kind of blocking work
//!   in 10 parts, yielding `Sleep(1 ms)` between parts: the notifier gets
//!   a turn in every gap, so `Notify!` keeps coming during the nap.
//!
//! The count of `Notify!` printed during each nap is the figure.
//!
//! Runs on the virtual clock (exact); `--real` runs it on the real clock,
//! `--scale N` making one seed second last 1/N s; `--board` draws the
//! lanes `exit_after`, `notify_every` and the nap.
//!
//! ```text
//! cargo run --release -p simul-coro --example nap_coro [-- --real --scale 10 --board]
//! ```

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Trap,
};
use simul_reactor::Clock;
use simul_reactor::trace;
use simul_scenario::params::nap::{BLOCKING_NAP, EVERY, EXIT_AFTER, FRIENDLY_NAP, PARTS, PAUSE};
use simul_scenario::{Figures, NapRun, Options, Outcome, Scenario, Style, Traces, say};

/// What the three tasks share: the seed's globals, and what we measure.
pub struct Shared {
    /// The loop's clock: stamps lines, and `time.sleep` blocks on it.
    clock: Clock,
    /// Seed seconds per clock second (1 on the virtual clock).
    scale: u32,
    /// The seed's global `keep_running`.
    keep_running: Cell<bool>,
    /// Set while the nap is between its two prints.
    napping: Cell<bool>,
    /// What was printed: (seed seconds since start, line).
    pub lines: RefCell<Vec<(f64, String)>>,
    /// `Notify!` lines printed while `napping`.
    pub during_nap: Cell<u32>,
    /// How long the nap took, `toc - tic`, in seed units.
    pub nap: Cell<Duration>,
}

impl Shared {
    /// The seed's `print`, stamped with the seed time.
    fn say(&self, line: String) {
        let t = self.clock.now().since_origin().as_secs_f64() * f64::from(self.scale);
        say!("  {t:6.3} s  {line}");
        self.lines.borrow_mut().push((t, line));
    }

    /// A seed duration on this run's clock.
    fn d(&self, seed: Duration) -> Duration {
        seed / self.scale
    }
}

/// ```python
/// async def exit_after(exit_after):
///     global keep_running
///     await asyncio.sleep(exit_after)
///     keep_running = False
/// ```
///
/// ```text
///   +-------+  resume(Start): yield Sleep(5 s)  +----------+  resume(Woke): keep_running = False
///   | Start | --------------------------------> | Sleeping | ---------------------------------> Done
///   +-------+                                   +----------+
/// ```
pub enum ExitAfter {
    /// Not started.
    Start(Rc<Shared>),
    /// Suspended at `await asyncio.sleep(exit_after)`.
    Sleeping(Rc<Shared>),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for ExitAfter {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, ExitAfter::Done) {
            ExitAfter::Start(sh) => {
                let d = sh.d(EXIT_AFTER);
                *self = ExitAfter::Sleeping(sh);
                Ok(CoroutineState::Yielded(Trap::Sleep(d)))
            }
            ExitAfter::Sleeping(sh) => {
                sh.keep_running.set(false);
                Ok(CoroutineState::Complete(()))
            }
            ExitAfter::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// ```python
/// async def notify_every(every):
///     while keep_running:
///         print("Notify!")
///         await asyncio.sleep(every)
/// ```
///
/// One state is enough: every resume is the top of the `while`.
///
/// ```text
///   +---------+  resume, keep_running: print Notify!, yield Sleep(0.2 s)
///   | Looping | --+
///   +---------+ <-+
///        | resume, not keep_running: return
///        v
///      Done
/// ```
pub enum NotifyEvery {
    /// At the top of the `while`.
    Looping(Rc<Shared>),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for NotifyEvery {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        let NotifyEvery::Looping(sh) = self else {
            return Err(ResumeError::AfterCompletion);
        };
        if !sh.keep_running.get() {
            *self = NotifyEvery::Done;
            return Ok(CoroutineState::Complete(()));
        }
        sh.say("Notify!".to_string());
        if sh.napping.get() {
            sh.during_nap.set(sh.during_nap.get() + 1);
        }
        Ok(CoroutineState::Yielded(Trap::Sleep(sh.d(EVERY))))
    }
}

/// The nap, both versions. The blocking one has no suspension point:
///
/// ```python
/// async def blocking_wait_for(wait_for):
///     print(f"I'm going to sleep right now for {wait_for} seconds.")
///     tic = time.perf_counter()
///     time.sleep(wait_for)                       # the loop is stuck here
///     toc = time.perf_counter()
///     print(f"Hey y'all. That was a good nap! Slept for {toc-tic:.2f} seconds. ...")
/// ```
///
/// The friendly one has one, inside the loop over the parts:
///
/// ```python
/// async def friendly_blocking_wait_for(wait_for):
///     print(...)
///     tic = time.perf_counter()
///     for index in range(10):
///         time.sleep(wait_for / 10)              # still blocking!
///         await asyncio.sleep(1e-3)              # ... but others run here
///     toc = time.perf_counter()
///     print(...)
/// ```
///
/// ```text
///   +-------+  blocking: print, block 4 s, print, return              +------+
///   | Start | ------------------------------------------------------> | Done |
///   +-------+                                                         +------+
///       | friendly: print, block 0.2 s, yield Sleep(1 ms)                ^
///       v                                                                |
///   +------------------+  resume(Woke), parts left: block, yield Sleep   |
///   | Pausing{done, t0}| --+                                             |
///   +------------------+ <-+                                             |
///       | resume(Woke), 10 parts done: print, return --------------------+
/// ```
pub enum WaitFor {
    /// Not started.
    Start {
        /// The shared state.
        sh: Rc<Shared>,
        /// Split into parts with a yield between (the friendly version).
        friendly: bool,
    },
    /// Suspended at `await asyncio.sleep(1e-3)` after `done` parts.
    Pausing {
        /// The shared state.
        sh: Rc<Shared>,
        /// Parts done.
        done: u32,
        /// `tic`.
        t0: simul_reactor::Instant,
    },
    /// Returned.
    Done,
}

impl WaitFor {
    /// The nap's length in seed seconds.
    fn length(friendly: bool) -> Duration {
        if friendly { FRIENDLY_NAP } else { BLOCKING_NAP }
    }

    /// The first print, and `tic`.
    fn begin(sh: &Shared, friendly: bool) -> simul_reactor::Instant {
        let secs = Self::length(friendly).as_secs();
        sh.say(format!("I'm going to sleep right now for {secs} seconds."));
        sh.napping.set(true);
        sh.clock.now()
    }

    /// `toc`, and the last print.
    fn end(sh: &Shared, t0: simul_reactor::Instant) {
        sh.napping.set(false);
        sh.nap.set((sh.clock.now() - t0) * sh.scale);
        let slept = sh.nap.get().as_secs_f64();
        sh.say(format!(
            "Hey y'all. That was a good nap! Slept for {slept:.2} seconds. Dig i miss something?"
        ));
    }
}

impl Coroutine<Reply<()>> for WaitFor {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, WaitFor::Done) {
            WaitFor::Start { sh, friendly: false } => {
                let t0 = Self::begin(&sh, false);
                sh.clock.block_for(sh.d(BLOCKING_NAP)); // time.sleep(4)
                Self::end(&sh, t0);
                Ok(CoroutineState::Complete(()))
            }
            WaitFor::Start { sh, friendly: true } => {
                let t0 = Self::begin(&sh, true);
                sh.clock.block_for(sh.d(FRIENDLY_NAP / PARTS));
                let pause = sh.d(PAUSE);
                *self = WaitFor::Pausing { sh, done: 1, t0 };
                Ok(CoroutineState::Yielded(Trap::Sleep(pause)))
            }
            WaitFor::Pausing { sh, done, t0 } if done == PARTS => {
                Self::end(&sh, t0);
                Ok(CoroutineState::Complete(()))
            }
            WaitFor::Pausing { sh, done, t0 } => {
                sh.clock.block_for(sh.d(FRIENDLY_NAP / PARTS));
                let pause = sh.d(PAUSE);
                *self = WaitFor::Pausing { sh, done: done + 1, t0 };
                Ok(CoroutineState::Yielded(Trap::Sleep(pause)))
            }
            WaitFor::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs `gather(exit_after(5), notify_every(.2), <nap>)` on `clock`, every
/// seed duration divided by `scale`; returns what the three shared: what
/// was printed, how many `Notify!` came during the nap, how long it took.
pub fn run(clock: Clock, friendly: bool, scale: u32) -> Result<Rc<Shared>, RunError> {
    let mut s = Scheduler::<()>::with_clock(clock.clone())?;
    let sh = Rc::new(Shared {
        clock,
        scale: scale.max(1),
        keep_running: Cell::new(true),
        napping: Cell::new(false),
        lines: RefCell::default(),
        during_nap: Cell::new(0),
        nap: Cell::new(Duration::ZERO),
    });
    // gather() starts them in this order, as the seed lists them.
    let exit = s.spawn(ExitAfter::Start(sh.clone()));
    let notify = s.spawn(NotifyEvery::Looping(sh.clone()));
    let nap = s.spawn(WaitFor::Start { sh: sh.clone(), friendly });
    let nap_name = if friendly { "friendly_blocking_wait_for" } else { "blocking_wait_for" };
    for (id, name) in [(exit, "exit_after"), (notify, "notify_every"), (nap, nap_name)] {
        trace::name(s.unit(id), name);
    }
    s.run_all()?;
    Ok(sh)
}

/// One variant, traced as `variant`.
fn nap(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    friendly: bool,
) -> Result<NapRun, RunError> {
    let nap = if friendly { "friendly_blocking_wait_for(2)" } else { "blocking_wait_for(4)" };
    say!("{variant}: gather(exit_after(5), notify_every(.2), {nap}):");
    let sh = opts.record(traces, variant, || run(opts.clock(), friendly, opts.scale()))?;
    let notifies = sh.lines.borrow().iter().filter(|(_, l)| l == "Notify!").count();
    Ok(NapRun {
        notifies: u32::try_from(notifies).unwrap_or(u32::MAX),
        during_nap: sh.during_nap.get(),
        nap: sh.nap.get(),
    })
}

/// The scenario: the blocking nap, then the friendly one.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let mut traces = Traces::default();
    let blocking = nap(opts, &mut traces, "blocking", false)?;
    let friendly = nap(opts, &mut traces, "friendly", true)?;
    say!(
        "Notify! during the nap: blocking {} (the seed: none, \"time.sleep blocked the \
         execution globally\"), friendly {} (the seed: \"Much better!\", one per pause)",
        blocking.during_nap,
        friendly.during_nap
    );
    Ok(Outcome {
        style: Style::Coro,
        exact: opts.is_virtual(),
        figures: Figures::Nap { blocking, friendly },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Nap, Style::Coro, scenario)
}
