//! Seeds 001/003, `count`, `async fn` style: three tasks print `One`, wait
//! a second, print `Two`.
//!
//! ```python
//! async def count():
//!     print("One")
//!     await asyncio.sleep(1)
//!     print("Two")
//!
//! async def main():
//!     await asyncio.gather(count(), count(), count())
//! ```
//!
//! `sleep(1 s).await` hands the runtime back its thread until the timer is
//! due, so the three waits overlap: `One One One Two Two Two` in 1 s. The
//! blocking version calls `Clock::block_for` (Python's `time.sleep`)
//! inside the same `async fn`: being `async` does not help, nobody else
//! runs during it, and the output is `One Two` three times in 3 s.
//!
//! Like `asyncio.gather`, which wraps each coroutine in a Task, `main`
//! spawns the three counts and awaits their handles: each is a task of its
//! own, with its own lane on the board.
//!
//! Runs on the virtual clock (exact, instant); `--real` uses the real one.
//!
//! ```text
//! cargo run --release -p simul-future --example count_async [-- --real --board]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join_all, now, sleep, spawn};
use simul_reactor::{Clock, trace};
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

fn print(words: &Words, word: &'static str) {
    say!("  {:.2} s  {word}", now().since_origin().as_secs_f64());
    words.borrow_mut().push(word);
}

/// The seed's `count`: the wait is cooperative.
async fn count(words: Words, wait: Duration) {
    print(&words, "One");
    sleep(wait).await;
    print(&words, "Two");
}

/// The same with `time.sleep(1)`: an `async fn` that never awaits.
async fn count_blocking(words: Words, clock: Clock, wait: Duration) {
    print(&words, "One");
    clock.block_for(wait);
    print(&words, "Two");
}

/// Runs the three counts, cooperative or blocking, gathered alike: each
/// spawned as a task (as `asyncio.gather` does) and awaited in order.
pub fn run_on(blocking: bool, clock: Clock, wait: Duration) -> Result<Figures, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let words = Words::default();
    let start = clock.now();
    let (w, c) = (words.clone(), clock.clone());
    rt.block_on(async move {
        let handles: Vec<_> = (1..=TASKS)
            .map(|i| {
                let (w, clock) = (w.clone(), c.clone());
                spawn(async move {
                    if trace::enabled() {
                        trace::name_current(format!("count {i}"));
                    }
                    if blocking {
                        count_blocking(w, clock, wait).await
                    } else {
                        count(w, wait).await
                    }
                })
            })
            .collect();
        join_all(handles).await
    })?
    .into_iter()
    .collect::<Result<Vec<()>, _>>()
    .map_err(|e| RuntimeError::from(std::io::Error::other(e.to_string())))?;
    let took = clock.now() - start;
    Ok(Figures { words: words.take(), took })
}

/// [`run_on`] with the seed's wait on a new virtual (or real) clock.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    run_on(blocking, clock, WAIT)
}

/// The scenario: cooperative, then blocking.
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
        style: Style::Async,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::Count { cooperative, blocking },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Count, Style::Async, scenario)
}
