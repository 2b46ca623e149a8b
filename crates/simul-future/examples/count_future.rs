//! Seeds 001/003, `count`, hand-written future style: three tasks print
//! `One`, wait a second, print `Two`, with no `async` anywhere.
//!
//! Each `count` is an enum the runtime polls. Polled the first time, it
//! says `One`, creates its `Sleep` and stores it in the next state; every
//! later poll polls that `Sleep`, and returns `Pending` until it is due.
//! `join3` (itself a hand-written future) polls the three in turn, so all
//! three sleeps run at once: `One One One Two Two Two` in 1 s. The blocking
//! `count` has no state to wait in: its one poll calls `Clock::block_for`
//! (Python's `time.sleep`), and the output is `One Two` three times in 3 s.
//!
//! Runs on the virtual clock (exact, instant); `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-future --example count_future [-- --real]
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, Sleep, join3, now, sleep};
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

pin_project_lite::pin_project! {
    /// The seed's `count`, by hand.
    ///
    /// ```text
    ///   [Start] --poll: say One, create sleep(1 s)--> [Sleeping]
    ///                                                  | sleep Pending: Pending
    ///                                                  | sleep Ready: say Two
    ///                                                  v
    ///                                                [Done] -> Ready(())
    /// ```
    #[project = CountProj]
    enum Count {
        Start { words: Words },
        Sleeping { words: Words, #[pin] sleep: Sleep },
        Done,
    }
}

impl Future for Count {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.as_mut().project() {
                CountProj::Start { words } => {
                    say(words, "One");
                    let words = words.clone();
                    self.set(Count::Sleeping { words, sleep: sleep(WAIT) });
                }
                CountProj::Sleeping { words, sleep } => {
                    // The sleep keeps our task; it will poll us again.
                    if sleep.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    say(words, "Two");
                    self.set(Count::Done);
                    return Poll::Ready(());
                }
                CountProj::Done => panic!("Count polled after it finished"),
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
enum CountBlocking {
    Start { words: Words, clock: Clock },
    Done,
}

impl Future for CountBlocking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        // No field is pinned, so the whole enum may be replaced.
        let this = self.get_mut();
        match std::mem::replace(this, CountBlocking::Done) {
            CountBlocking::Start { words, clock } => {
                say(&words, "One");
                clock.block_for(WAIT);
                say(&words, "Two");
                Poll::Ready(())
            }
            CountBlocking::Done => panic!("CountBlocking polled after it finished"),
        }
    }
}

/// Runs the three counts, cooperative or blocking, gathered alike.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let words = Words::default();
    let start = clock.now();
    if blocking {
        let c = || CountBlocking::Start { words: words.clone(), clock: clock.clone() };
        rt.block_on(join3(c(), c(), c()))?;
    } else {
        let c = || Count::Start { words: words.clone() };
        rt.block_on(join3(c(), c(), c()))?;
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
