//! sleep, sleep_until, interval and timeout under the virtual clock:
//! exact instants, deadline order, cancellation.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use simul_future::{
    Either, Elapsed, JoinSet, Runtime, Sleep, interval, join, now, select, sleep, sleep_until,
    spawn, timeout, yield_now,
};
use simul_reactor::{Clock, Instant};
use simul_testkit::cpu::thread_cpu_ticks;

fn virtual_rt() -> Runtime {
    Runtime::with_clock(Clock::new_virtual()).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn sleepers_wake_in_deadline_order_ties_in_start_order_exactly_on_time() {
    let mut rt = virtual_rt();
    let log: Rc<RefCell<Vec<(u64, u128)>>> = Rc::default();
    let l = log.clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        for (id, d) in [(0, 30), (1, 10), (2, 20), (3, 10), (4, 0)] {
            let l = l.clone();
            set.spawn(async move {
                sleep(ms(d)).await;
                l.borrow_mut().push((id, now().since_origin().as_millis()));
            });
        }
        while set.join_next().await.is_some() {}
    })
    .unwrap();
    assert_eq!(*log.borrow(), [(4, 0), (1, 10), (3, 10), (2, 20), (0, 30)]);
}

#[test]
fn sleep_until_the_past_is_immediate_and_never_early() {
    let mut rt = virtual_rt();
    rt.block_on(async {
        sleep(ms(5)).await;
        sleep_until(Instant::from_nanos(1)).await;
        assert_eq!(now().since_origin(), ms(5));
        sleep_until(Instant::from_nanos(5_000_001)).await;
        assert_eq!(now(), Instant::from_nanos(5_000_001));
    })
    .unwrap();
}

#[test]
fn huge_and_zero_sleeps_beside_a_one_ms_timer() {
    let mut rt = virtual_rt();
    rt.block_on(async {
        let far = spawn(sleep(Duration::MAX));
        let ten_years = spawn(sleep(Duration::from_secs(10 * 365 * 24 * 3600)));
        sleep(Duration::ZERO).await;
        assert_eq!(now(), Instant::ZERO);
        sleep(ms(1)).await;
        assert_eq!(now().since_origin(), ms(1));
        assert!(!far.is_finished() && !ten_years.is_finished());
        far.abort();
        ten_years.abort();
    })
    .unwrap();
}

#[test]
fn timeout_is_exact_and_drops_the_slow_future() {
    let mut rt = virtual_rt();
    let dropped = Rc::new(RefCell::new(false));
    let d = dropped.clone();
    rt.block_on(async move {
        struct Flag(Rc<RefCell<bool>>);
        impl Drop for Flag {
            fn drop(&mut self) {
                *self.0.borrow_mut() = true;
            }
        }
        let slow = async move {
            let _f = Flag(d);
            sleep(ms(500)).await;
        };
        assert_eq!(timeout(ms(200), slow).await, Err(Elapsed));
        assert_eq!(now().since_origin(), ms(200));
        assert_eq!(timeout(ms(200), sleep(ms(199))).await, Ok(()));
        assert_eq!(now().since_origin(), ms(399));
        // A future ready at once wins even a zero timeout.
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
    })
    .unwrap();
    assert!(*dropped.borrow());
}

#[test]
fn cancelled_sleeps_leave_no_timer_behind() {
    let mut rt = virtual_rt();
    rt.block_on(async {
        // The losing sleep is dropped; had its timer stayed, the virtual
        // clock would later jump to it before reporting... nothing, and
        // the final instant would be wrong.
        assert_eq!(select(sleep(ms(10)), sleep(ms(1000))).await, Either::Left(()));
        let h = spawn(sleep(ms(50)));
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    })
    .unwrap();
    assert_eq!(rt.clock().now().since_origin(), ms(10));
    // Nothing left: awaiting forever is now reported, not slept through.
    assert!(rt.block_on(std::future::pending::<()>()).is_err());
    assert_eq!(rt.clock().now().since_origin(), ms(10));
}

#[test]
fn interval_ticks_without_drift_and_skips_missed_ticks() {
    let mut rt = virtual_rt();
    let clock = rt.clock();
    let ticks = rt
        .block_on(async move {
            let mut every = interval(ms(100));
            let mut ticks = Vec::new();
            for i in 0..5 {
                let due = every.tick().await;
                ticks.push((due.since_origin().as_millis(), now().since_origin().as_millis()));
                if i == 1 {
                    // The loop is blocked for 250 ms (blocking work): the
                    // tick due at 300 completes late, once, at 450; the
                    // one at 400 is skipped.
                    clock.block_for(ms(250));
                }
            }
            ticks
        })
        .unwrap();
    assert_eq!(ticks, [(100, 100), (200, 200), (300, 450), (500, 500), (600, 600)]);
}

#[test]
fn a_sleep_moved_to_another_task_wakes_that_task() {
    let mut rt = virtual_rt();
    let out = rt
        .block_on(async {
            let mut s = Box::pin(sleep(ms(30)));
            // Poll it once here, then hand it to a task.
            let first = select(s.as_mut(), std::future::ready(())).await;
            assert_eq!(first, Either::Right(()));
            spawn(async move {
                s.await;
                now().since_origin()
            })
            .await
            .unwrap()
        })
        .unwrap();
    assert_eq!(out, ms(30));
}

#[test]
fn two_sleeps_joined_take_the_longer() {
    let mut rt = virtual_rt();
    rt.block_on(async {
        join(sleep(ms(3000)), sleep(ms(2000))).await;
        assert_eq!(now().since_origin(), ms(3000));
    })
    .unwrap();
}

/// Item 9 on the real clock: sleeps are never early, and a thousand
/// sub-millisecond ones (360 ms asked in all) are slept in the kernel, not
/// spun: spinning to each deadline would burn at least 36 ticks of CPU
/// (10 ms each) on this thread; the bound is half that, wide enough for a
/// loaded machine or strace in `scripts/eintr.sh`.
#[test]
fn real_clock_sleep_is_never_early() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        for us in [0, 100, 1_000, 3_000] {
            let start = now();
            sleep(Duration::from_micros(us)).await;
            assert!(now() - start >= Duration::from_micros(us));
        }
        let mut asked = Duration::ZERO;
        let before = thread_cpu_ticks();
        for _ in 0..200 {
            for us in [50u64, 100, 250, 500, 900] {
                let d = Duration::from_micros(us);
                let start = now();
                sleep(d).await;
                assert!(now() - start >= d, "a {us} µs sleep ended early");
                asked += d;
            }
        }
        let (Some(before), Some(after)) = (before, thread_cpu_ticks()) else {
            return; // no per-thread CPU times here: the never-early half ran
        };
        let spin_ticks = (asked.as_millis() / 10) as u64;
        assert_eq!(spin_ticks, 36);
        let ticks = after - before;
        assert!(
            ticks < spin_ticks / 2,
            "{ticks} ticks of CPU for {asked:?} of sleeps: a busy loop"
        );
    })
    .unwrap();
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Item 23: a `Sleep` polled with no runtime, whether it never had one or
/// its runtime was dropped, fails at once with the documented panic,
/// which says what is wrong (as tokio's does). It is a panic, not an
/// error, because `Sleep`'s output is `()`: an error would change every
/// `sleep(d).await` for the sake of a misuse. Dropping it there is fine.
#[test]
#[allow(clippy::async_yields_async)] // the sleep is handed out on purpose
fn a_sleep_polled_without_a_runtime_panics_at_once_saying_so() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let expected =
        "simul_future: timers need a runtime: await this inside Runtime::block_on or a task";

    // Never inside a runtime.
    let mut orphan = sleep(ms(10));
    let payload = catch_unwind(AssertUnwindSafe(|| util::poll_once(&mut orphan))).unwrap_err();
    assert_eq!(panic_message(&*payload), expected);
    drop(orphan);

    // Made and queued inside a runtime that is then dropped.
    let mut rt = virtual_rt();
    let mut left = rt
        .block_on(async {
            let mut s = sleep(ms(10));
            assert!(util::poll_once(&mut s).is_pending());
            s
        })
        .unwrap();
    drop(rt);
    let payload = catch_unwind(AssertUnwindSafe(|| util::poll_once(&mut left))).unwrap_err();
    assert_eq!(panic_message(&*payload), expected);
    let payload = catch_unwind(now).unwrap_err();
    assert_eq!(panic_message(&*payload), expected);
    drop(left); // its timer died with its runtime: nothing to cancel
}

/// A sleep queued in a runtime that was then dropped, used in a new one:
/// it neither hangs nor touches the new runtime's timers. (Regression:
/// runtimes were told apart by the address of their shared part, which
/// the next runtime usually gets again; the stale sleep then cancelled
/// the new runtime's timer that had its old key, and the task behind that
/// timer slept forever.)
#[test]
fn a_sleep_from_a_dropped_runtime_leaves_the_next_runtimes_timers_alone() {
    /// A sleep of 10 s queued (first timer, first key) in a dropped runtime.
    #[allow(clippy::async_yields_async)] // the sleep is handed out on purpose
    fn stale_sleep() -> Sleep {
        let mut old = virtual_rt();
        old.block_on(async {
            let mut s = sleep(Duration::from_secs(10));
            assert!(util::poll_once(&mut s).is_pending());
            s
        })
        .unwrap()
    }

    // Awaited in the new runtime: it waits there, to its own deadline.
    let stale = stale_sleep();
    let mut rt = virtual_rt();
    let (other, stale_done) = rt
        .block_on(async move {
            let other = spawn(async {
                sleep(Duration::from_secs(1)).await;
                now()
            });
            yield_now().await; // `other` queues its timer: the first key
            stale.await;
            (other.await.unwrap(), now())
        })
        .expect("no task may be left asleep");
    assert_eq!(other, Instant::from_nanos(1_000_000_000));
    assert_eq!(stale_done, Instant::from_nanos(10_000_000_000));
    drop(rt);

    // Polled once and dropped in the new runtime: no timer is cancelled.
    let stale = stale_sleep();
    let mut rt = virtual_rt();
    let other = rt
        .block_on(async move {
            let other = spawn(async {
                sleep(Duration::from_secs(1)).await;
                now()
            });
            yield_now().await;
            let mut stale = stale;
            assert!(util::poll_once(&mut stale).is_pending());
            drop(stale);
            other.await.unwrap()
        })
        .expect("no task may be left asleep");
    assert_eq!(other, Instant::from_nanos(1_000_000_000));
}
