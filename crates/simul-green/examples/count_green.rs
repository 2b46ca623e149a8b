//! Seeds 001/003, `count`, green style: three tasks print `One`, wait a
//! second, print `Two`.
//!
//! ```python
//! def count():            # gevent: the same code as countsync.py
//!     print("One")
//!     time.sleep(1)       # monkeypatched: parks this greenlet
//!     print("Two")
//! ```
//!
//! Each task is a green thread running plain, blocking-looking code:
//! `sleep(WAIT)` reads like `time.sleep`, but it parks the green thread
//! and the hub runs the others, so all three wait at once: `One One One
//! Two Two Two` in 1 s. The blocking version is the *same* function with
//! a real block in it (`Clock::block_for`, what `time.sleep` does without
//! gevent's patch): while one green thread blocks, the hub cannot switch,
//! and the output is `One Two` three times, 3 s.
//!
//! Runs on the virtual clock (exact, instant); `--real` uses the real one;
//! `--board` draws each variant's timeline (lanes `count 1` .. `count 3`).
//!
//! ```text
//! cargo run --release -p simul-green --example count_green [-- --real --board --svg count.svg]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::{Clock, trace};
use simul_scenario::params::count::{TASKS, WAIT};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, Transcript, say};

/// What the tasks printed, in order.
type Said = Rc<RefCell<Vec<&'static str>>>;

fn say(said: &Said, word: &'static str) {
    say!("{word}");
    said.borrow_mut().push(word);
}

/// One task; `wait` is either the cooperative `sleep` or a real block.
fn count(
    said: &Said,
    d: Duration,
    wait: &dyn Fn(Duration) -> std::io::Result<()>,
) -> std::io::Result<()> {
    say(said, "One");
    wait(d)?;
    say(said, "Two");
    Ok(())
}

/// Runs the three tasks as green threads; returns what they printed and
/// how long it took on the hub's clock.
pub fn run(blocking: bool, real: bool) -> Result<(Vec<&'static str>, Duration), Error> {
    run_on(blocking, if real { Clock::real() } else { Clock::new_virtual() }, WAIT)
}

/// [`run`] on `clock`, each count waiting `wait`.
pub fn run_on(
    blocking: bool,
    clock: Clock,
    wait: Duration,
) -> Result<(Vec<&'static str>, Duration), Error> {
    let hub = Hub::with_clock(clock.clone())?;
    let said = Said::default();
    let start = hub.now();
    hub.run(|| -> Result<(), Error> {
        let tasks = (0..TASKS)
            .map(|n| {
                let (said, clock) = (said.clone(), clock.clone());
                simul_green::spawn(move || {
                    if trace::enabled() {
                        trace::name_current(format!("count {}", n + 1));
                    }
                    if blocking {
                        // time.sleep without the patch: the whole hub waits.
                        count(&said, wait, &|d| {
                            clock.block_for(d);
                            Ok(())
                        })
                    } else {
                        count(&said, wait, &simul_green::sleep)
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for task in tasks {
            task.join()??;
        }
        Ok(())
    })??;
    let took = hub.now() - start;
    Ok((said.take(), took))
}

/// One variant, traced as `variant`, in seed units.
fn transcript(
    opts: &Options,
    traces: &mut Traces,
    variant: &'static str,
    blocking: bool,
) -> Result<Transcript, Error> {
    say!("{variant}:");
    let (words, took) =
        opts.record(traces, variant, || run_on(blocking, opts.clock(), opts.scaled(WAIT)))?;
    Ok(Transcript { words, took: opts.unscaled(took) })
}

/// The scenario: the cooperative counts, then the blocking ones.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let cooperative = transcript(opts, &mut traces, "cooperative", false)?;
    let blocking = transcript(opts, &mut traces, "blocking", true)?;
    Ok(Outcome {
        style: Style::Green,
        exact: opts.is_virtual(),
        figures: Figures::Count { cooperative, blocking },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Count, Style::Green, scenario)
}
