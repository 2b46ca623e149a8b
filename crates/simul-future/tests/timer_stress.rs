//! Reliability item 7 for futures: many sleepers, half of them cancelled
//! or reset, some from inside other sleepers' wake-ups.
//!
//! Every sleeper is a task with a random deadline of 1 ms to 1 s (many
//! share one). A quarter of them are cancelled: half of those by
//! `JoinHandle::abort`, half by dropping their `Sleep` (a `select` against
//! an event that another task sets), a few sleeping past every survivor.
//! Another quarter have their `Sleep` moved by `Sleep::reset` from
//! another task while they wait, half to an earlier deadline and half to
//! a later one. Each cancel and reset is made either at time 0 by a
//! controller task or from inside the wake-up of a sleeper that wakes
//! strictly earlier, always while its victim still sleeps.
//!
//! What must hold, on the virtual clock: exactly the sleeps not cancelled
//! complete, each at its exact (final) deadline, in deadline order, ties
//! in the order their timers were set (the first poll of the sleep, or
//! the reset, which counts as setting it again); the cancelled tasks end
//! as cancelled (aborted) or without their sleep completing (dropped);
//! the clock stops at the last completion, not at a cancelled sleep's
//! deadline; and no timer or task is left behind.
//!
//! CI size: 20,000 sleepers. `SIMUL_FULL=1`: 100,000.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{
    Either, Event, JoinHandle, Runtime, RuntimeError, Sleep, now, select, sleep_until, spawn,
};
use simul_reactor::{Clock, Instant};

fn sleepers() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 100_000 } else { 20_000 }
}

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn at(ms: u64) -> Instant {
    Instant::ZERO.saturating_add(Duration::from_millis(ms))
}

/// What happens to a sleeper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Left alone.
    Survives,
    /// Its task is aborted.
    Aborted,
    /// Its sleep is dropped: the `select` it sleeps in takes the event.
    Dropped,
    /// Its sleep is reset to this deadline (ms), earlier or later.
    Reset(u64),
}

/// Something done to a victim.
#[derive(Clone, Copy, Debug)]
enum Action {
    Abort(usize),
    Drop(usize),
    Reset(usize, u64),
}

/// A `Sleep` that other tasks can reach, polled by its own task.
struct SharedSleep(Rc<RefCell<Sleep>>);

impl Future for SharedSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut *self.0.borrow_mut()).poll(cx)
    }
}

/// What the sleepers share.
#[derive(Default)]
struct World {
    /// (when, sleeper) for each sleep that completed, in completion order.
    completed: RefCell<Vec<(Instant, usize)>>,
    /// Per sleeper, when its timer was last set: a global counter taken
    /// just before the sleep's first poll, or at its reset.
    armed: RefCell<Vec<u64>>,
    next_arm: Cell<u64>,
    /// Per sleeper, what it does when it wakes.
    plan: RefCell<Vec<Vec<Action>>>,
    /// Per sleeper, its handle (for aborts), its event (for drops), its
    /// shared sleep (for resets).
    handles: RefCell<Vec<Option<JoinHandle<&'static str>>>>,
    events: RefCell<Vec<Option<Rc<Event>>>>,
    sleeps: RefCell<Vec<Option<Rc<RefCell<Sleep>>>>>,
    /// Tasks that end by themselves (all but the aborted ones) still to
    /// end, and the event set when the last one does.
    running: Cell<usize>,
    all_ended: Event,
    /// Cancels and resets done, and how many of them from wake-ups.
    done: Cell<usize>,
    from_wake_ups: Cell<usize>,
}

impl World {
    fn ended(&self) {
        self.running.set(self.running.get() - 1);
        if self.running.get() == 0 {
            self.all_ended.set();
        }
    }

    fn arm(&self, i: usize) {
        let n = self.next_arm.get();
        self.next_arm.set(n + 1);
        self.armed.borrow_mut()[i] = n;
    }

    /// Does `action`; its victim must still be asleep.
    fn act(&self, action: Action) {
        match action {
            Action::Abort(v) => {
                let handles = self.handles.borrow();
                let h = handles[v].as_ref().unwrap();
                assert!(!h.is_finished(), "victim {v} finished before its abort");
                h.abort();
            }
            Action::Drop(v) => self.events.borrow()[v].as_ref().unwrap().set(),
            Action::Reset(v, ms) => {
                let sleeps = self.sleeps.borrow();
                let mut s = sleeps[v].as_ref().unwrap().borrow_mut();
                assert!(s.deadline().unwrap() > now(), "victim {v} woke before its reset");
                assert!(at(ms) > now(), "a reset into the past");
                s.reset(at(ms));
                self.arm(v);
            }
        }
        self.done.set(self.done.get() + 1);
    }
}

#[test]
fn exactly_the_sleeps_not_cancelled_complete_in_deadline_order_at_exact_times() {
    let n = sleepers();
    let mut rng = Lcg(24);
    // Sleepers 0, 2, 4, ... survive; 1, 5, 9, ... are cancelled (aborted
    // or dropped, alternately); 3, 7, 11, ... are reset (earlier or later).
    let deadline: Vec<u64> = (0..n)
        .map(|i| if i % 40 == 1 || i % 40 == 5 { 5_000 } else { 1 + rng.below(1000) })
        .collect();
    let mut fate = vec![Fate::Survives; n];
    // Sleepers that keep their deadline, by deadline: candidates to act
    // from their wake-ups.
    let mut actors: Vec<usize> = (0..n).filter(|i| i % 2 == 0).collect();
    actors.sort_by_key(|&i| deadline[i]);
    let mut at_start = Vec::new();
    let mut plan: Vec<Vec<Action>> = vec![Vec::new(); n];
    for v in (0..n).filter(|i| i % 2 == 1) {
        let d = deadline[v];
        let action = match (v % 4, (v / 4) % 2) {
            (1, 0) => Action::Abort(v),
            (1, _) => Action::Drop(v),
            _ => Action::Reset(v, 0),
        };
        // From a wake-up half the time, when a sleeper wakes strictly
        // before the victim (and, for a reset earlier, before the new
        // deadline too); otherwise at time 0.
        let earlier = actors.partition_point(|&a| deadline[a] + 1 < d);
        let actor =
            (rng.below(2) == 0 && earlier > 0).then(|| actors[rng.below(earlier as u64) as usize]);
        let t = actor.map_or(0, |a| deadline[a]);
        let action = match action {
            Action::Reset(v, _) => {
                let later = (v / 4) % 2 == 1 || d < t + 2;
                let new =
                    if later { d + 1 + rng.below(1000) } else { t + 1 + rng.below(d - t - 1) };
                fate[v] = Fate::Reset(new);
                Action::Reset(v, new)
            }
            Action::Abort(_) => {
                fate[v] = Fate::Aborted;
                action
            }
            Action::Drop(_) => {
                fate[v] = Fate::Dropped;
                action
            }
        };
        match actor {
            Some(a) => plan[a].push(action),
            None => at_start.push(action),
        }
    }

    let world = Rc::new(World {
        armed: RefCell::new(vec![u64::MAX; n]),
        plan: RefCell::new(plan),
        handles: RefCell::new((0..n).map(|_| None).collect()),
        events: RefCell::new((0..n).map(|_| None).collect()),
        sleeps: RefCell::new((0..n).map(|_| None).collect()),
        running: Cell::new(fate.iter().filter(|f| **f != Fate::Aborted).count()),
        ..World::default()
    });

    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let w = world.clone();
    let fates = fate.clone();
    let deadlines = deadline.clone();
    let results = rt
        .block_on(async move {
            for i in 0..n {
                let w2 = w.clone();
                let d = at(deadlines[i]);
                let handle = match fates[i] {
                    Fate::Dropped => {
                        let event = Rc::new(Event::new());
                        w.events.borrow_mut()[i] = Some(event.clone());
                        spawn(async move {
                            w2.arm(i);
                            match select(sleep_until(d), event.wait()).await {
                                Either::Left(()) => panic!("sleeper {i}'s dropped sleep completed"),
                                Either::Right(()) => {}
                            }
                            w2.ended();
                            "dropped"
                        })
                    }
                    Fate::Reset(_) => {
                        let shared = Rc::new(RefCell::new(sleep_until(d)));
                        w.sleeps.borrow_mut()[i] = Some(shared.clone());
                        spawn(async move {
                            w2.arm(i);
                            SharedSleep(shared).await;
                            w2.completed.borrow_mut().push((now(), i));
                            w2.ended();
                            "slept"
                        })
                    }
                    Fate::Survives | Fate::Aborted => spawn(async move {
                        w2.arm(i);
                        sleep_until(d).await;
                        w2.completed.borrow_mut().push((now(), i));
                        let todo = std::mem::take(&mut w2.plan.borrow_mut()[i]);
                        for action in todo {
                            w2.act(action);
                            w2.from_wake_ups.set(w2.from_wake_ups.get() + 1);
                        }
                        w2.ended();
                        "slept"
                    }),
                };
                w.handles.borrow_mut()[i] = Some(handle);
            }
            // The controller: spawned last, so it runs once every sleeper
            // has gone to sleep, still at time 0.
            let w2 = w.clone();
            spawn(async move {
                assert_eq!(now(), Instant::ZERO);
                for action in at_start {
                    w2.act(action);
                }
            })
            .await
            .unwrap();
            w.all_ended.wait().await;
            let handles: Vec<_> = w.handles.borrow_mut().iter_mut().map(|h| h.take()).collect();
            let mut results = Vec::with_capacity(n);
            for h in handles {
                results.push(h.unwrap().await);
            }
            results
        })
        .unwrap_or_else(|e| match e {
            // Thousands of stuck tasks: name the first few only.
            RuntimeError::Deadlock(d) => panic!(
                "{} tasks stuck, first: {:?}",
                d.stuck.len(),
                &d.stuck[..d.stuck.len().min(4)]
            ),
            e => panic!("{e}"),
        });

    let from_wake_ups = world.from_wake_ups.get();
    assert_eq!(world.done.get(), n / 2, "every cancel and reset was made");
    assert!(from_wake_ups > n / 8, "only {from_wake_ups} from wake-ups");
    for (i, r) in results.into_iter().enumerate() {
        match fate[i] {
            Fate::Aborted => assert!(r.unwrap_err().is_cancelled(), "sleeper {i}"),
            Fate::Dropped => assert_eq!(r.unwrap(), "dropped", "sleeper {i}"),
            Fate::Survives | Fate::Reset(_) => assert_eq!(r.unwrap(), "slept", "sleeper {i}"),
        }
    }

    // The sleeps that completed: exactly the ones not cancelled, at their
    // final deadlines, in deadline order, ties in the order they were set.
    let armed = world.armed.borrow();
    let mut expected: Vec<(Instant, usize)> = (0..n)
        .filter_map(|i| match fate[i] {
            Fate::Survives => Some((at(deadline[i]), i)),
            Fate::Reset(ms) => Some((at(ms), i)),
            Fate::Aborted | Fate::Dropped => None,
        })
        .collect();
    expected.sort_by_key(|&(t, i)| (t, armed[i]));
    let completed = world.completed.borrow();
    assert_eq!(completed.len(), expected.len(), "not exactly the survivors completed");
    if let Some(k) = (0..expected.len()).find(|&k| completed[k] != expected[k]) {
        panic!(
            "completion {k}: sleeper {} at {:?}, expected sleeper {} at {:?} (its fate {:?})",
            completed[k].1, completed[k].0, expected[k].1, expected[k].0, fate[expected[k].1]
        );
    }
    let last = expected.last().unwrap().0;
    assert_eq!(rt.clock().now(), last, "the clock moved past the last survivor");

    // Nothing left: no timer (the clock would move), no task.
    match rt.block_on(std::future::pending::<()>()) {
        Err(RuntimeError::Deadlock(d)) => assert_eq!(d.stuck.len(), 1, "tasks left: {d}"),
        other => panic!("expected a deadlock report, got {other:?}"),
    }
    assert_eq!(rt.clock().now(), last, "a cancelled timer was left behind");
}
