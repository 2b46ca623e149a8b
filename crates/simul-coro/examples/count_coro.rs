//! `count`, generator style (seeds 001 and 003).
//!
//! Three tasks each print `One`, wait one second, and print `Two`. Waiting
//! cooperatively, the three waits overlap: `One One One Two Two Two` in
//! 1.00 s. Waiting by blocking the loop, they queue up: `One Two` three
//! times in 3.00 s.
//!
//! Runs on the virtual clock (exact); `--real` runs it on the real clock;
//! `--board` draws each variant's timeline (lanes `count 1` .. `count 3`).
//!
//! ```text
//! cargo run --release -p simul-coro --example count_coro [-- --real --board --svg count.svg]
//! ```

use std::cell::RefCell;
use std::error::Error;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Trap,
};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::count::{TASKS, WAIT};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// Printed lines with the time each was printed.
pub type Lines = Vec<(Instant, &'static str)>;

/// What the tasks printed, with the time each line was printed.
#[derive(Clone)]
pub struct Transcript {
    /// The scheduler's clock, to stamp lines.
    clock: Clock,
    /// How long a count waits between its two words (scaled on the real clock).
    wait: Duration,
    /// Every line so far.
    lines: Rc<RefCell<Vec<(Instant, &'static str)>>>,
}

impl Transcript {
    /// An empty transcript stamped by `clock`, for counts that wait `wait`.
    pub fn new(clock: Clock, wait: Duration) -> Transcript {
        Transcript { clock, wait, lines: Rc::default() }
    }

    /// The seed's `print`.
    fn say(&self, line: &'static str) {
        say!("{line}");
        self.lines.borrow_mut().push((self.clock.now(), line));
    }

    /// The lines printed so far.
    pub fn lines(&self) -> Lines {
        self.lines.borrow().clone()
    }
}

/// The seed's cooperative `count`, as a hand-written coroutine.
///
/// ```python
/// async def count():                  # before Python 3.5:  @coroutine
///     print("One")                    #                      def count():
///     await asyncio.sleep(1)          #                          print("One")
///     print("Two")                    #                          yield from sleep(1)
///                                     #                          print("Two")
/// ```
///
/// ```text
///   +---------+  resume(Start): print One, yield Sleep(1 s)   +----------+
///   | Start   | --------------------------------------------> | Sleeping |
///   +---------+                                                +----------+
///                                    resume(Woke): print Two, return |
///   +------+ <-------------------------------------------------------+
///   | Done |
///   +------+
/// ```
pub enum Count {
    /// Not started.
    Start(Transcript),
    /// Suspended at `yield Sleep(1 s)`.
    Sleeping(Transcript),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for Count {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, reply: Reply<()>) -> Resume<Trap<()>, ()> {
        match (std::mem::replace(self, Count::Done), reply) {
            (Count::Start(out), _) => {
                out.say("One");
                let wait = out.wait;
                *self = Count::Sleeping(out);
                Ok(CoroutineState::Yielded(Trap::Sleep(wait)))
            }
            (Count::Sleeping(out), Reply::Woke) => {
                out.say("Two");
                Ok(CoroutineState::Complete(()))
            }
            (Count::Sleeping(out), _) => {
                *self = Count::Sleeping(out);
                Err(ResumeError::UnexpectedInput { expected: "Reply::Woke" })
            }
            (Count::Done, _) => Err(ResumeError::AfterCompletion),
        }
    }
}

/// The seed's blocking `count` (`time.sleep(1)` inside the coroutine): a
/// coroutine with no suspension point at all, so the loop is stuck for the
/// whole second.
///
/// ```python
/// def count():
///     print("One")
///     time.sleep(1)        # blocks the loop: nobody else runs
///     print("Two")
/// ```
///
/// ```text
///   +-------+  resume: print One, block 1 s, print Two, return   +------+
///   | Start | -------------------------------------------------> | Done |
///   +-------+                                                    +------+
/// ```
pub enum CountBlocking {
    /// Not started.
    Start(Transcript),
    /// Returned.
    Done,
}

impl Coroutine<Reply<()>> for CountBlocking {
    type Yield = Trap<()>;
    type Return = ();

    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        match std::mem::replace(self, CountBlocking::Done) {
            CountBlocking::Start(out) => {
                out.say("One");
                out.clock.block_for(out.wait);
                out.say("Two");
                Ok(CoroutineState::Complete(()))
            }
            CountBlocking::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs the seed's three `count`s (cooperative or blocking), each waiting
/// `wait`, on `clock`; returns the transcript and the elapsed time.
pub fn run(clock: Clock, blocking: bool, wait: Duration) -> Result<(Lines, Duration), RunError> {
    let mut scheduler = Scheduler::<()>::with_clock(clock.clone())?;
    let out = Transcript::new(clock, wait);
    let start = scheduler.now();
    for n in 1..=TASKS {
        let id = if blocking {
            scheduler.spawn(CountBlocking::Start(out.clone()))
        } else {
            scheduler.spawn(Count::Start(out.clone()))
        };
        if trace::enabled() {
            trace::name(scheduler.unit(id), format!("count {n}"));
        }
    }
    scheduler.run_all()?;
    Ok((out.lines(), scheduler.now() - start))
}

/// One variant, traced as `variant`: its words and how long it took, in
/// seed units.
fn transcript(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    blocking: bool,
) -> Result<simul_scenario::Transcript, RunError> {
    say!("{variant}:");
    let (lines, took) =
        opts.record(traces, variant, || run(opts.clock(), blocking, opts.scaled(WAIT)))?;
    let words = lines.iter().map(|(_, word)| *word).collect();
    Ok(simul_scenario::Transcript { words, took: opts.unscaled(took) })
}

/// The scenario: the cooperative counts, then the blocking ones.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let mut traces = Traces::default();
    let cooperative = transcript(opts, &mut traces, "cooperative", false)?;
    let blocking = transcript(opts, &mut traces, "blocking", true)?;
    Ok(Outcome {
        style: Style::Coro,
        exact: opts.is_virtual(),
        figures: Figures::Count { cooperative, blocking },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Count, Style::Coro, scenario)
}
