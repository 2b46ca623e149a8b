//! join, join3, join_all and select: interleaving traces, output order,
//! and the loser of a race dropped at once.

mod util;

use simul_future::{Either, Runtime, join, join_all, join3, select, spawn, yield_now};
use util::{DropGuard, Trace};

/// Records `name i` before each of `steps` yields, then returns `name`.
async fn stepper(t: Trace, name: &'static str, steps: usize) -> &'static str {
    let _g = DropGuard(t.clone(), name);
    for i in 0..steps {
        t.push(format!("{name} {i}"));
        yield_now().await;
    }
    t.push(format!("{name} done"));
    name
}

#[test]
fn join_interleaves_and_keeps_argument_order() {
    let mut rt = Runtime::new().unwrap();
    let t = Trace::new();
    let out = rt.block_on(join(stepper(t.clone(), "a", 2), stepper(t.clone(), "b", 1))).unwrap();
    assert_eq!(out, ("a", "b"));
    assert_eq!(t.take(), ["a 0", "b 0", "a 1", "b done", "dropped b", "a done", "dropped a"]);
}

#[test]
fn join3_outputs_in_argument_order_whatever_finishes_first() {
    let mut rt = Runtime::new().unwrap();
    let t = Trace::new();
    let out = rt
        .block_on(join3(
            stepper(t.clone(), "x", 3),
            stepper(t.clone(), "y", 0),
            stepper(t.clone(), "z", 1),
        ))
        .unwrap();
    assert_eq!(out, ("x", "y", "z"));
    let done: Vec<_> = t.take().into_iter().filter(|e| e.ends_with("done")).collect();
    assert_eq!(done, ["y done", "z done", "x done"]);
}

#[test]
fn join_all_results_in_order() {
    let mut rt = Runtime::new().unwrap();
    let t = Trace::new();
    let names = ["p", "q", "r", "s"];
    let futures: Vec<_> =
        names.iter().enumerate().map(|(i, n)| stepper(t.clone(), n, 4 - i)).collect();
    let out = rt.block_on(join_all(futures)).unwrap();
    assert_eq!(out, names);
    let done: Vec<_> = t.take().into_iter().filter(|e| e.ends_with("done")).collect();
    assert_eq!(done, ["s done", "r done", "q done", "p done"]);
    assert_eq!(rt.block_on(join_all(Vec::<std::future::Ready<u8>>::new())).unwrap(), []);
}

#[test]
fn select_returns_the_first_and_drops_the_loser_at_once() {
    let mut rt = Runtime::new().unwrap();
    let t = Trace::new();
    let t2 = t.clone();
    let out = rt
        .block_on(async move {
            let r = select(stepper(t2.clone(), "slow", 5), stepper(t2.clone(), "fast", 1)).await;
            t2.push("select returned");
            r
        })
        .unwrap();
    assert_eq!(out, Either::Right("fast"));
    assert_eq!(
        t.take(),
        [
            "slow 0",
            "fast 0",
            "slow 1",
            "fast done",
            "dropped fast",
            "dropped slow",
            "select returned"
        ]
    );
}

#[test]
fn select_tie_goes_to_the_first() {
    let mut rt = Runtime::new().unwrap();
    assert_eq!(rt.block_on(select(async { 1 }, async { 2 })).unwrap(), Either::Left(1));
}

#[test]
fn select_between_task_handles() {
    let mut rt = Runtime::new().unwrap();
    let t = Trace::new();
    let t2 = t.clone();
    let r = rt
        .block_on(async move {
            let a = spawn(stepper(t2.clone(), "task a", 3));
            let b = spawn(stepper(t2.clone(), "task b", 1));
            match select(a, b).await {
                Either::Left(_) => "a",
                // a's handle is dropped: the task is detached, not killed.
                Either::Right(r) => r.unwrap(),
            }
        })
        .unwrap();
    assert_eq!(r, "task b");
}
