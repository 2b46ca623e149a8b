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
//! Runs on the virtual clock; `--real` uses the real one (5 s each run).
//!
//! ```text
//! cargo run -p simul-green --example nap_green [-- --real]
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Clock;

const EVERY: Duration = Duration::from_millis(200);
const EXIT_AFTER: Duration = Duration::from_secs(5);
const BLOCKING_NAP: Duration = Duration::from_secs(4);
const FRIENDLY_NAP: Duration = Duration::from_secs(2);
const PARTS: u32 = 10;
const PAUSE: Duration = Duration::from_millis(1);

/// The flags the seed keeps in globals, and what we count.
#[derive(Default)]
struct Flags {
    keep_running: Cell<bool>,
    napping: Cell<bool>,
    notifies: Cell<u32>,
    during_nap: Cell<u32>,
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
        println!("  {:5.3} s  Notify!", simul_green::now()?.since_origin().as_secs_f64());
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
    println!("I'm going to sleep right now for {} seconds.", wait_for.as_secs_f64());
    f.napping.set(true);
    let tic = clock.now();
    clock.block_for(wait_for); // time.sleep: nobody else runs
    let slept = clock.now() - tic;
    f.napping.set(false);
    println!(
        "Hey y'all. That was a good nap! Slept for {:.2} seconds. Dig i miss something?",
        slept.as_secs_f64()
    );
}

fn friendly_blocking_wait_for(wait_for: Duration, clock: &Clock, f: &Flags) -> std::io::Result<()> {
    println!("I'm going to sleep right now for {} seconds.", wait_for.as_secs_f64());
    f.napping.set(true);
    let tic = clock.now();
    for _ in 0..PARTS {
        clock.block_for(wait_for / PARTS); // that call is still blocking!
        simul_green::sleep(PAUSE)?; // this little pause lets the others run
    }
    let slept = clock.now() - tic;
    f.napping.set(false);
    println!(
        "Hey y'all. That was a good nap! Slept for {:.2} seconds. Dig i miss something?",
        slept.as_secs_f64()
    );
    Ok(())
}

/// `gather(exit_after(5), notify_every(.2), <nap>)` as three green threads.
pub fn run(friendly: bool, real: bool) -> Result<Counts, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let hub = Hub::with_clock(clock.clone())?;
    let flags = Rc::new(Flags::default());
    flags.keep_running.set(true);
    hub.run(|| -> Result<(), Error> {
        let f = flags.clone();
        let exit = simul_green::spawn(move || exit_after(EXIT_AFTER, &f))?;
        let f = flags.clone();
        let notify = simul_green::spawn(move || notify_every(EVERY, &f))?;
        let f = flags.clone();
        let nap = simul_green::spawn(move || {
            if friendly {
                friendly_blocking_wait_for(FRIENDLY_NAP, &clock, &f)
            } else {
                blocking_wait_for(BLOCKING_NAP, &clock, &f);
                Ok(())
            }
        })?;
        exit.join()??;
        notify.join()??;
        nap.join()??;
        Ok(())
    })??;
    Ok(Counts { notifies: flags.notifies.get(), during_nap: flags.during_nap.get() })
}

fn main() -> Result<(), Error> {
    let real = std::env::args().any(|a| a == "--real");
    println!("blocking_wait_for(4):");
    let blocking = run(false, real)?;
    println!("friendly_blocking_wait_for(2):");
    let friendly = run(true, real)?;
    println!(
        "nap, green: Notify! during the nap: blocking {} (of {} in 5 s; the seed: none), \
         friendly {} (of {}; the seed: they keep coming)",
        blocking.during_nap, blocking.notifies, friendly.during_nap, friendly.notifies
    );
    Ok(())
}
