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
//! Runs on the virtual clock (exact, instant); `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-future --example count_async [-- --real]
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join3, now, sleep};
use simul_reactor::Clock;

const WAIT: Duration = Duration::from_secs(1);

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

fn say(words: &Words, word: &'static str) {
    println!("  {:.2} s  {word}", now().since_origin().as_secs_f64());
    words.borrow_mut().push(word);
}

/// The seed's `count`: the wait is cooperative.
async fn count(words: Words) {
    say(&words, "One");
    sleep(WAIT).await;
    say(&words, "Two");
}

/// The same with `time.sleep(1)`: an `async fn` that never awaits.
async fn count_blocking(words: Words, clock: Clock) {
    say(&words, "One");
    clock.block_for(WAIT);
    say(&words, "Two");
}

/// Runs the three counts, cooperative or blocking, gathered alike.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let words = Words::default();
    let w = || words.clone();
    let start = clock.now();
    if blocking {
        let c = || count_blocking(w(), clock.clone());
        rt.block_on(join3(c(), c(), c()))?;
    } else {
        rt.block_on(join3(count(w()), count(w()), count(w())))?;
    }
    let took = clock.now() - start;
    Ok(Figures { words: words.take(), took })
}

fn main() -> Result<(), RuntimeError> {
    let real = std::env::args().any(|a| a == "--real");
    println!("cooperative:");
    let coop = run(false, real)?;
    println!("blocking:");
    let blocking = run(true, real)?;
    println!(
        "cooperative: {} in {:.2} s (the seed measured 1.01 s); blocking: {} in {:.2} s (the seed: 3.01 s)",
        coop.words.join(" "),
        coop.took.as_secs_f64(),
        blocking.words.join(" "),
        blocking.took.as_secs_f64()
    );
    Ok(())
}
