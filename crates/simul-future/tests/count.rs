//! The seed program `count` in two forms, `async fn` and the enum state
//! machine the compiler generates for it, written by hand: both give the
//! same trace on the virtual clock, One One One Two Two Two at exactly 1 s.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{Runtime, Sleep, join3, now, sleep};
use simul_reactor::Clock;

type Trace = Rc<RefCell<Vec<(Duration, &'static str)>>>;

fn say(trace: &Trace, word: &'static str) {
    trace.borrow_mut().push((now().since_origin(), word));
}

/// The seed, as `async fn`.
async fn count(trace: Trace) {
    say(&trace, "One");
    sleep(Duration::from_secs(1)).await;
    say(&trace, "Two");
}

pin_project_lite::pin_project! {
    /// The same, as the state machine the compiler makes of it: one state
    /// per `.await`, holding the variables alive across it.
    ///
    /// ```text
    ///   [Start] --say One, create the sleep--> [Sleeping] --sleep Ready,
    ///                                                       say Two--> [Done]
    /// ```
    #[project = CountProj]
    #[project_replace = CountReplace]
    enum CountMachine {
        Start { trace: Trace },
        Sleeping { trace: Trace, #[pin] sleep: Sleep },
        Done,
    }
}

impl Future for CountMachine {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.as_mut().project() {
                CountProj::Start { trace } => {
                    say(trace, "One");
                    let trace = trace.clone();
                    self.set(CountMachine::Sleeping {
                        trace,
                        sleep: sleep(Duration::from_secs(1)),
                    });
                }
                CountProj::Sleeping { trace, sleep } => {
                    if sleep.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    say(trace, "Two");
                    self.set(CountMachine::Done);
                    return Poll::Ready(());
                }
                CountProj::Done => panic!("`async fn` resumed after completion"),
            }
        }
    }
}

fn expected() -> Vec<(Duration, &'static str)> {
    let (zero, one) = (Duration::ZERO, Duration::from_secs(1));
    vec![(zero, "One"), (zero, "One"), (zero, "One"), (one, "Two"), (one, "Two"), (one, "Two")]
}

#[test]
fn count_as_async_fn() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let trace = Trace::default();
    let t = trace.clone();
    let elapsed = rt
        .block_on(async move {
            join3(count(t.clone()), count(t.clone()), count(t.clone())).await;
            now().since_origin()
        })
        .unwrap();
    assert_eq!(*trace.borrow(), expected());
    assert_eq!(elapsed, Duration::from_secs(1));
}

#[test]
fn count_as_hand_written_state_machine() {
    let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
    let trace = Trace::default();
    let start = |t: &Trace| CountMachine::Start { trace: t.clone() };
    rt.block_on(join3(start(&trace), start(&trace), start(&trace))).unwrap();
    assert_eq!(*trace.borrow(), expected());
    assert_eq!(rt.clock().now().since_origin(), Duration::from_secs(1));
}

#[test]
fn both_forms_as_tasks_give_the_same_trace() {
    let run = |machine: bool| {
        let mut rt = Runtime::with_clock(Clock::new_virtual()).unwrap();
        let trace = Trace::default();
        let t = trace.clone();
        rt.block_on(async move {
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    if machine {
                        simul_future::spawn(Box::pin(CountMachine::Start { trace: t.clone() })
                            as Pin<Box<dyn Future<Output = ()>>>)
                    } else {
                        simul_future::spawn(
                            Box::pin(count(t.clone())) as Pin<Box<dyn Future<Output = ()>>>
                        )
                    }
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        })
        .unwrap();
        trace.borrow().clone()
    };
    assert_eq!(run(false), expected());
    assert_eq!(run(true), run(false));
}
