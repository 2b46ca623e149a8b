//! Seed 000, `nap`, green style: `notify_every(0.2 s)` prints `Notify!`
//! while a flag holds, `exit_after(5 s)` clears it, and a nap either
//! blocks the hub (`blocking_wait_for(4 s)`) or is split into ten blocking
//! parts with a cooperative pause between them
//! (`friendly_blocking_wait_for(2 s)`), as in the seed.
//!
//! Each of the three is a green thread of plain sequential code. The nap
//! is real blocking work (`Clock::block_for`, the seed's `time.sleep`):
//! no green thread can switch out of it, so the blocking nap starves the
//! notifier (no `Notify!` during it). The friendly nap calls
//! `simul_green::sleep(1 ms)` between parts (the seed's
//! `await asyncio.sleep(1e-3)`), and the notifier gets in every time.
//!
//! Runs on the virtual clock; `--real` uses the real one (5 s each run);
//! `--board` draws each variant's timeline (lanes `exit_after`,
//! `notify_every` and the nap).
//!
//! ```text
//! cargo run --release -p simul-green --example nap_green [-- --real --board]
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Clock;
use simul_scenario::params::nap::{BLOCKING_NAP, EVERY, EXIT_AFTER, FRIENDLY_NAP, PARTS, PAUSE};
use simul_scenario::{Figures, NapRun, Options, Outcome, Scenario, Style, Traces, say};

/// The flags the seed keeps in globals, and what we count.
#[derive(Default)]
struct Flags {
    keep_running: Cell<bool>,
    napping: Cell<bool>,
    notifies: Cell<u32>,
    during_nap: Cell<u32>,
    /// How long the nap took.
    slept: Cell<Duration>,
}

/// What one run counted.
#[derive(Debug, PartialEq, Eq)]
pub struct Counts {
    /// `Notify!`s in the whole run.
    pub notifies: u32,
    /// `Notify!`s printed while the nap was going on.
    pub during_nap: u32,
}

fn notify_every(every: Duration, f: &Flags) -> std::io::Result<()> {
    while f.keep_running.get() {
        say!("  {:5.3} s  Notify!", simul_green::now()?.since_origin().as_secs_f64());
        f.notifies.set(f.notifies.get() + 1);
        if f.napping.get() {
            f.during_nap.set(f.during_nap.get() + 1);
        }
        simul_green::sleep(every)?;
    }
    Ok(())
}

fn exit_after(after: Duration, f: &Flags) -> std::io::Result<()> {
    simul_green::sleep(after)?;
    f.keep_running.set(false);
    Ok(())
}

fn blocking_wait_for(wait_for: Duration, clock: &Clock, f: &Flags) {
    say!("I'm going to sleep right now for {} seconds.", wait_for.as_secs_f64());
    f.napping.set(true);
    let tic = clock.now();
    clock.block_for(wait_for); // time.sleep: nobody else runs
    let slept = clock.now() - tic;
    f.slept.set(slept);
    f.napping.set(false);
    say!(
        "Hey y'all. That was a good nap! Slept for {:.2} seconds. Dig i miss something?",
        slept.as_secs_f64()
    );
}

fn friendly_blocking_wait_for(
    wait_for: Duration,
    pause: Duration,
    clock: &Clock,
    f: &Flags,
) -> std::io::Result<()> {
    say!("I'm going to sleep right now for {} seconds.", wait_for.as_secs_f64());
    f.napping.set(true);
    let tic = clock.now();
    for _ in 0..PARTS {
        clock.block_for(wait_for / PARTS); // that call is still blocking!
        simul_green::sleep(pause)?; // this little pause lets the others run
    }
    let slept = clock.now() - tic;
    f.slept.set(slept);
    f.napping.set(false);
    say!(
        "Hey y'all. That was a good nap! Slept for {:.2} seconds. Dig i miss something?",
        slept.as_secs_f64()
    );
    Ok(())
}

/// `gather(exit_after(5), notify_every(.2), <nap>)` as three green threads.
pub fn run(friendly: bool, real: bool) -> Result<Counts, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(friendly, clock, &|d| d).map(|(counts, _)| counts)
}

/// [`run`] on `clock`, every seed duration passed through `scaled`;
/// returns the counts and how long the nap took.
pub fn run_on(
    friendly: bool,
    clock: Clock,
    scaled: &dyn Fn(Duration) -> Duration,
) -> Result<(Counts, Duration), Error> {
    let (every, exit_after_, pause) = (scaled(EVERY), scaled(EXIT_AFTER), scaled(PAUSE));
    let (blocking_nap, friendly_nap) = (scaled(BLOCKING_NAP), scaled(FRIENDLY_NAP));
    let hub = Hub::with_clock(clock.clone())?;
    let flags = Rc::new(Flags::default());
    flags.keep_running.set(true);
    hub.run(|| -> Result<(), Error> {
        let f = flags.clone();
        let exit = simul_green::spawn_named("exit_after", move || exit_after(exit_after_, &f))?;
        let f = flags.clone();
        let notify = simul_green::spawn_named("notify_every", move || notify_every(every, &f))?;
        let f = flags.clone();
        let name = if friendly { "friendly_blocking_wait_for" } else { "blocking_wait_for" };
        let nap = simul_green::spawn_named(name, move || {
            if friendly {
                friendly_blocking_wait_for(friendly_nap, pause, &clock, &f)
            } else {
                blocking_wait_for(blocking_nap, &clock, &f);
                Ok(())
            }
        })?;
        exit.join()??;
        notify.join()??;
        nap.join()??;
        Ok(())
    })??;
    let counts = Counts { notifies: flags.notifies.get(), during_nap: flags.during_nap.get() };
    Ok((counts, flags.slept.get()))
}

/// One variant, traced as `variant`, in seed units.
fn nap_run(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    friendly: bool,
) -> Result<NapRun, Error> {
    say!("{variant}:");
    let (counts, slept) =
        opts.record(traces, variant, || run_on(friendly, opts.clock(), &|d| opts.scaled(d)))?;
    Ok(NapRun {
        notifies: counts.notifies,
        during_nap: counts.during_nap,
        nap: opts.unscaled(slept),
    })
}

/// The scenario: `blocking_wait_for(4)`, then `friendly_blocking_wait_for(2)`.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let blocking = nap_run(opts, &mut traces, "blocking", false)?;
    let friendly = nap_run(opts, &mut traces, "friendly", true)?;
    Ok(Outcome {
        style: Style::Green,
        exact: opts.is_virtual(),
        figures: Figures::Nap { blocking, friendly },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Nap, Style::Green, scenario)
}
