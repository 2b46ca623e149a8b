//! Memory per idle unit: what one waiting callback, parked coroutine,
//! sleeping task or parked green thread holds, read from the process's
//! resident set size (RSS).
//!
//! [`measure`] creates n units of one style, each waiting on a timer an
//! hour away (on the virtual clock, so none fires), lets each reach its
//! wait, and divides the growth of RSS by n. RSS counts what the kernel
//! has actually backed with memory (heap, touched stack pages), which is
//! the honest figure for "what does a million idle connections cost".
//! Run each style in a fresh process ([`measure`] is what the report's
//! child mode calls): in one process the allocator would reuse the
//! previous style's freed memory and the figures would bleed together.
//!
//! Linux only (it reads `/proc/self/statm`); elsewhere it says so.

use std::io;
use std::time::Duration;

use simul_coro::{CoroutineState, Reply, Scheduler, Trap};
use simul_reactor::Clock;

use super::Style;

/// How long each idle unit waits: far beyond the measurement.
const AN_HOUR: Duration = Duration::from_secs(3600);

/// The process's resident set size in bytes.
pub fn rss() -> io::Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 =
        statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "unreadable /proc/self/statm")
        })?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Ok(pages * u64::try_from(page).unwrap_or(4096))
}

/// Creates `n` idle units of `style`, and returns the RSS growth per unit
/// in bytes.
pub fn measure(style: Style, n: u64) -> io::Result<u64> {
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "n must be at least 1"));
    }
    let grown = match style {
        Style::Floor => {
            let before = rss()?;
            let pending: Vec<Box<dyn FnOnce() -> u64>> =
                (0..n).map(|i| Box::new(move || i) as Box<dyn FnOnce() -> u64>).collect();
            let after = rss()?;
            std::hint::black_box(&pending);
            after.saturating_sub(before)
        }
        Style::Callback => {
            let mut lp = simul_callback::EventLoop::with_clock(Clock::new_virtual())?;
            let before = rss()?;
            for i in 0..n {
                let _ = lp.call_later(AN_HOUR, move |_| {
                    std::hint::black_box(i);
                });
            }
            rss()?.saturating_sub(before)
        }
        Style::Coro => {
            let mut s = Scheduler::<u64>::with_clock(Clock::new_virtual())?;
            let grown = std::rc::Rc::new(std::cell::RefCell::new(None));
            let mut before = Ok(0);
            let mut step = 0;
            let out = grown.clone();
            let main = simul_coro::from_fn(move |_: Reply<u64>| {
                step += 1;
                match step {
                    1 => {
                        before = rss();
                        Ok(CoroutineState::Yielded(Trap::YieldNow))
                    }
                    s if s <= n + 1 => {
                        let mut slept = false;
                        Ok(CoroutineState::Yielded(Trap::Spawn(Box::new(simul_coro::from_fn(
                            move |_: Reply<u64>| {
                                if slept {
                                    return Ok(CoroutineState::Complete(0));
                                }
                                slept = true;
                                Ok(CoroutineState::Yielded(Trap::Sleep(AN_HOUR)))
                            },
                        )))))
                    }
                    s if s == n + 2 => Ok(CoroutineState::Yielded(Trap::YieldNow)),
                    _ => {
                        *out.borrow_mut() = Some(match (&before, rss()) {
                            (Ok(b), Ok(a)) => Ok(a.saturating_sub(*b)),
                            (Err(e), _) => Err(io::Error::new(e.kind(), e.to_string())),
                            (_, Err(e)) => Err(e),
                        });
                        Ok(CoroutineState::Complete(0))
                    }
                }
            });
            let _ = s.run(main);
            let grown = grown.borrow_mut().take();
            grown.ok_or_else(|| io::Error::other("the coro measurement did not finish"))??
        }
        Style::Future | Style::Async => {
            let mut rt = simul_future::Runtime::with_clock(Clock::new_virtual())?;
            let handwritten = style == Style::Future;
            rt.block_on(async move {
                let before = rss()?;
                let mut handles = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    // Keep the handles: a live task with a handle is what
                    // a server holds per connection.
                    handles.push(if handwritten {
                        simul_future::spawn(simul_future::sleep(AN_HOUR))
                    } else {
                        simul_future::spawn(async { simul_future::sleep(AN_HOUR).await })
                    });
                }
                simul_future::yield_now().await;
                let grown = rss()?.saturating_sub(before);
                std::hint::black_box(&handles);
                Ok::<u64, io::Error>(grown)
            })
            .map_err(io::Error::other)??
        }
        Style::Green => {
            let hub = simul_green::Hub::with_clock(Clock::new_virtual())?;
            hub.run(move || -> io::Result<u64> {
                let before = rss()?;
                let mut handles = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    handles.push(simul_green::spawn(|| simul_green::sleep(AN_HOUR))?);
                }
                simul_green::yield_now()?;
                let grown = rss()?.saturating_sub(before);
                std::hint::black_box(&handles);
                Ok(grown)
            })??
        }
        Style::Tokio => {
            let rt = super::tokio_paused_runtime();
            rt.block_on(async move {
                let before = rss()?;
                let started = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
                let handles: Vec<_> = (0..n)
                    .map(|_| {
                        let started = started.clone();
                        tokio::spawn(async move {
                            started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            tokio::time::sleep(AN_HOUR).await
                        })
                    })
                    .collect();
                // tokio's current-thread scheduler comes back to the main
                // future every few dozen tasks: wait until all have started.
                while started.load(std::sync::atomic::Ordering::Relaxed) < n {
                    tokio::task::yield_now().await;
                }
                let grown = rss()?.saturating_sub(before);
                std::hint::black_box(&handles);
                Ok::<u64, io::Error>(grown)
            })?
        }
    };
    Ok(grown / n)
}
