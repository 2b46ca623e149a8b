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
//! cargo run -p simul-future --example nap_async [-- --real]
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join3, now, sleep};
use simul_reactor::Clock;

const EVERY: Duration = Duration::from_millis(200);
const EXIT_AFTER: Duration = Duration::from_secs(5);
const BLOCKING_NAP: Duration = Duration::from_secs(4);
const FRIENDLY_NAP: Duration = Duration::from_secs(2);
const PARTS: u32 = 10;
const PAUSE: Duration = Duration::from_millis(1);

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
    while flags.keep_running.get() {
        println!("  {:5.3} s  Notify!", now().since_origin().as_secs_f64());
        flags.total.set(flags.total.get() + 1);
        if flags.napping.get() {
            flags.during_nap.set(flags.during_nap.get() + 1);
        }
        sleep(every).await;
    }
}

async fn exit_after(exit_after: Duration, flags: Rc<Flags>) {
    sleep(exit_after).await;
    flags.keep_running.set(false);
}

fn nap_begins(wait_for: Duration, flags: &Flags) {
    println!("I'm going to sleep right now for {} seconds.", wait_for.as_secs_f64());
    flags.napping.set(true);
}

fn nap_ends(slept: Duration, flags: &Flags) {
    flags.napping.set(false);
    flags.slept.set(slept);
    println!(
        "Hey y'all. That was a good nap! Slept for {:.2} seconds. Dig i miss something?",
        slept.as_secs_f64()
    );
}

async fn blocking_wait_for(wait_for: Duration, clock: Clock, flags: Rc<Flags>) {
    nap_begins(wait_for, &flags);
    let tic = clock.now();
    clock.block_for(wait_for); // time.sleep: nobody else runs
    nap_ends(clock.now() - tic, &flags);
}

async fn friendly_blocking_wait_for(wait_for: Duration, clock: Clock, flags: Rc<Flags>) {
    nap_begins(wait_for, &flags);
    let tic = clock.now();
    for _ in 0..PARTS {
        clock.block_for(wait_for / PARTS); // that call is still blocking!
        sleep(PAUSE).await; // this little pause lets the loop run others
    }
    nap_ends(clock.now() - tic, &flags);
}

/// Runs the gather with the blocking or the friendly nap.
pub fn run(friendly: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let flags = Rc::new(Flags::default());
    flags.keep_running.set(true);
    let f = || flags.clone();
    if friendly {
        let nap = friendly_blocking_wait_for(FRIENDLY_NAP, clock.clone(), f());
        rt.block_on(join3(exit_after(EXIT_AFTER, f()), notify_every(EVERY, f()), nap))?;
    } else {
        let nap = blocking_wait_for(BLOCKING_NAP, clock.clone(), f());
        rt.block_on(join3(exit_after(EXIT_AFTER, f()), notify_every(EVERY, f()), nap))?;
    }
    Ok(Figures {
        during_nap: flags.during_nap.get(),
        total: flags.total.get(),
        slept: flags.slept.get(),
    })
}

fn main() -> Result<(), RuntimeError> {
    let real = std::env::args().any(|a| a == "--real");
    println!("gather(exit_after(5), notify_every(.2), blocking_wait_for(4)):");
    let blocking = run(false, real)?;
    println!("gather(exit_after(5), notify_every(.2), friendly_blocking_wait_for(2)):");
    let friendly = run(true, real)?;
    println!(
        "Notify! during the nap: blocking {} of {} (the seed: none), friendly {} of {} (the seed: they keep coming)",
        blocking.during_nap, blocking.total, friendly.during_nap, friendly.total
    );
    Ok(())
}
