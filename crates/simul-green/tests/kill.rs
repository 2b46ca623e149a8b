//! Killing: the victim's stack unwinds and its destructors run.

mod util;

use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::Interest;
use util::{Log, virtual_hubs};

/// Logs its name when dropped.
struct Guard(&'static str, Log);
impl Drop for Guard {
    fn drop(&mut self) {
        self.1.push(format!("drop {}", self.0));
    }
}

#[test]
fn kill_unwinds_a_sleeping_thread_running_destructors_innermost_first() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        hub.run(move || {
            let l2 = l.clone();
            let h = simul_green::spawn(move || {
                let _outer = Guard("outer", l2.clone());
                fn nested(l: &Log) {
                    let _inner = Guard("inner", l.clone());
                    simul_green::sleep(Duration::from_secs(3600)).unwrap();
                    l.push("woke up (must not happen)");
                }
                nested(&l2);
            })
            .unwrap();
            simul_green::yield_now().unwrap();
            l.push("killing");
            h.kill().unwrap();
            l.push("killed");
            assert!(matches!(h.join(), Err(Error::Killed)));
            // The sleeper's timer is stale: the clock did not jump an hour.
            assert_eq!(simul_green::now().unwrap().as_nanos(), 0);
        })
        .unwrap();
        assert_eq!(log.take(), ["killing", "drop inner", "drop outer", "killed"], "{backend}");
    }
}

#[test]
fn killing_an_unstarted_thread_drops_its_closure_without_running_it() {
    let hub = Hub::new().unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let g = Guard("captured", l.clone());
        let l2 = l.clone();
        let h = simul_green::spawn(move || {
            let _g = g;
            l2.push("ran (must not happen)");
        })
        .unwrap();
        h.kill().unwrap();
        assert!(matches!(h.join(), Err(Error::Killed)));
    })
    .unwrap();
    assert_eq!(log.take(), ["drop captured"]);
}

#[test]
fn killing_a_finished_thread_keeps_its_value() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let h = simul_green::spawn(|| 9).unwrap();
        simul_green::yield_now().unwrap();
        h.kill().unwrap();
        h.kill().unwrap(); // twice: still nothing
        assert_eq!(h.join().unwrap(), 9);
    })
    .unwrap();
}

#[test]
fn a_caught_kill_is_raised_again_at_the_next_wait() {
    let hub = Hub::new().unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let l2 = l.clone();
        let h = simul_green::spawn(move || {
            let first =
                catch_unwind(AssertUnwindSafe(|| simul_green::sleep(Duration::from_secs(60))));
            l2.push(format!("caught: {}", first.is_err()));
            simul_green::yield_now().unwrap(); // unwinds again
            l2.push("after second wait (must not happen)");
        })
        .unwrap();
        simul_green::yield_now().unwrap();
        h.kill().unwrap();
        assert!(matches!(h.join(), Err(Error::Killed)));
    })
    .unwrap();
    assert_eq!(log.take(), ["caught: true"]);
}

#[test]
fn a_thread_can_kill_itself() {
    let hub = Hub::new().unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let cell: Rc<std::cell::RefCell<Option<simul_green::JoinHandle<()>>>> = Default::default();
        let c = cell.clone();
        let l2 = l.clone();
        let h = simul_green::spawn(move || {
            let _g = Guard("self", l2.clone());
            simul_green::yield_now().unwrap();
            let me = c.borrow_mut().take().unwrap();
            let _ = me.kill();
            l2.push("after self-kill (must not happen)");
        })
        .unwrap();
        let id = h.id();
        *cell.borrow_mut() = Some(h);
        simul_green::yield_now().unwrap();
        simul_green::yield_now().unwrap();
        assert_eq!(id.to_string(), "#1");
    })
    .unwrap();
    assert_eq!(log.take(), ["drop self"]);
}

#[test]
fn run_kills_leftover_threads_when_main_returns() {
    for (backend, hub) in virtual_hubs() {
        let log = Log::default();
        let l = log.clone();
        let dropped = Rc::new(Cell::new(0));
        let d = dropped.clone();
        hub.run(move || {
            for name in ["sleeper", "yielder"] {
                let l = l.clone();
                let d = d.clone();
                drop(
                    simul_green::spawn(move || {
                        let _g = Guard(name, l);
                        struct Count(Rc<Cell<u32>>);
                        impl Drop for Count {
                            fn drop(&mut self) {
                                self.0.set(self.0.get() + 1);
                            }
                        }
                        let _c = Count(d);
                        loop {
                            if name == "sleeper" {
                                simul_green::sleep(Duration::from_secs(1)).unwrap();
                            } else {
                                simul_green::yield_now().unwrap();
                            }
                        }
                    })
                    .unwrap(),
                );
            }
            simul_green::yield_now().unwrap();
        })
        .unwrap();
        assert_eq!(log.take(), ["drop sleeper", "drop yielder"], "{backend}");
        assert_eq!(dropped.get(), 2, "{backend}: each destructor exactly once");
    }
}

#[test]
fn kill_while_waiting_on_a_descriptor_deregisters_it() {
    let hub = Hub::new().unwrap();
    hub.run(|| {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let fd = a.as_raw_fd();
        let h = simul_green::spawn(move || simul_green::wait_fd(fd, Interest::READABLE)).unwrap();
        simul_green::yield_now().unwrap();
        h.kill().unwrap();
        assert!(matches!(h.join(), Err(Error::Killed)));
        // The registration is gone: the descriptor can be waited on again.
        let w = simul_green::spawn(move || simul_green::wait_fd(fd, Interest::READABLE)).unwrap();
        std::io::Write::write_all(&mut &b, b"x").unwrap();
        w.join().unwrap().unwrap();
        drop(a);
    })
    .unwrap();
}

#[test]
fn a_parked_thread_killed_twice_and_by_two_killers_unwinds_once() {
    let hub = Hub::new().unwrap();
    let log = Log::default();
    let l = log.clone();
    hub.run(move || {
        let l2 = l.clone();
        let victim = Rc::new(
            simul_green::spawn(move || {
                let _g = Guard("victim's guard", l2);
                simul_green::sleep(Duration::from_secs(3600))
            })
            .unwrap(),
        );
        simul_green::yield_now().unwrap(); // it parks in its sleep
        // Two green threads kill it at once: the first flags it and waits,
        // the second finds it flagged and waits too; both see it end.
        let killers: Vec<_> = (0..2)
            .map(|i| {
                let (v, l) = (victim.clone(), l.clone());
                simul_green::spawn(move || {
                    let r = v.kill();
                    l.push(format!("killer {i}: {r:?}, finished {}", v.is_finished()));
                })
                .unwrap()
            })
            .collect();
        for k in killers {
            k.join().unwrap();
        }
        // And once more from main, after the end: nothing to do.
        assert!(victim.kill().is_ok());
        let victim = Rc::try_unwrap(victim).unwrap();
        let e = victim.join().unwrap_err();
        assert!(matches!(e, Error::Killed), "{e:?}");
        assert_eq!(e.to_string(), "the green thread was killed");
    })
    .unwrap();
    let mut log = log.take();
    log[1..].sort(); // the order the two killers are woken in is not the point
    assert_eq!(
        log,
        [
            "drop victim's guard",
            "killer 0: Ok(()), finished true",
            "killer 1: Ok(()), finished true"
        ]
    );
}

/// Run as a child by the next test: a destructor that panics while a
/// kill unwinds its thread.
const ABORT_CHILD: &str = "SIMUL_GREEN_KILL_ABORT_CHILD";

#[test]
fn a_destructor_that_panics_during_a_kill_aborts_as_any_panic_during_unwinding_does() {
    // A kill unwinds the stack like a panic, and Rust aborts the process
    // on a panic while unwinding: no runtime can catch that one (the hub
    // never gets control back). This pins down what happens, in a child
    // process: an abort that names the cause, not a hang or a silent
    // exit. (The panics that can be caught are: panics.rs.)
    if std::env::var_os(ABORT_CHILD).is_some() {
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("destructor panics during the kill");
            }
        }
        let hub = Hub::new().unwrap();
        hub.run(|| {
            let h = simul_green::spawn(|| {
                let _bomb = PanicsOnDrop;
                simul_green::sleep(Duration::from_secs(3600))
            })
            .unwrap();
            simul_green::yield_now().unwrap();
            let _ = h.kill(); // aborts in the victim's unwind
        })
        .unwrap();
        return; // not reached: the child's parent sees the abort
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_destructor_that_panics_during_a_kill_aborts_as_any_panic_during_unwinding_does",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ABORT_CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(6), "not SIGABRT: {:?}\n{stderr}", out.status);
    assert!(stderr.contains("destructor panics during the kill"), "{stderr}");
    assert!(stderr.contains("panic in a destructor during cleanup"), "{stderr}");
}
