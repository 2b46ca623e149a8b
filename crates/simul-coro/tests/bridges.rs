//! Bridges: a coroutine run as a future, a future run as a coroutine.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineFuture, CoroutineState::*, FutureCoroutine, ResumeError, from_fn,
};

/// Unparks a thread and counts wakes.
struct ThreadWaker {
    thread: Thread,
    wakes: AtomicUsize,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// The smallest executor: poll, park until woken, repeat.
fn block_on<F: Future>(fut: F) -> (F::Output, usize) {
    let waker =
        Arc::new(ThreadWaker { thread: std::thread::current(), wakes: AtomicUsize::new(0) });
    let w = Waker::from(waker.clone());
    let mut cx = Context::from_waker(&w);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return (out, waker.wakes.load(Ordering::SeqCst));
        }
        std::thread::park();
    }
}

#[test]
fn a_coroutine_waiting_on_another_thread_runs_as_a_future() {
    // Yields () three times; each time a thread wakes it 5 ms later.
    let mut left = 3;
    let co = from_fn(move |waker: Waker| {
        if left == 0 {
            return Ok(Complete("woken three times"));
        }
        left -= 1;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            waker.wake();
        });
        Ok(Yielded(()))
    });
    let (out, wakes) = block_on(CoroutineFuture::new(co));
    assert_eq!(out, Ok("woken three times"));
    assert_eq!(wakes, 3);
}

#[test]
fn a_finished_coroutine_polled_again_reports_the_error() {
    let mut fut = pin!(CoroutineFuture::new(from_fn(|_: Waker| Ok(Complete::<(), _>(1)))));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Err(ResumeError::AfterCompletion)));
}

#[test]
fn an_async_block_runs_as_a_coroutine_and_back() {
    let inner = async {
        let a = async { 20 }.await;
        let b = std::future::ready(22).await;
        a + b
    };
    let mut c = FutureCoroutine::new(inner);
    assert_eq!(c.resume(Waker::noop().clone()), Ok(Complete(42)));
    assert_eq!(c.resume(Waker::noop().clone()), Err(ResumeError::AfterCompletion));

    let (out, _) = block_on(CoroutineFuture::new(FutureCoroutine::new(async { "round trip" })));
    assert_eq!(out, Ok("round trip"));
}
