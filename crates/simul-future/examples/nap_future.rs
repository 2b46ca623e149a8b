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
//! Runs on the virtual clock; `--real` uses the real one (5 s each run).
//!
//! ```text
//! cargo run -p simul-future --example nap_future [-- --real]
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, Sleep, join3, now, sleep};
use simul_reactor::{Clock, Instant};

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

fn notify(flags: &Flags) {
    println!("  {:5.3} s  Notify!", now().since_origin().as_secs_f64());
    flags.total.set(flags.total.get() + 1);
    if flags.napping.get() {
        flags.during_nap.set(flags.during_nap.get() + 1);
    }
}

pin_project_lite::pin_project! {
    /// `notify_every(every)`, by hand: the `while` loop is the arrow back.
    ///
    /// ```text
    ///   [Start] --keep_running: Notify!, sleep(every)--> [Waiting]
    ///      | not keep_running: Ready(())   ^               | sleep Pending: Pending
    ///      |                               +---------------+ sleep Ready: check again
    /// ```
    #[project = NotifyProj]
    struct NotifyEvery {
        every: Duration,
        flags: Rc<Flags>,
        #[pin]
        waiting: Option<Sleep>,
    }
}

impl Future for NotifyEvery {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            if let Some(sleep) = this.waiting.as_mut().as_pin_mut() {
                ready!(sleep.poll(cx));
            }
            if !this.flags.keep_running.get() {
                this.waiting.set(None);
                return Poll::Ready(());
            }
            notify(this.flags);
            this.waiting.set(Some(sleep(*this.every)));
        }
    }
}

pin_project_lite::pin_project! {
    /// `exit_after(d)`, by hand.
    ///
    /// ```text
    ///   [Waiting] --sleep Ready: keep_running = False--> Ready(())
    ///       | sleep Pending: Pending
    /// ```
    struct ExitAfter {
        flags: Rc<Flags>,
        #[pin]
        waiting: Sleep,
    }
}

impl Future for ExitAfter {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        ready!(this.waiting.poll(cx));
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
struct BlockingWaitFor {
    wait_for: Duration,
    clock: Clock,
    flags: Rc<Flags>,
}

impl Future for BlockingWaitFor {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        nap_begins(self.wait_for, &self.flags);
        let tic = self.clock.now();
        self.clock.block_for(self.wait_for); // time.sleep: nobody else runs
        nap_ends(self.clock.now() - tic, &self.flags);
        Poll::Ready(())
    }
}

pin_project_lite::pin_project! {
    /// `friendly_blocking_wait_for(wait_for)`, by hand.
    ///
    /// ```text
    ///   [Start] --announce--> block one part, sleep(1 ms) --> [Pausing{parts_done}]
    ///                               ^                           | pause Pending: Pending
    ///                               +-- parts_done < 10 --------+ pause Ready
    ///                                   parts_done == 10: report --> [Done] -> Ready(())
    /// ```
    #[project = FriendlyProj]
    enum FriendlyWaitFor {
        Start { wait_for: Duration, clock: Clock, flags: Rc<Flags> },
        Pausing {
            wait_for: Duration,
            clock: Clock,
            flags: Rc<Flags>,
            tic: Instant,
            parts_done: u32,
            #[pin]
            pause: Sleep,
        },
        Done,
    }
}

impl Future for FriendlyWaitFor {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let (wait_for, clock, flags, tic, parts_done) = match self.as_mut().project() {
                FriendlyProj::Start { wait_for, clock, flags } => {
                    nap_begins(*wait_for, flags);
                    (*wait_for, clock.clone(), flags.clone(), clock.now(), 0)
                }
                FriendlyProj::Pausing { wait_for, clock, flags, tic, parts_done, pause } => {
                    ready!(pause.poll(cx));
                    (*wait_for, clock.clone(), flags.clone(), *tic, *parts_done)
                }
                FriendlyProj::Done => panic!("FriendlyWaitFor polled after it finished"),
            };
            if parts_done == PARTS {
                nap_ends(clock.now() - tic, &flags);
                self.set(FriendlyWaitFor::Done);
                return Poll::Ready(());
            }
            clock.block_for(wait_for / PARTS); // that call is still blocking!
            let pause = sleep(PAUSE); // this little pause lets the loop run others
            let parts_done = parts_done + 1;
            self.set(FriendlyWaitFor::Pausing { wait_for, clock, flags, tic, parts_done, pause });
            // Loop: the new pause must be polled once to arm its timer.
        }
    }
}

/// Runs the gather with the blocking or the friendly nap.
pub fn run(friendly: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let flags = Rc::new(Flags::default());
    flags.keep_running.set(true);
    let exit = ExitAfter { flags: flags.clone(), waiting: sleep(EXIT_AFTER) };
    let notifier = NotifyEvery { every: EVERY, flags: flags.clone(), waiting: None };
    if friendly {
        let (wait_for, clock, flags) = (FRIENDLY_NAP, clock.clone(), flags.clone());
        rt.block_on(join3(exit, notifier, FriendlyWaitFor::Start { wait_for, clock, flags }))?;
    } else {
        let (wait_for, clock, flags) = (BLOCKING_NAP, clock.clone(), flags.clone());
        rt.block_on(join3(exit, notifier, BlockingWaitFor { wait_for, clock, flags }))?;
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
