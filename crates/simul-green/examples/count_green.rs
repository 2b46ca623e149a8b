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
//! Runs on the virtual clock (exact, instant); `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-green --example count_green [-- --real]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Clock;

const TASKS: usize = 3;
const WAIT: Duration = Duration::from_secs(1);

/// What the tasks printed, in order.
type Said = Rc<RefCell<Vec<&'static str>>>;

fn say(said: &Said, word: &'static str) {
    println!("{word}");
    said.borrow_mut().push(word);
}

/// One task; `wait` is either the cooperative `sleep` or a real block.
fn count(said: &Said, wait: &dyn Fn(Duration) -> std::io::Result<()>) -> std::io::Result<()> {
    say(said, "One");
    wait(WAIT)?;
    say(said, "Two");
    Ok(())
}

/// Runs the three tasks as green threads; returns what they printed and
/// how long it took on the hub's clock.
pub fn run(blocking: bool, real: bool) -> Result<(Vec<&'static str>, Duration), Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let hub = Hub::with_clock(clock.clone())?;
    let said = Said::default();
    let start = hub.now();
    hub.run(|| -> Result<(), Error> {
        let tasks = (0..TASKS)
            .map(|_| {
                let (said, clock) = (said.clone(), clock.clone());
                simul_green::spawn(move || {
                    if blocking {
                        // time.sleep without the patch: the whole hub waits.
                        count(&said, &|d| {
                            clock.block_for(d);
                            Ok(())
                        })
                    } else {
                        count(&said, &simul_green::sleep)
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

fn main() -> Result<(), Error> {
    let real = std::env::args().any(|a| a == "--real");
    println!("cooperative:");
    let (_, coop) = run(false, real)?;
    println!(
        "cooperative executed in {:.2} seconds (the seed measured 1.01 s)",
        coop.as_secs_f64()
    );
    println!("blocking:");
    let (_, blocking) = run(true, real)?;
    println!("blocking executed in {:.2} seconds (the seed: 3.01 s)", blocking.as_secs_f64());
    println!(
        "count, green: cooperative {:.2} s (seed 1.01 s), blocking {:.2} s (seed 3.01 s)",
        coop.as_secs_f64(),
        blocking.as_secs_f64()
    );
    Ok(())
}
