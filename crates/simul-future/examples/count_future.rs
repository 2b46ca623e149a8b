//! Seeds 001/003, `count`, hand-written future style: three tasks print
//! `One`, wait a second, print `Two`, with no `async` anywhere.
//!
//! Each `count` is an enum the runtime polls. Polled the first time, it
//! says `One`, creates its `Sleep` and stores it in the next state; every
//! later poll polls that `Sleep`, and returns `Pending` until it is due.
//! As the seed's `asyncio.gather` does, the three are spawned as tasks of
//! their own (lanes `count 1` .. `count 3` on the board) and the main
//! future waits for their handles, so all three sleeps run at once:
//! `One One One Two Two Two` in 1 s. The blocking `count` has no state to
//! wait in: its one poll calls `Clock::block_for` (Python's `time.sleep`),
//! and the output is `One Two` three times in 3 s.
//!
//! Runs on the virtual clock (exact, instant); `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-future --example count_future [-- --real --board --svg count.svg]
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, Sleep, join_all, now, sleep};
use simul_reactor::Clock;
use simul_reactor::trace;
use simul_scenario::params::count::{TASKS, WAIT};
use simul_scenario::{Options, Outcome, Scenario, Style, Traces, Transcript, say};

/// What a run shows: the words in the order they were said, and how long
/// the whole thing took.
#[derive(Debug)]
pub struct Figures {
    /// `One`/`Two`, in order.
    pub words: Vec<&'static str>,
    /// From start to the last `Two`.
    pub took: Duration,
}

type Words = Rc<RefCell<Vec<&'static str>>>;

fn speak(words: &Words, word: &'static str) {
    say!("  {:.2} s  {word}", now().since_origin().as_secs_f64());
    words.borrow_mut().push(word);
}

/// Names the task being polled `count n` (its lane on the board). The
/// `format!` is only paid for while a trace records.
fn name_lane(n: usize) {
    if trace::enabled() {
        trace::name_current(format!("count {n}"));
    }
}

/// The seed's `count`, by hand. Every field is `Unpin` (`Sleep` is), so
/// the machine is matched through `get_mut`, without pin projection.
///
/// ```text
///   [Start] --poll: say One, create sleep(1 s)--> [Sleeping]
///                                                  | sleep Pending: Pending
///                                                  | sleep Ready: say Two
///                                                  v
///                                                [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum Count {
    /// Not polled yet: count number `n`, to wait `wait`.
    Start { n: usize, words: Words, wait: Duration },
    /// `One` said; waiting for the sleep.
    Sleeping { words: Words, sleep: Sleep },
    /// `Two` said.
    Done,
}

impl Future for Count {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            match this {
                Count::Start { n, words, wait } => {
                    name_lane(*n);
                    speak(words, "One");
                    let (words, sleep) = (words.clone(), sleep(*wait));
                    *this = Count::Sleeping { words, sleep };
                    // Loop: the new sleep must be polled once to arm its timer.
                }
                Count::Sleeping { words, sleep } => {
                    // The sleep keeps our task's waker; it will poll us again.
                    ready!(Pin::new(sleep).poll(cx));
                    speak(words, "Two");
                    *this = Count::Done;
                    return Poll::Ready(());
                }
                Count::Done => panic!("Count polled after it finished"),
            }
        }
    }
}

/// `count` with `time.sleep(1)`: it never returns `Pending`, so it has
/// nothing to wait in, and the loop is stuck for the whole second.
///
/// ```text
///   [Start] --poll: say One, block 1 s, say Two--> [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum CountBlocking {
    /// Not polled yet.
    Start { n: usize, words: Words, clock: Clock, wait: Duration },
    /// Both words said.
    Done,
}

impl Future for CountBlocking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match std::mem::replace(this, CountBlocking::Done) {
            CountBlocking::Start { n, words, clock, wait } => {
                name_lane(n);
                speak(&words, "One");
                clock.block_for(wait);
                speak(&words, "Two");
                Poll::Ready(())
            }
            CountBlocking::Done => panic!("CountBlocking polled after it finished"),
        }
    }
}

/// Runs the three counts, cooperative or blocking, gathered alike: each
/// a task of its own, as `asyncio.gather` makes them, waiting `wait`.
pub fn run_on(blocking: bool, clock: Clock, wait: Duration) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let words = Words::default();
    let start = clock.now();
    let tasks = (1..=TASKS)
        .map(|n| {
            let words = words.clone();
            if blocking {
                rt.spawn(CountBlocking::Start { n, words, clock: clock.clone(), wait })
            } else {
                rt.spawn(Count::Start { n, words, wait })
            }
        })
        .collect();
    for done in rt.block_on(join_all(tasks))? {
        done.expect("a count does not panic");
    }
    let took = clock.now() - start;
    Ok(Figures { words: words.take(), took })
}

/// [`run_on`] with a new virtual (or real) clock and the seed's wait.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(blocking, clock, WAIT)
}

/// The scenario: the cooperative counts, then the blocking ones, each
/// traced as its variant; figures in seed units.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let mut transcript = |variant: &'static str, blocking: bool| {
        say!("{variant}:");
        let f = opts
            .record(&mut traces, variant, || run_on(blocking, opts.clock(), opts.scaled(WAIT)))?;
        Ok::<_, RuntimeError>(Transcript { words: f.words, took: opts.unscaled(f.took) })
    };
    let cooperative = transcript("cooperative", false)?;
    let blocking = transcript("blocking", true)?;
    Ok(Outcome {
        style: Style::Future,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::Count { cooperative, blocking },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Count, Style::Future, scenario)
}
