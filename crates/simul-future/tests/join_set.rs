//! JoinSet: results as tasks finish, cancellation of the rest on drop.

mod util;

use simul_future::{JoinSet, Runtime, yield_now};
use util::{DropGuard, Trace};

#[test]
fn results_come_out_in_finishing_order() {
    let mut rt = Runtime::new().unwrap();
    let order = rt
        .block_on(async {
            let mut set = JoinSet::new();
            for (name, steps) in [("three", 3), ("one", 1), ("two", 2), ("zero", 0)] {
                set.spawn(async move {
                    for _ in 0..steps {
                        yield_now().await;
                    }
                    name
                });
            }
            assert_eq!(set.len(), 4);
            let mut order = Vec::new();
            while let Some(r) = set.join_next().await {
                order.push(r.unwrap());
            }
            assert!(set.is_empty());
            order
        })
        .unwrap();
    assert_eq!(order, ["zero", "one", "two", "three"]);
}

#[test]
fn dropping_the_set_cancels_the_rest() {
    let mut rt = Runtime::new().unwrap();
    let t = Trace::new();
    let t2 = t.clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        for name in ["quick", "stuck 1", "stuck 2"] {
            let t = t2.clone();
            set.spawn(async move {
                let _g = DropGuard(t.clone(), name);
                if name != "quick" {
                    std::future::pending::<()>().await;
                }
                name
            });
        }
        assert_eq!(set.join_next().await.unwrap().unwrap(), "quick");
        drop(set);
        t2.push("set dropped");
        yield_now().await;
        t2.push("after a round");
    })
    .unwrap();
    assert_eq!(
        t.take(),
        ["dropped quick", "set dropped", "dropped stuck 1", "dropped stuck 2", "after a round"]
    );
}
