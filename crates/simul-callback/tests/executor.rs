//! run_in_executor: results come back on the loop, panics as errors, the
//! pool never exceeds its cap.

mod util;

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use simul_callback::{EventLoop, ExecutorError};

/// Reliability item 20: 1,000 jobs on a pool capped at 4, every 10th
/// panicking. Each result (or panic, as `ExecutorError::Panicked`) comes
/// back once, on the loop's thread; never more than 4 jobs run at once and
/// never more than 4 worker threads exist.
#[test]
fn results_come_back_on_the_loop_and_panics_as_errors() {
    const JOBS: u32 = 1_000;
    let mut lp = EventLoop::new().unwrap();
    lp.set_executor_workers(NonZeroUsize::new(4).unwrap());
    let results = Rc::new(RefCell::new(Vec::new()));
    let loop_thread = std::thread::current().id();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let max_threads = Rc::new(std::cell::Cell::new(0));
    for i in 0..JOBS {
        let r = results.clone();
        let (running, peak) = (running.clone(), peak.clone());
        let m = max_threads.clone();
        lp.run_in_executor(
            move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Leave the count before a panic can skip it.
                let outcome = if i % 10 == 3 { None } else { Some(i * 2) };
                running.fetch_sub(1, Ordering::SeqCst);
                outcome.unwrap_or_else(|| panic!("job {i} failed"))
            },
            move |lp, result| {
                assert_eq!(std::thread::current().id(), loop_thread);
                m.set(m.get().max(lp.executor_threads()));
                r.borrow_mut().push((i, result));
            },
        )
        .unwrap();
        max_threads.set(max_threads.get().max(lp.executor_threads()));
    }
    let r = results.clone();
    lp.run_until(move |_| r.borrow().len() == JOBS as usize).unwrap();
    let mut got = results.borrow_mut();
    got.sort_by_key(|(i, _)| *i);
    assert_eq!(got.len(), JOBS as usize);
    for (n, (i, result)) in got.iter().enumerate() {
        assert_eq!(*i as usize, n, "every job answered exactly once");
        if i % 10 == 3 {
            assert_eq!(*result, Err(ExecutorError::Panicked(format!("job {i} failed"))));
        } else {
            assert_eq!(*result, Ok(i * 2));
        }
    }
    let peak = peak.load(Ordering::SeqCst);
    assert!((1..=4).contains(&peak), "{peak} jobs ran at once");
    assert!(max_threads.get() <= 4, "{} worker threads", max_threads.get());
    assert!(lp.executor_threads() <= 4);
}

#[test]
fn the_pool_never_exceeds_its_cap() {
    let mut lp = EventLoop::new().unwrap();
    lp.set_executor_workers(NonZeroUsize::new(3).unwrap());
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Rc::new(std::cell::Cell::new(0));
    let max_threads = Rc::new(std::cell::Cell::new(0));
    for _ in 0..60 {
        let (running, peak) = (running.clone(), peak.clone());
        let (d, m) = (done.clone(), max_threads.clone());
        lp.run_in_executor(
            move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
                running.fetch_sub(1, Ordering::SeqCst);
            },
            move |lp, r| {
                r.unwrap();
                d.set(d.get() + 1);
                m.set(m.get().max(lp.executor_threads()));
            },
        )
        .unwrap();
    }
    assert!(lp.executor_threads() <= 3);
    let d = done.clone();
    lp.run_until(move |_| d.get() == 60).unwrap();
    assert!(peak.load(Ordering::SeqCst) <= 3, "peak {}", peak.load(Ordering::SeqCst));
    assert!(peak.load(Ordering::SeqCst) >= 1);
    assert!(max_threads.get() <= 3);
}

/// With a job running and no timers, the loop blocks until the job's
/// result wakes it, also on the virtual clock (which cannot jump: there is
/// no deadline).
#[test]
fn the_virtual_clock_waits_for_running_jobs() {
    let mut lp = util::virtual_loop();
    let got = Rc::new(RefCell::new(None));
    let g = got.clone();
    lp.run_in_executor(
        || {
            std::thread::sleep(Duration::from_millis(20));
            7
        },
        move |_, r| *g.borrow_mut() = Some(r),
    )
    .unwrap();
    let g = got.clone();
    lp.run_until(move |_| g.borrow().is_some()).unwrap();
    assert_eq!(*got.borrow(), Some(Ok(7)));
    assert_eq!(lp.time().since_origin(), Duration::ZERO, "no timer: virtual time did not move");
}
