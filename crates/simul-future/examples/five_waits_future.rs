//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`,
//! hand-written future style: a main task starts five tasks in a loop,
//! printing `time passed after iter i is t`; each task waits 3 s.
//!
//! The main task is an enum. Its first poll runs the whole loop: each
//! iteration prints and `spawn`s a task, which only queues it, so the
//! five starts are microseconds apart (exactly 0 on the virtual clock).
//! It then moves to the state `Gathering`, holding a `join_all` of the
//! five handles, and returns `Pending` until all five sleeps are over:
//! 3 s. The blocking main (`test_noasync.py`) blocks 3 s inside each
//! iteration of its one poll: starts 3 s apart, 15 s in all.
//!
//! Runs on the virtual clock; `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-future --example five_waits_future [-- --real]
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{
    JoinAll, JoinHandle, Runtime, RuntimeError, Sleep, join_all, now, sleep, spawn,
};
use simul_reactor::{Clock, Instant};

const TASKS: u32 = 5;
const WAIT: Duration = Duration::from_secs(3);

/// What a run shows.
#[derive(Debug)]
pub struct Figures {
    /// When each iteration of the main loop started, from the start.
    pub starts: Vec<Duration>,
    /// From the start until every task finished.
    pub total: Duration,
}

fn iteration(i: u32, t0: Instant, starts: &mut Vec<Duration>) {
    let passed = now() - t0;
    println!("  time passed after iter {i} is {:.6} s", passed.as_secs_f64());
    starts.push(passed);
}

pin_project_lite::pin_project! {
    /// `example_coroutine(i)`: `await asyncio.sleep(3)`, by hand. The
    /// sleep is created when the coroutine is, which is what
    /// `example_coroutine(i)` does too (it does nothing until polled).
    ///
    /// ```text
    ///   [Sleeping] --sleep Ready--> Ready(())
    ///       | sleep Pending: Pending
    /// ```
    struct ExampleCoroutine {
        #[pin]
        sleep: Sleep,
    }
}

impl Future for ExampleCoroutine {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().sleep.poll(cx)
    }
}

pin_project_lite::pin_project! {
    /// `test_async.py`'s `main`, by hand.
    ///
    /// ```text
    ///   [Start] --poll: 5 x (print, spawn)--> [Gathering{join_all(handles)}]
    ///                                          | Pending until all five end
    ///                                          v
    ///                                        [Done] -> Ready(starts)
    /// ```
    #[project = MainProj]
    #[project_replace = MainReplace]
    enum MainCooperative {
        Start,
        Gathering { starts: Vec<Duration>, #[pin] all: JoinAll<JoinHandle<()>> },
        Done,
    }
}

impl Future for MainCooperative {
    type Output = Vec<Duration>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<Duration>> {
        loop {
            match self.as_mut().project() {
                MainProj::Start => {
                    let t0 = now();
                    let mut starts = Vec::new();
                    let mut tasks = Vec::new();
                    for i in 0..TASKS {
                        iteration(i, t0, &mut starts);
                        tasks.push(spawn(ExampleCoroutine { sleep: sleep(WAIT) }));
                    }
                    self.set(MainCooperative::Gathering { starts, all: join_all(tasks) });
                }
                MainProj::Gathering { all, .. } => {
                    for done in ready!(all.poll(cx)) {
                        // A task only fails by panicking, which ours cannot.
                        done.expect("ExampleCoroutine does not panic");
                    }
                    // Move `starts` out of the finished state.
                    match self.as_mut().project_replace(MainCooperative::Done) {
                        MainReplace::Gathering { starts, .. } => return Poll::Ready(starts),
                        _ => unreachable!("the state was Gathering a moment ago"),
                    }
                }
                MainProj::Done => panic!("MainCooperative polled after it finished"),
            }
        }
    }
}

/// `test_noasync.py`'s `main`, run on the loop: one poll, five blocking
/// calls, nothing to wait in.
///
/// ```text
///   [Start] --poll: 5 x (print, block 3 s)--> Ready(starts)
/// ```
struct MainBlocking {
    clock: Clock,
}

impl Future for MainBlocking {
    type Output = Vec<Duration>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Vec<Duration>> {
        let t0 = now();
        let mut starts = Vec::new();
        for i in 0..TASKS {
            iteration(i, t0, &mut starts);
            self.clock.block_for(WAIT); // time.sleep(3)
        }
        Poll::Ready(starts)
    }
}

/// Runs one version; returns the starts and the total.
pub fn run(blocking: bool, real: bool) -> Result<Figures, RuntimeError> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let mut rt = Runtime::with_clock(clock.clone())?;
    let t0 = clock.now();
    let starts = if blocking {
        rt.block_on(MainBlocking { clock: clock.clone() })?
    } else {
        rt.block_on(MainCooperative::Start)?
    };
    Ok(Figures { starts, total: clock.now() - t0 })
}

fn main() -> Result<(), RuntimeError> {
    let real = std::env::args().any(|a| a == "--real");
    println!("test_async:");
    let coop = run(false, real)?;
    println!("\nTotal time needed was {:.6} s\n", coop.total.as_secs_f64());
    println!("test_noasync:");
    let blocking = run(true, real)?;
    println!("\nTotal time needed was {:.6} s\n", blocking.total.as_secs_f64());
    println!(
        "cooperative {:.2} s (seed: 3.00 s); blocking {:.1} s (seed: 15.0 s)",
        coop.total.as_secs_f64(),
        blocking.total.as_secs_f64()
    );
    Ok(())
}
