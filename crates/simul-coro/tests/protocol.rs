//! The generator protocol: resume, completion, delegation, combinators.

use simul_coro::{
    Averager, Coroutine, CoroutineState::*, Countdown, Resume, ResumeError, from_fn, yield_from,
};

#[test]
fn resuming_a_completed_coroutine_is_an_error_every_time() {
    let mut c = Countdown::new(1);
    assert_eq!(c.resume(()), Ok(Yielded(1)));
    assert_eq!(c.resume(()), Ok(Complete("liftoff")));
    for _ in 0..3 {
        assert_eq!(c.resume(()), Err(ResumeError::AfterCompletion));
    }
    let mut avg = Averager::new();
    let _ = avg.resume(None);
    assert_eq!(avg.resume(None), Ok(Complete((0, None))));
    assert_eq!(avg.resume(Some(1.0)), Err(ResumeError::AfterCompletion));
}

#[test]
fn from_fn_does_not_call_the_closure_after_completion() {
    let mut calls = 0;
    let mut c = from_fn(|()| {
        calls += 1;
        Ok::<_, ResumeError>(Complete::<(), u32>(calls))
    });
    assert_eq!(c.resume(()), Ok(Complete(1)));
    assert_eq!(c.resume(()), Err(ResumeError::AfterCompletion));
    drop(c);
    assert_eq!(calls, 1);
}

/// `def outer(): a = yield from averager(); yield "between"; return a`,
/// with the caller's sends forwarded into the averager.
enum Outer {
    Start,
    Averaging(Averager),
    Between((u64, Option<f64>)),
    Done,
}

impl Coroutine<Option<f64>> for Outer {
    type Yield = Option<f64>;
    type Return = (u64, Option<f64>);

    fn resume(&mut self, input: Option<f64>) -> Resume<Option<f64>, Self::Return> {
        loop {
            match self {
                Outer::Start => {
                    *self = Outer::Averaging(Averager::new());
                    // Entering the delegation: the sub-coroutine is primed.
                    if let Outer::Averaging(sub) = self {
                        let r = yield_from!(sub, None);
                        *self = Outer::Between(r);
                    }
                }
                Outer::Averaging(sub) => {
                    let r = yield_from!(sub, input);
                    *self = Outer::Between(r);
                    return Ok(Yielded(Some(-1.0)));
                }
                Outer::Between(r) => {
                    let r = *r;
                    *self = Outer::Done;
                    return Ok(Complete(r));
                }
                Outer::Done => return Err(ResumeError::AfterCompletion),
            }
        }
    }
}

#[test]
fn yield_from_forwards_yields_and_sends_and_returns_the_sub_result() {
    let mut outer = Outer::Start;
    // The averager's priming yield comes out of the outer coroutine.
    assert_eq!(outer.resume(None), Ok(Yielded(None)));
    // Sends go through to the averager; its yields come back out.
    assert_eq!(outer.resume(Some(2.0)), Ok(Yielded(Some(2.0))));
    assert_eq!(outer.resume(Some(4.0)), Ok(Yielded(Some(3.0))));
    // The averager returns; the outer coroutine goes on to its own yield.
    assert_eq!(outer.resume(None), Ok(Yielded(Some(-1.0))));
    // And returns what the delegation evaluated to.
    assert_eq!(outer.resume(None), Ok(Complete((2, Some(3.0)))));
    assert_eq!(outer.resume(None), Err(ResumeError::AfterCompletion));
}

#[test]
fn yield_from_propagates_errors_of_the_sub_coroutine() {
    let mut sub = Countdown::Done;
    let mut outer = from_fn(move |()| -> Resume<u64, &'static str> {
        let r = yield_from!(&mut sub, ());
        Ok(Complete(r))
    });
    assert_eq!(outer.resume(()), Err(ResumeError::AfterCompletion));
}

#[test]
fn and_then_runs_the_second_after_the_first_with_its_result() {
    let mut seen = None;
    let c = Countdown::new(2).and_then(|r| {
        seen = Some(r);
        Countdown::new(3)
    });
    let mut it = c.yields();
    assert_eq!(it.by_ref().collect::<Vec<_>>(), [2, 1, 3, 2, 1]);
    assert_eq!(it.into_return(), Some(Ok("liftoff")));
    assert_eq!(seen, Some("liftoff"));
}

#[test]
fn and_then_switches_within_one_resume() {
    // First completes at once; the second's first yield is what the
    // first resume returns.
    let mut c = Countdown::new(0).and_then(|_| Countdown::new(5));
    assert_eq!(c.resume(()), Ok(Yielded(5)));
}

#[test]
fn map_return_keeps_yields_and_maps_the_result() {
    let mut c = Averager::new().map_return(|(n, avg)| format!("{n} terms, {avg:?}"));
    assert_eq!(c.resume(None), Ok(Yielded(None)));
    assert_eq!(c.resume(Some(3.0)), Ok(Yielded(Some(3.0))));
    assert_eq!(c.resume(None), Ok(Complete("1 terms, Some(3.0)".to_string())));
    assert_eq!(c.resume(None), Err(ResumeError::AfterCompletion));
}

#[test]
fn yields_iterates_and_is_fused() {
    let mut it = Countdown::new(3).yields();
    assert_eq!(it.next(), Some(3));
    assert_eq!(it.by_ref().count(), 2);
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
    assert_eq!(it.into_return(), Some(Ok("liftoff")));
}

#[test]
fn coroutines_move_freely_between_resumes() {
    // No pinning: a suspended coroutine can be moved, boxed and resumed.
    let mut c = Countdown::new(3);
    let _ = c.resume(());
    let mut boxed: Box<dyn Coroutine<Yield = u64, Return = &'static str>> = Box::new(c);
    assert_eq!(boxed.resume(()), Ok(Yielded(2)));
    let mut moved = [boxed];
    assert_eq!(moved[0].resume(()), Ok(Yielded(1)));
}
