//! Seed 002 (`test_async.py`, `test_noasync.py`), `five_waits`, green
//! style: a main task starts five tasks in a loop, printing `time passed
//! after iter i is t`; each task waits 3 s.
//!
//! ```python
//! def example_coroutine(i):
//!     time.sleep(3)                      # gevent: parks this greenlet
//!
//! def main():
//!     for i in range(5):
//!         print(f"time passed after iter {i} is {time.time() - t0}")
//!         tasks.append(gevent.spawn(example_coroutine, i))
//!     gevent.joinall(tasks)
//! ```
//!
//! Cooperatively each task is a green thread whose `sleep(3 s)` parks it,
//! so the five starts are microseconds apart (exactly 0 on the virtual
//! clock) and everything is done after 3 s. Blocking is `test_noasync.py`:
//! main calls the task directly and it really blocks
//! (`Clock::block_for`), so the starts are 3 s apart, 15 s in all.
//!
//! Runs on the virtual clock; `--real` uses the real one.
//!
//! ```text
//! cargo run -p simul-green --example five_waits_green [-- --real]
//! ```

use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Clock;

const TASKS: u32 = 5;
const WAIT: Duration = Duration::from_secs(3);

/// What one run measured.
pub struct Figures {
    /// When each iteration of main's loop started, from the start.
    pub iters: Vec<Duration>,
    /// When the last task was done, from the start.
    pub total: Duration,
}

/// Runs main's loop; `blocking` picks `test_noasync.py`.
pub fn run(blocking: bool, real: bool) -> Result<Figures, Error> {
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let hub = Hub::with_clock(clock.clone())?;
    let t0 = hub.now();
    let iters = hub.run(|| -> Result<Vec<Duration>, Error> {
        let mut iters = Vec::new();
        let mut tasks = Vec::new();
        for i in 0..TASKS {
            let t = simul_green::now()? - t0;
            println!("time passed after iter {i} is {:.6}", t.as_secs_f64());
            iters.push(t);
            if blocking {
                clock.block_for(WAIT); // example_coroutine(i): time.sleep(3)
            } else {
                tasks.push(simul_green::spawn(|| simul_green::sleep(WAIT))?);
            }
        }
        for task in tasks {
            task.join()??;
        }
        Ok(iters)
    })??;
    let total = hub.now() - t0;
    println!("\nTotal time needed was {:.6}\n", total.as_secs_f64());
    Ok(Figures { iters, total })
}

fn main() -> Result<(), Error> {
    let real = std::env::args().any(|a| a == "--real");
    println!("cooperative (test_async.py):");
    let coop = run(false, real)?;
    println!("blocking (test_noasync.py):");
    let blocking = run(true, real)?;
    println!(
        "five_waits, green: cooperative {:.2} s (seed 3.00 s), blocking {:.1} s (seed 15.0 s)",
        coop.total.as_secs_f64(),
        blocking.total.as_secs_f64()
    );
    Ok(())
}
