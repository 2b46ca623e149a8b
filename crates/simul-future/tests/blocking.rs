//! spawn_blocking: a bounded pool, panics as errors, the loop running
//! meanwhile, and deadlock detection that waits for jobs in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use simul_future::{
    JoinError, MAX_BLOCKING_THREADS, Runtime, RuntimeError, join, sleep, spawn_blocking,
};
use simul_reactor::Clock;

#[test]
fn a_thousand_jobs_never_more_than_four_threads_panics_come_back() {
    let mut rt = Runtime::new().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let results = rt
        .block_on(async {
            let handles: Vec<_> = (0..1000u32)
                .map(|i| {
                    let (running, peak) = (running.clone(), peak.clone());
                    spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_micros(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                        if i % 10 == 0 {
                            panic!("job {i}");
                        }
                        i
                    })
                })
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await);
            }
            out
        })
        .unwrap();
    assert!(peak.load(Ordering::SeqCst) <= MAX_BLOCKING_THREADS);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => assert_eq!(v as usize, i),
            Err(JoinError::Panic(_)) => assert_eq!(i % 10, 0),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn the_loop_runs_while_a_job_blocks() {
    let mut rt = Runtime::new().unwrap();
    let (job, ticks) = rt
        .block_on(join(
            async { spawn_blocking(|| std::thread::sleep(Duration::from_millis(100))).await },
            async {
                let mut ticks = 0;
                for _ in 0..5 {
                    sleep(Duration::from_millis(1)).await;
                    ticks += 1;
                }
                ticks
            },
        ))
        .unwrap();
    job.unwrap();
    assert_eq!(ticks, 5);
}

#[test]
fn no_deadlock_report_while_a_job_is_in_flight_then_one_after() {
    let mut rt = Runtime::new().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let r = rt.block_on(async move {
        drop(spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(30));
            d.store(1, Ordering::SeqCst);
        }));
        std::future::pending::<()>().await
    });
    // Reported only once the job had finished (it could have woken us).
    assert!(matches!(r, Err(RuntimeError::Deadlock(_))));
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[test]
fn on_the_virtual_clock_a_job_takes_no_virtual_time() {
    // The job takes 30 ms of real time; a timer an hour away must not fire
    // first: the clock waits for work on other threads before it jumps.
    let clock = Clock::new_virtual();
    let mut rt = Runtime::with_clock(clock.clone()).unwrap();
    let c = clock.clone();
    let (job_at, timer_at) = rt
        .block_on(join(
            async move {
                spawn_blocking(|| std::thread::sleep(Duration::from_millis(30))).await.unwrap();
                c.now().since_origin()
            },
            async {
                sleep(Duration::from_secs(3600)).await;
                clock.now().since_origin()
            },
        ))
        .unwrap();
    assert_eq!(job_at, Duration::ZERO);
    assert_eq!(timer_at, Duration::from_secs(3600));
}
