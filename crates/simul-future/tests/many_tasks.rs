//! 100,000 tasks at once: all run, all results come back in order.

use simul_future::{Runtime, spawn, yield_now};

#[test]
fn hundred_thousand_tasks() {
    let mut rt = Runtime::new().unwrap();
    let sum = rt
        .block_on(async {
            let handles: Vec<_> = (0..100_000u64)
                .map(|i| {
                    spawn(async move {
                        yield_now().await;
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for (i, h) in handles.into_iter().enumerate() {
                let v = h.await.unwrap();
                assert_eq!(v, i as u64);
                sum += v;
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, 100_000 * 99_999 / 2);
}
