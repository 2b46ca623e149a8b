//! `offload`: closures on the hub's worker threads while the caller parks.

mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Clock;
use util::Log;

/// Long enough that only a broken implementation hits it.
const PATIENCE: Duration = Duration::from_secs(10);

/// Held by every test here that starts offload threads, for as long as
/// its hub lives (declared first, so dropped last): the thread count of
/// `a_thousand_jobs_...` must not see another test's pool.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Offload threads alive in this process, found by name in
/// `/proc/self/task/*/comm` (which keeps the first 15 bytes of
/// "simul-green-offload"); `None` where there is no `/proc`.
fn offload_threads_alive() -> Option<usize> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|comm| comm.trim_end() == "simul-green-off")
            .count(),
    )
}

#[test]
fn the_value_comes_back_and_the_hub_runs_others_meanwhile() {
    let _serial = serial();
    for (name, hub) in
        util::virtual_hubs().into_iter().chain(std::iter::once(("real", Hub::new().unwrap())))
    {
        let log = Log::default();
        let l = log.clone();
        let got = hub
            .run(move || {
                let (tx, rx) = mpsc::channel::<u32>();
                let l2 = l.clone();
                let job = simul_green::spawn(move || {
                    l2.push("offload");
                    // Blocks its worker until a green thread sends: only
                    // possible if the hub runs while the job does.
                    let v = simul_green::offload(move || rx.recv_timeout(PATIENCE))?;
                    l2.push("returned");
                    Ok::<_, Error>(v)
                })
                .unwrap();
                let l3 = l.clone();
                let sender = simul_green::spawn(move || {
                    l3.push("sender runs");
                    tx.send(42).unwrap();
                })
                .unwrap();
                sender.join().unwrap();
                job.join().unwrap()
            })
            .unwrap();
        assert_eq!(got.unwrap().unwrap(), 42, "{name}");
        assert_eq!(log.take(), ["offload", "sender runs", "returned"], "{name}");
    }
}

#[test]
fn a_panic_comes_back_as_an_error_and_the_pool_survives_it() {
    let _serial = serial();
    let hub = Hub::builder().offload_threads(1).build().unwrap();
    hub.run(|| {
        let e = simul_green::offload(|| -> u32 { panic!("job failed: {}", 7) }).unwrap_err();
        assert_eq!(e.panic_message(), Some("job failed: 7"));
        // The one worker caught it and takes the next job.
        assert_eq!(simul_green::offload(|| 5).unwrap(), 5);
    })
    .unwrap();
}

#[test]
fn no_more_jobs_run_at_once_than_the_pool_allows() {
    let _serial = serial();
    const MAX: usize = 2;
    let hub = Hub::builder().offload_threads(MAX).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (r, m) = (running.clone(), most.clone());
    let results = hub
        .run(move || {
            let jobs: Vec<_> = (0..8u64)
                .map(|i| {
                    let (r, m) = (r.clone(), m.clone());
                    simul_green::spawn(move || {
                        simul_green::offload(move || {
                            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                            m.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(5));
                            r.fetch_sub(1, Ordering::SeqCst);
                            i * i
                        })
                    })
                })
                .collect::<Result<_, _>>()
                .unwrap();
            jobs.into_iter().map(|j| j.join().unwrap().unwrap()).collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!(results, (0..8u64).map(|i| i * i).collect::<Vec<_>>());
    assert!(most.load(Ordering::SeqCst) <= MAX, "{} jobs at once", most.load(Ordering::SeqCst));
}

#[test]
fn jobs_of_different_green_threads_run_in_parallel() {
    let _serial = serial();
    // Each job waits for the other one's message: with fewer than two
    // workers (or run on the hub) they could not both finish in time.
    let hub = Hub::builder().offload_threads(2).build().unwrap();
    let (a_tx, a_rx) = mpsc::channel::<()>();
    let (b_tx, b_rx) = mpsc::channel::<()>();
    let (a, b) = hub
        .run(move || {
            let a = simul_green::spawn(move || {
                simul_green::offload(move || {
                    a_tx.send(()).unwrap();
                    b_rx.recv_timeout(PATIENCE).is_ok()
                })
            })
            .unwrap();
            let b = simul_green::spawn(move || {
                simul_green::offload(move || {
                    b_tx.send(()).unwrap();
                    a_rx.recv_timeout(PATIENCE).is_ok()
                })
            })
            .unwrap();
            (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
        })
        .unwrap();
    assert!(a && b);
}

/// Drops record themselves, so the test sees when a job's result went.
struct Tracked(Arc<AtomicBool>);
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_kill_while_the_job_runs_unwinds_the_caller_and_the_job_completes() {
    let _serial = serial();
    let hub = Hub::new().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let result_dropped = Arc::new(AtomicBool::new(false));
    let caller_unwound = Arc::new(AtomicBool::new(false));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (s, rd, cu) = (started.clone(), result_dropped.clone(), caller_unwound.clone());
    hub.run(move || {
        let caller = simul_green::spawn(move || {
            let _guard = Tracked(cu);
            simul_green::offload(move || {
                s.store(true, Ordering::SeqCst);
                release_rx.recv_timeout(PATIENCE).unwrap();
                Tracked(rd)
            })
        })
        .unwrap();
        while !started.load(Ordering::SeqCst) {
            simul_green::sleep(Duration::from_millis(1)).unwrap();
        }
        caller.kill().unwrap();
        assert!(matches!(caller.join(), Err(Error::Killed)));
        assert!(caller_unwound.load(Ordering::SeqCst), "the caller's destructors ran");
        assert!(!result_dropped.load(Ordering::SeqCst), "the job still runs");
        release_tx.send(()).unwrap();
        // The job finishes on its worker; nobody takes its result, which
        // is dropped there.
        let give_up = simul_green::now().unwrap() + PATIENCE;
        while !result_dropped.load(Ordering::SeqCst) {
            assert!(simul_green::now().unwrap() < give_up, "the job never finished");
            simul_green::sleep(Duration::from_millis(1)).unwrap();
        }
        // Its stale wake-up wakes nobody; the hub goes on.
        assert_eq!(simul_green::offload(|| "again").unwrap(), "again");
    })
    .unwrap();
}

#[test]
fn dropping_the_hub_waits_for_a_running_job_and_drops_queued_ones() {
    let _serial = serial();
    let hub = Hub::builder().offload_threads(1).build().unwrap();
    let finished = Arc::new(AtomicBool::new(false));
    let queued_dropped = Arc::new(AtomicBool::new(false));
    let queued_ran = Arc::new(AtomicBool::new(false));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (f, qd, qr) = (finished.clone(), queued_dropped.clone(), queued_ran.clone());
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    hub.run(move || {
        // Both callers are killed when `run` ends; the first job runs on
        // the one worker, the second waits in the queue.
        let _running = simul_green::spawn(move || {
            simul_green::offload(move || {
                s.store(true, Ordering::SeqCst);
                release_rx.recv_timeout(PATIENCE).unwrap();
                f.store(true, Ordering::SeqCst);
            })
        })
        .unwrap();
        let _queued = simul_green::spawn(move || {
            let guard = Tracked(qd);
            simul_green::offload(move || {
                let _guard = guard;
                qr.store(true, Ordering::SeqCst);
            })
        })
        .unwrap();
        while !started.load(Ordering::SeqCst) {
            simul_green::sleep(Duration::from_millis(1)).unwrap();
        }
    })
    .unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        release_tx.send(()).unwrap();
    });
    drop(hub); // joins the worker: returns once the running job is done
    assert!(finished.load(Ordering::SeqCst));
    assert!(queued_dropped.load(Ordering::SeqCst));
    assert!(!queued_ran.load(Ordering::SeqCst));
    releaser.join().unwrap();
}

#[test]
fn many_green_threads_offload_at_once() {
    let _serial = serial();
    const N: u64 = 300;
    let hub = Hub::builder().offload_threads(3).build().unwrap();
    let sum = hub
        .run(|| {
            let jobs: Vec<_> = (0..N)
                .map(|i| {
                    simul_green::spawn(move || {
                        // Two round trips each, so wake-ups overlap parks.
                        let a = simul_green::offload(move || i)?;
                        simul_green::offload(move || a + 1)
                    })
                })
                .collect::<Result<_, _>>()
                .unwrap();
            jobs.into_iter().map(|j| j.join().unwrap().unwrap()).sum::<u64>()
        })
        .unwrap();
    assert_eq!(sum, (1..=N).sum::<u64>());
}

#[test]
fn main_can_offload_under_the_virtual_clock() {
    let _serial = serial();
    let hub = Hub::with_clock(Clock::new_virtual()).unwrap();
    let v = hub.run(|| simul_green::offload(|| std::thread::current().name().map(str::to_owned)));
    assert_eq!(v.unwrap().unwrap().as_deref(), Some("simul-green-offload"));
    assert_eq!(hub.now().since_origin(), Duration::ZERO);
}

#[test]
fn outside_a_hub_the_closure_does_not_run() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let e = simul_green::offload(move || r.store(true, Ordering::SeqCst)).unwrap_err();
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn a_pool_of_zero_threads_is_refused() {
    let e = Hub::builder().offload_threads(0).build().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn a_thousand_jobs_some_panicking_never_exceed_a_pool_of_four() {
    // The catalogue's size: 1,000 jobs from 100 green threads on a pool
    // capped at 4, every 10th panicking.
    const MAX: usize = 4;
    const GREEN: usize = 100;
    const EACH: usize = 10;
    let _serial = serial();
    assert_eq!(offload_threads_alive().unwrap_or(0), 0, "another test's pool is alive");
    let running = Arc::new(AtomicUsize::new(0));
    let most_jobs = Arc::new(AtomicUsize::new(0));
    let most_threads = Arc::new(AtomicUsize::new(0));
    let hub = Hub::builder().offload_threads(MAX).build().unwrap();
    let (r, mj, mt) = (running.clone(), most_jobs.clone(), most_threads.clone());
    let results = hub
        .run(move || {
            let greens: Vec<_> = (0..GREEN)
                .map(|g| {
                    let (r, mj, mt) = (r.clone(), mj.clone(), mt.clone());
                    simul_green::spawn(move || {
                        (0..EACH)
                            .map(|i| {
                                let k = g * EACH + i;
                                let (r, mj, mt) = (r.clone(), mj.clone(), mt.clone());
                                simul_green::offload(move || {
                                    /// Leaves the count however the job ends.
                                    struct Running(Arc<AtomicUsize>);
                                    impl Drop for Running {
                                        fn drop(&mut self) {
                                            self.0.fetch_sub(1, Ordering::SeqCst);
                                        }
                                    }
                                    let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                                    let _running = Running(r);
                                    mj.fetch_max(now, Ordering::SeqCst);
                                    if k.is_multiple_of(10) {
                                        let alive = offload_threads_alive().unwrap_or(0);
                                        mt.fetch_max(alive, Ordering::SeqCst);
                                    }
                                    // Long enough for jobs to overlap.
                                    std::thread::sleep(Duration::from_micros(200));
                                    if k % 10 == 9 {
                                        panic!("job {k} panics");
                                    }
                                    k
                                })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect::<Result<_, _>>()
                .unwrap();
            let mut results = Vec::new();
            for g in greens {
                results.extend(g.join().unwrap());
                let alive = offload_threads_alive().unwrap_or(0);
                mt.fetch_max(alive, Ordering::SeqCst);
            }
            // The pool survived its panics.
            assert_eq!(simul_green::offload(|| "after").unwrap(), "after");
            results
        })
        .unwrap();
    assert_eq!(results.len(), GREEN * EACH);
    for (k, result) in results.into_iter().enumerate() {
        match result {
            Ok(v) => assert!(k % 10 != 9 && v == k, "job {k} returned {v}"),
            Err(e) => {
                assert_eq!(k % 10, 9, "job {k} failed: {e}");
                assert_eq!(e.panic_message(), Some(format!("job {k} panics").as_str()));
            }
        }
    }
    let (jobs, threads) = (most_jobs.load(Ordering::SeqCst), most_threads.load(Ordering::SeqCst));
    eprintln!("at most {jobs} jobs at once, on at most {threads} offload threads");
    assert!((1..=MAX).contains(&jobs), "{jobs} jobs at once");
    assert!(threads <= MAX, "{threads} offload threads");
    if offload_threads_alive().is_some() {
        assert!(threads >= 1, "the threads were not found by name");
    }
    drop(hub); // joins the workers
    assert_eq!(offload_threads_alive().unwrap_or(0), 0, "offload threads outlived the hub");
    assert_eq!(running.load(Ordering::SeqCst), 0);
}
