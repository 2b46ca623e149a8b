//! Seed 000, `nap`, hand-written future style: `notify_every(0.2 s)`
//! prints `Notify!` while a flag holds, `exit_after(5 s)` clears it, and a
//! nap either blocks the loop (`blocking_wait_for(4 s)`) or is split into
//! ten blocking parts with a short cooperative sleep between them
//! (`friendly_blocking_wait_for(2 s)`). No `async` anywhere.
//!
//! The blocking nap has no state to wait in: its one poll blocks for 4 s,
//! and the notifier, whose timer fell due long ago, cannot be polled until
//! it returns. The friendly nap is a machine with a state `Pausing`: after
//! each blocking part it returns `Pending`, and the runtime polls the
//! notifier before coming back. The program counts the `Notify!`s printed
//! during each nap.
//!
//! The three are spawned as tasks of their own, as the seed's
//! `asyncio.gather` wraps each coroutine in a task: lanes `exit_after`,
//! `notify_every` and `blocking_wait_for` (or
//! `friendly_blocking_wait_for`) on the board.
//!
//! Runs on the virtual clock; `--real` uses the real one (5 s each run).
//!
//! ```text
//! cargo run -p simul-future --example nap_future [-- --real --board --svg nap.svg]
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, Sleep, join_all, now, sleep};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::nap::{BLOCKING_NAP, EVERY, EXIT_AFTER, FRIENDLY_NAP, PARTS, PAUSE};
use simul_scenario::{NapRun, Options, Outcome, Scenario, Style, Traces, say};

/// What a run shows.
#[derive(Debug)]
pub struct Figures {
    /// `Notify!`s printed while the nap lasted.
    pub during_nap: u32,
    /// `Notify!`s printed in all.
    pub total: u32,
    /// How long the nap took, as its own `tic`/`toc` measured it.
    pub slept: Duration,
}

/// The seed's globals: `keep_running`, and what we count.
#[derive(Default)]
struct Flags {
    keep_running: Cell<bool>,
    napping: Cell<bool>,
    during_nap: Cell<u32>,
    total: Cell<u32>,
    slept: Cell<Duration>,
}

fn nap_begins(wait_for: Duration, flags: &Flags) {
    say!("I'm going to sleep right now for {} seconds.", wait_for.as_secs_f64());
    flags.napping.set(true);
}

fn nap_ends(slept: Duration, flags: &Flags) {
    flags.napping.set(false);
    flags.slept.set(slept);
    say!(
        "Hey y'all. That was a good nap! Slept for {:.2} seconds. Dig i miss something?",
        slept.as_secs_f64()
    );
}

fn notify(flags: &Flags) {
    say!("  {:5.3} s  Notify!", now().since_origin().as_secs_f64());
    flags.total.set(flags.total.get() + 1);
    if flags.napping.get() {
        flags.during_nap.set(flags.during_nap.get() + 1);
    }
}

/// `notify_every(every)`, by hand: the `while` loop is the arrow back.
/// Every field is `Unpin` (`Sleep` is), so no pin projection is needed.
///
/// ```text
///   [Start] --keep_running: Notify!, sleep(every)--> [Waiting]
///      | not keep_running: Ready(())   ^               | sleep Pending: Pending
///      |                               +---------------+ sleep Ready: check again
/// ```
#[must_use = "futures do nothing unless polled"]
struct NotifyEvery {
    every: Duration,
    flags: Rc<Flags>,
    /// `None` before the first poll (`Start`), then the current sleep.
    waiting: Option<Sleep>,
}

impl Future for NotifyEvery {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match &mut this.waiting {
            None => trace::name_current("notify_every"),
            Some(sleep) => ready!(Pin::new(sleep).poll(cx)),
        }
        loop {
            if !this.flags.keep_running.get() {
                this.waiting = None;
                return Poll::Ready(());
            }
            notify(&this.flags);
            let waiting = this.waiting.insert(sleep(this.every));
            ready!(Pin::new(waiting).poll(cx));
        }
    }
}

/// `exit_after(d)`, by hand.
///
/// ```text
///   [Waiting] --sleep Ready: keep_running = False--> Ready(())
///       | sleep Pending: Pending
/// ```
#[must_use = "futures do nothing unless polled"]
struct ExitAfter {
    flags: Rc<Flags>,
    waiting: Sleep,
    /// Whether the lane has its name yet.
    named: bool,
}

impl Future for ExitAfter {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !std::mem::replace(&mut this.named, true) {
            trace::name_current("exit_after");
        }
        ready!(Pin::new(&mut this.waiting).poll(cx));
        this.flags.keep_running.set(false);
        Poll::Ready(())
    }
}

/// `blocking_wait_for(wait_for)`, by hand: one poll, one `time.sleep`,
/// never `Pending`.
///
/// ```text
///   [poll] --announce, block wait_for, report--> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
struct BlockingWaitFor {
    wait_for: Duration,
    clock: Clock,
    flags: Rc<Flags>,
}

impl Future for BlockingWaitFor {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        trace::name_current("blocking_wait_for");
        nap_begins(self.wait_for, &self.flags);
        let tic = self.clock.now();
        self.clock.block_for(self.wait_for); // time.sleep: nobody else runs
        nap_ends(self.clock.now() - tic, &self.flags);
        Poll::Ready(())
    }
}

/// `friendly_blocking_wait_for(wait_for)`, by hand. Every field is
/// `Unpin`, so the machine is matched through `get_mut`.
///
/// ```text
///   [Start] --announce--> block one part, sleep(pause) --> [Pausing{parts_done}]
///                               ^                           | pause Pending: Pending
///                               +-- parts_done < 10 --------+ pause Ready
///                                   parts_done == 10: report --> [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum FriendlyWaitFor {
    /// Not polled yet.
    Start { wait_for: Duration, pause: Duration, clock: Clock, flags: Rc<Flags> },
    /// `parts_done` blocking parts done; the loop runs others meanwhile.
    Pausing {
        wait_for: Duration,
        clock: Clock,
        flags: Rc<Flags>,
        tic: Instant,
        parts_done: u32,
        pause: Duration,
        pausing: Sleep,
    },
    /// The nap is over.
    Done,
}

impl Future for FriendlyWaitFor {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let (wait_for, pause, clock, flags, tic, parts_done) = match this {
                FriendlyWaitFor::Start { wait_for, pause, clock, flags } => {
                    trace::name_current("friendly_blocking_wait_for");
                    nap_begins(*wait_for, flags);
                    (*wait_for, *pause, clock.clone(), flags.clone(), clock.now(), 0)
                }
                FriendlyWaitFor::Pausing {
                    wait_for,
                    clock,
                    flags,
                    tic,
                    parts_done,
                    pause,
                    pausing,
                } => {
                    ready!(Pin::new(pausing).poll(cx));
                    (*wait_for, *pause, clock.clone(), flags.clone(), *tic, *parts_done)
                }
                FriendlyWaitFor::Done => panic!("FriendlyWaitFor polled after it finished"),
            };
            if parts_done == PARTS {
                nap_ends(clock.now() - tic, &flags);
                *this = FriendlyWaitFor::Done;
                return Poll::Ready(());
            }
            clock.block_for(wait_for / PARTS); // that call is still blocking!
            let pausing = sleep(pause); // this little pause lets the loop run others
            let parts_done = parts_done + 1;
            *this = FriendlyWaitFor::Pausing {
                wait_for,
                clock,
                flags,
                tic,
                parts_done,
                pause,
                pausing,
            };
            // Loop: the new pause must be polled once to arm its timer.
        }
    }
}

/// Runs the gather with the blocking or the friendly nap on `clock`,
/// every seed duration divided by `scale`. The three are tasks of their
/// own, as `asyncio.gather` makes them.
pub fn run_on(friendly: bool, clock: Clock, scale: u32) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let flags = Rc::new(Flags::default());
    flags.keep_running.set(true);
    let waiting = sleep(EXIT_AFTER / scale);
    let exit = rt.spawn(ExitAfter { flags: flags.clone(), waiting, named: false });
    let every = EVERY / scale;
    let notifier = rt.spawn(NotifyEvery { every, flags: flags.clone(), waiting: None });
    let nap = if friendly {
        let (wait_for, pause) = (FRIENDLY_NAP / scale, PAUSE / scale);
        let (clock, flags) = (clock.clone(), flags.clone());
        rt.spawn(FriendlyWaitFor::Start { wait_for, pause, clock, flags })
    } else {
        let (wait_for, clock, flags) = (BLOCKING_NAP / scale, clock.clone(), flags.clone());
        rt.spawn(BlockingWaitFor { wait_for, clock, flags })
    };
    for done in rt.block_on(join_all(vec![exit, notifier, nap]))? {
        done.expect("the nap's tasks do not panic");
    }
    Ok(Figures {
        during_nap: flags.during_nap.get(),
        total: flags.total.get(),
        slept: flags.slept.get(),
    })
}

/// [`run_on`] with a new virtual (or real) clock, unscaled.
pub fn run(friendly: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(friendly, clock, 1)
}

/// The scenario: the blocking nap, then the friendly one, each traced as
/// its variant; figures in seed units.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let mut nap = |variant: &'static str, title: &str, friendly: bool| {
        say!("gather(exit_after(5), notify_every(.2), {title}):");
        let f =
            opts.record(&mut traces, variant, || run_on(friendly, opts.clock(), opts.scale()))?;
        let nap = opts.unscaled(f.slept);
        Ok::<_, RuntimeError>(NapRun { notifies: f.total, during_nap: f.during_nap, nap })
    };
    let blocking = nap("blocking", "blocking_wait_for(4)", false)?;
    let friendly = nap("friendly", "friendly_blocking_wait_for(2)", true)?;
    Ok(Outcome {
        style: Style::Future,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::Nap { blocking, friendly },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Nap, Style::Future, scenario)
}
