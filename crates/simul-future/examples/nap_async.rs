//! Seed 000, `nap`, `async fn` style: `notify_every(0.2 s)` prints
//! `Notify!` while a flag holds, `exit_after(5 s)` clears it, and a nap
//! either blocks the loop (`blocking_wait_for(4 s)`) or is split into ten
//! blocking parts with a short cooperative sleep between them
//! (`friendly_blocking_wait_for(2 s)`).
//!
//! ```python
//! async def notify_every(every):
//!     while keep_running:
//!         print("Notify!")
//!         await asyncio.sleep(every)
//!
//! async def blocking_wait_for(wait_for):
//!     time.sleep(wait_for)
//!
//! async def friendly_blocking_wait_for(wait_for):
//!     for index in range(10):
//!         time.sleep(wait_for / 10)    # still blocking!
//!         await asyncio.sleep(1e-3)    # ...but the loop gets a turn
//!
//! asyncio.gather(exit_after(5), notify_every(.2), blocking_wait_for(4))
//! ```
//!
//! The blocking nap starves the notifier: not one `Notify!` while it
//! lasts. The friendly nap lets the notifier in between its parts. The
//! program counts the `Notify!`s printed during each nap.
//!
//! Runs on the virtual clock; `--real` uses the real one (5 s each run).
//!
//! ```text
//! cargo run --release -p simul-future --example nap_async [-- --real --board]
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join3, now, sleep, spawn};
use simul_reactor::{Clock, trace};
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

async fn notify_every(every: Duration, flags: Rc<Flags>) {
    trace::name_current("notify_every");
    while flags.keep_running.get() {
        say!("  {:5.3} s  Notify!", now().since_origin().as_secs_f64());
        flags.total.set(flags.total.get() + 1);
        if flags.napping.get() {
            flags.during_nap.set(flags.during_nap.get() + 1);
        }
        sleep(every).await;
    }
}

async fn exit_after(exit_after: Duration, flags: Rc<Flags>) {
    trace::name_current("exit_after");
    sleep(exit_after).await;
    flags.keep_running.set(false);
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

async fn blocking_wait_for(wait_for: Duration, clock: Clock, flags: Rc<Flags>) {
    trace::name_current("blocking_wait_for");
    nap_begins(wait_for, &flags);
    let tic = clock.now();
    clock.block_for(wait_for); // time.sleep: nobody else runs
    nap_ends(clock.now() - tic, &flags);
}

async fn friendly_blocking_wait_for(
    wait_for: Duration,
    pause: Duration,
    clock: Clock,
    flags: Rc<Flags>,
) {
    trace::name_current("friendly_blocking_wait_for");
    nap_begins(wait_for, &flags);
    let tic = clock.now();
    for _ in 0..PARTS {
        clock.block_for(wait_for / PARTS); // that call is still blocking!
        sleep(pause).await; // this little pause lets the loop run others
    }
    nap_ends(clock.now() - tic, &flags);
}

/// How long each part of the scenario lasts on this run's clock.
#[derive(Clone, Copy)]
struct Times {
    every: Duration,
    exit_after: Duration,
    blocking_nap: Duration,
    friendly_nap: Duration,
    pause: Duration,
}

/// Runs the gather with the blocking or the friendly nap; each coroutine
/// spawned as a task, as `asyncio.gather` does.
fn run_on(friendly: bool, clock: Clock, t: Times) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let flags = Rc::new(Flags::default());
    flags.keep_running.set(true);
    let f = || flags.clone();
    let (c, nf) = (clock.clone(), f());
    let nap = async move {
        if friendly {
            friendly_blocking_wait_for(t.friendly_nap, t.pause, c, nf).await
        } else {
            blocking_wait_for(t.blocking_nap, c, nf).await
        }
    };
    let (fa, fb) = (f(), f());
    let (a, b, n) = rt.block_on(async move {
        join3(spawn(exit_after(t.exit_after, fa)), spawn(notify_every(t.every, fb)), spawn(nap))
            .await
    })?;
    for r in [a, b, n] {
        r.map_err(|e| RuntimeError::from(std::io::Error::other(e.to_string())))?;
    }
    Ok(Figures {
        during_nap: flags.during_nap.get(),
        total: flags.total.get(),
        slept: flags.slept.get(),
    })
}

/// The seed's times.
const SEED: Times = Times {
    every: EVERY,
    exit_after: EXIT_AFTER,
    blocking_nap: BLOCKING_NAP,
    friendly_nap: FRIENDLY_NAP,
    pause: PAUSE,
};

/// Runs the gather with the blocking or the friendly nap.
pub fn run(friendly: bool, real: bool) -> Result<Figures, RuntimeError> {
    run_on(friendly, if real { Clock::real() } else { Clock::new_virtual() }, SEED)
}

/// The scenario: the blocking nap, then the friendly one.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let t = Times {
        every: opts.scaled(EVERY),
        exit_after: opts.scaled(EXIT_AFTER),
        blocking_nap: opts.scaled(BLOCKING_NAP),
        friendly_nap: opts.scaled(FRIENDLY_NAP),
        pause: opts.scaled(PAUSE),
    };
    let mut traces = Traces::default();
    let mut one = |variant: &'static str, title: &str, friendly: bool| {
        say!("{title}:");
        let f = opts.record(&mut traces, variant, || run_on(friendly, opts.clock(), t))?;
        Ok::<_, RuntimeError>(NapRun {
            notifies: f.total,
            during_nap: f.during_nap,
            nap: opts.unscaled(f.slept),
        })
    };
    let blocking =
        one("blocking", "gather(exit_after(5), notify_every(.2), blocking_wait_for(4))", false)?;
    let friendly = one(
        "friendly",
        "gather(exit_after(5), notify_every(.2), friendly_blocking_wait_for(2))",
        true,
    )?;
    let figures = simul_scenario::Figures::Nap { blocking, friendly };
    Ok(Outcome { style: Style::Async, exact: opts.is_virtual(), figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Nap, Style::Async, scenario)
}
