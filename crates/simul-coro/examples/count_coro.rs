//! `count`, generator style (seeds 001 and 003).
//!
//! Three tasks each print `One`, wait one second, and print `Two`. Waiting
//! cooperatively, the three waits overlap: `One One One Two Two Two` in
//! 1.00 s. Waiting by blocking the loop, they queue up: `One Two` three
//! times in 3.00 s.
//!
//! Runs on the virtual clock (exact); `--real` runs it on the real clock.
//!
//! ```text
//! cargo run -p simul-coro --example count_coro [-- --real]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, Trap,
};
use simul_reactor::{Clock, Instant};

/// Printed lines with the time each was printed.
pub type Lines = Vec<(Instant, &'static str)>;

/// What the tasks printed, with the time each line was printed.
#[derive(Clone)]
pub struct Transcript {
    /// The scheduler's clock, to stamp lines.
    clock: Clock,
    /// Print lines as they come, as the seed does.
    echo: bool,
    /// Every line so far.
    lines: Rc<RefCell<Vec<(Instant, &'static str)>>>,
}

impl Transcript {
    /// An empty transcript stamped by `clock`.
    pub fn new(clock: Clock, echo: bool) -> Transcript {
        Transcript { clock, echo, lines: Rc::default() }
    }

    /// The seed's `print`.
    fn say(&self, line: &'static str) {
        if self.echo {
            println!("{line}");
        }
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
                *self = Count::Sleeping(out);
                Ok(CoroutineState::Yielded(Trap::Sleep(Duration::from_secs(1))))
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
                out.clock.block_for(Duration::from_secs(1));
                out.say("Two");
                Ok(CoroutineState::Complete(()))
            }
            CountBlocking::Done => Err(ResumeError::AfterCompletion),
        }
    }
}

/// Runs three `count`s (cooperative or blocking) on `clock`; returns the
/// transcript and the elapsed time.
pub fn run(clock: Clock, blocking: bool, echo: bool) -> Result<(Lines, Duration), RunError> {
    let mut scheduler = Scheduler::<()>::with_clock(clock.clone())?;
    let out = Transcript::new(clock, echo);
    let start = scheduler.now();
    for _ in 0..3 {
        if blocking {
            scheduler.spawn(CountBlocking::Start(out.clone()));
        } else {
            scheduler.spawn(Count::Start(out.clone()));
        }
    }
    scheduler.run_all()?;
    Ok((out.lines(), scheduler.now() - start))
}

#[allow(dead_code)]
fn main() -> Result<(), RunError> {
    let real = std::env::args().any(|a| a == "--real");
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };
    println!("cooperative:");
    let (_, elapsed) = run(clock(), false, true)?;
    println!(
        "count_coro cooperative executed in {:.2} seconds (seed: 1.01 s)",
        elapsed.as_secs_f64()
    );
    println!("blocking:");
    let (_, elapsed) = run(clock(), true, true)?;
    println!(
        "count_coro blocking executed in {:.2} seconds (the seeds: 3 s, one count after another)",
        elapsed.as_secs_f64()
    );
    Ok(())
}
