//! Reliability item 7 for green threads: many timers, half of them
//! cancelled or reset, some from inside other timers' wake-ups. The hub
//! has no timer object: a timer is a green thread sleeping in
//! [`simul_green::sleep`], cancelling it is [`JoinHandle::kill`], and
//! with no way to move a pending sleep, a reset is a kill plus a new
//! sleeper with the new deadline.
//!
//! Sleepers get random deadlines of 1 ms to 1 s on the virtual clock,
//! many sharing one; every other one is a victim, and one victim in 25
//! sleeps 5 s, past every survivor. A quarter of all are killed by main at
//! time 0; the other quarter from inside the wake-up of a survivor whose
//! deadline comes strictly earlier, half of those reset to a new deadline
//! (earlier or later than the old one, unique to the nanosecond). Checked:
//! exactly the survivors and the replacements wake, each at exactly its
//! deadline, in deadline order (ties in the order they went to sleep); no
//! victim ever wakes; each kill finds its victim still asleep and its join
//! says `Killed`; every closure is dropped exactly once; the clock stops
//! at the last survivor, not at a killed later one.
//!
//! Size: each sleeper holds a stack, two memory mappings (the stack and
//! its guard page), and Linux allows `vm.max_map_count` (65,530 by
//! default) per process, so the catalogue's 100,000 are out of reach by
//! default. CI: 5,000 sleepers. `SIMUL_FULL=1`: as many as the map limit
//! read from /proc/sys/vm/max_map_count leaves room for, at most 100,000
//! (about 31,000 by default; run it with `--release`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use simul_green::{Error, Hub, JoinHandle};
use simul_reactor::{Clock, Instant};

/// How many sleepers: see the module docs.
fn sleepers() -> usize {
    if std::env::var_os("SIMUL_FULL").is_none() {
        return 5_000;
    }
    let limit: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530);
    let used = std::fs::read_to_string("/proc/self/maps").map_or(1_000, |m| m.lines().count());
    // Two mappings per stack; room left for the replacements' stacks
    // (made while some victims' are pooled), threads, the allocator.
    let room = limit.saturating_sub(used + 2_000) / 2;
    (room.min(100_000) / 1_000 * 1_000).max(1_000)
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

/// Counts its drops.
struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// What a survivor does to a victim when it wakes.
#[derive(Clone, Copy)]
enum Blow {
    Kill(usize),
    /// Kill, then sleep again until this many nanoseconds after time 0.
    Reset(usize, u64),
}

/// Everything the sleepers share.
#[derive(Default)]
struct World {
    /// (when, who) for every wake-up, in order: original sleepers by
    /// index, the replacement of victim `v` as `n + v`.
    woke: RefCell<Vec<(Instant, usize)>>,
    /// The join handles of the original sleepers, taken by their killer.
    handles: RefCell<Vec<Option<JoinHandle<()>>>>,
    /// Per survivor, what it does when it wakes.
    plan: RefCell<Vec<Vec<Blow>>>,
    /// The replacements made by resets, for main to join.
    replacements: RefCell<Vec<JoinHandle<()>>>,
    /// Closures dropped.
    drops: Rc<Cell<usize>>,
    /// Victims that woke (must stay 0).
    victims_woken: Cell<usize>,
}

/// Kills sleeper `v`, which must still be asleep, and checks its end.
fn kill(world: &World, v: usize) {
    let h = world.handles.borrow_mut()[v].take().expect("each victim is killed once");
    assert!(!h.is_finished(), "victim {v} finished before its kill");
    h.kill().unwrap();
    assert!(matches!(h.join(), Err(Error::Killed)), "victim {v} did not end killed");
}

/// A sleeper that wakes at `at` (nanoseconds after time 0), records it,
/// then carries out its plan (if `plan` is set).
fn sleeper(world: Rc<World>, who: usize, at: u64, victim: bool) -> JoinHandle<()> {
    let guard = Counted(world.drops.clone());
    simul_green::spawn(move || {
        let _guard = guard;
        let now = simul_green::now().unwrap().as_nanos();
        simul_green::sleep(Duration::from_nanos(at - now)).unwrap();
        if victim {
            world.victims_woken.set(world.victims_woken.get() + 1);
        }
        world.woke.borrow_mut().push((simul_green::now().unwrap(), who));
        let plan = world.plan.borrow_mut().get_mut(who).map(std::mem::take).unwrap_or_default();
        let n = world.handles.borrow().len();
        for blow in plan {
            match blow {
                Blow::Kill(v) => kill(&world, v),
                Blow::Reset(v, new_at) => {
                    kill(&world, v);
                    let r = sleeper(world.clone(), n + v, new_at, false);
                    world.replacements.borrow_mut().push(r);
                }
            }
        }
    })
    .unwrap()
}

#[test]
fn exactly_the_survivors_wake_in_deadline_order_at_their_deadlines() {
    let n = sleepers();
    let ms = 1_000_000u64;
    let mut rng = Lcg(7);
    let victim = |i: usize| i % 2 == 1;
    let deadlines: Vec<u64> = (0..n)
        .map(|i| if victim(i) && i % 50 == 1 { 5_000 * ms } else { (1 + rng.below(1_000)) * ms })
        .collect();

    // Survivors by deadline, to find a killer that wakes before its victim.
    let mut survivors: Vec<usize> = (0..n).filter(|&i| !victim(i)).collect();
    survivors.sort_by_key(|&i| deadlines[i]);
    let mut plan = vec![Vec::new(); n];
    let mut at_start = Vec::new();
    let mut resets = 0u64;
    // (deadline, who) of every wake-up to come, `who` as in `World::woke`.
    let mut expected: Vec<(u64, usize)> = survivors.iter().map(|&i| (deadlines[i], i)).collect();
    for v in (0..n).filter(|&i| victim(i)) {
        let earlier = survivors.partition_point(|&i| deadlines[i] < deadlines[v]);
        if v % 4 == 1 || earlier == 0 {
            at_start.push(v);
            continue;
        }
        let killer = survivors[rng.below(earlier as u64) as usize];
        if v % 8 == 3 {
            plan[killer].push(Blow::Kill(v));
        } else {
            // A new deadline after the killer's, unique to the nanosecond.
            resets += 1;
            let new_at = deadlines[killer] + (1 + rng.below(1_500)) * ms + resets;
            plan[killer].push(Blow::Reset(v, new_at));
            expected.push((new_at, n + v));
        }
    }
    let killed_at_start = at_start.len();
    let from_wake_ups = n / 2 - killed_at_start;
    assert!(from_wake_ups > n / 5, "only {from_wake_ups} kills from wake-ups");
    expected.sort_by_key(|&(at, _)| at); // stable: ties stay in sleep order

    let hub = Hub::builder().clock(Clock::new_virtual()).stack_size(16 * 1024).build().unwrap();
    let world = Rc::new(World { plan: RefCell::new(plan), ..World::default() });
    let w = world.clone();
    hub.run(move || {
        let handles: Vec<Option<JoinHandle<()>>> =
            (0..n).map(|i| Some(sleeper(w.clone(), i, deadlines[i], victim(i)))).collect();
        *w.handles.borrow_mut() = handles;
        simul_green::yield_now().unwrap(); // every sleeper is asleep now
        assert_eq!(simul_green::now().unwrap(), Instant::ZERO);
        for v in at_start {
            kill(&w, v);
        }
        // Join the survivors (replacements are made while they run).
        for i in survivors {
            let h = w.handles.borrow_mut()[i].take().unwrap();
            h.join().unwrap();
        }
        loop {
            let r = w.replacements.borrow_mut().pop();
            let Some(r) = r else { break };
            r.join().unwrap();
        }
        assert!(w.handles.borrow().iter().all(Option::is_none), "a sleeper was not joined");
    })
    .unwrap();

    assert_eq!(world.victims_woken.get(), 0, "a killed sleeper woke");
    let woke = world.woke.take();
    let expected: Vec<(Instant, usize)> = expected
        .into_iter()
        .map(|(at, who)| (Instant::ZERO + Duration::from_nanos(at), who))
        .collect();
    assert_eq!(woke.len(), expected.len(), "exactly the survivors and the replacements woke");
    if let Some(i) = (0..woke.len()).find(|&i| woke[i] != expected[i]) {
        panic!("wake-up {i}: {:?}, expected {:?}", woke[i], expected[i]);
    }
    assert_eq!(world.drops.get(), n + resets as usize, "every closure dropped exactly once");
    let last = expected.last().unwrap().0;
    assert_eq!(hub.now(), last, "the clock passed the last survivor: a killed timer fired");
    println!(
        "{n} sleepers: {killed_at_start} killed at time 0, {from_wake_ups} from wake-ups \
         ({resets} of them reset)"
    );
}
