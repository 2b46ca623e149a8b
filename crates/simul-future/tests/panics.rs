//! A panicking task does not take the runtime down: its JoinHandle
//! yields the panic, every other task goes on.

mod util;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use simul_future::{JoinError, Runtime, spawn, yield_now};
use util::{DropGuard, Trace};

fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

#[test]
fn panic_is_returned_through_the_join_handle() {
    quiet_panics();
    let mut rt = Runtime::new().unwrap();
    let trace = Trace::new();
    let t = trace.clone();
    rt.block_on(async move {
        let t2 = t.clone();
        let calm = spawn(async move {
            for i in 0..3 {
                t2.push(format!("calm {i}"));
                yield_now().await;
            }
            "calm done"
        });
        let t3 = t.clone();
        let wild = spawn(async move {
            let _guard = DropGuard(t3.clone(), "wild's local");
            t3.push("wild before");
            yield_now().await;
            panic!("wild panics");
        });
        let err = wild.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "task panicked: wild panics");
        let JoinError::Panic(payload) = err else { unreachable!() };
        assert_eq!(*payload.downcast::<&str>().unwrap(), "wild panics");
        assert_eq!(calm.await.unwrap(), "calm done");
    })
    .unwrap();
    assert_eq!(trace.take(), ["calm 0", "wild before", "calm 1", "dropped wild's local", "calm 2"]);
}

#[test]
fn detached_panicking_tasks_are_forgotten_and_the_runtime_goes_on() {
    quiet_panics();
    let mut rt = Runtime::new().unwrap();
    let n = rt
        .block_on(async {
            for i in 0..100 {
                drop(spawn(async move {
                    if i % 2 == 0 {
                        panic!("task {i}");
                    }
                }));
            }
            for _ in 0..3 {
                yield_now().await;
            }
            spawn(async { 5 }).await.unwrap()
        })
        .unwrap();
    assert_eq!(n, 5);
}

#[test]
fn panic_in_the_futures_destructor_after_it_finished() {
    quiet_panics();
    struct BadDrop;
    impl Drop for BadDrop {
        fn drop(&mut self) {
            panic!("bad drop");
        }
    }
    struct Holds(BadDrop);
    impl Future for Holds {
        type Output = u8;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u8> {
            Poll::Ready(1)
        }
    }
    let mut rt = Runtime::new().unwrap();
    let r = rt.block_on(async { spawn(Holds(BadDrop)).await }).unwrap();
    assert_eq!(r.unwrap_err().to_string(), "task panicked: bad drop");
    // And when it is aborted instead.
    let r = rt
        .block_on(async {
            let h = spawn(async {
                let _b = BadDrop;
                std::future::pending::<()>().await;
            });
            yield_now().await;
            h.abort();
            h.await
        })
        .unwrap();
    assert!(r.unwrap_err().is_panic());
}

#[test]
fn panic_in_a_detached_outputs_destructor_is_contained() {
    quiet_panics();
    struct BadDrop;
    impl Drop for BadDrop {
        fn drop(&mut self) {
            panic!("bad output drop");
        }
    }
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        drop(spawn(async { BadDrop }));
        yield_now().await;
        yield_now().await;
    })
    .unwrap();
}

#[test]
fn panic_in_block_on_future_reaches_the_caller_and_the_runtime_stays_usable() {
    quiet_panics();
    let mut rt = Runtime::new().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            yield_now().await;
            panic!("root");
        })
    }));
    assert!(caught.is_err());
    assert_eq!(rt.block_on(async { spawn(async { 3 }).await.unwrap() }).unwrap(), 3);
}
