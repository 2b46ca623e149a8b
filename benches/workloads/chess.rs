//! `chess`: the chess simul at scale. n boards, 30 move pairs each, on the
//! virtual clock: pure scheduling, with the seed's numbers (the master
//! thinks 5 s per move, blocking, for she *is* the loop; each opponent
//! thinks 55 s, a cooperative wait).
//!
//! One operation is one move pair: the master's blocking `block_for`
//! (on simul's virtual clock: an atomic add) and the opponent's sleep.
//! tokio's paused clock cannot be advanced without yielding, so its
//! master moves with `tokio::time::advance(5 s).await`, which also lets
//! the other ready boards run: one yield more per move than the simul
//! styles pay, noted beside its figure.
//!
//! The checksum is the number of move pairs played; under simul the clock
//! must also read [`exact`] at the end (the tests check it).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_coro::{Coroutine, CoroutineState, Reply, Resume, Scheduler, Trap};
use simul_reactor::Clock;
use simul_scenario::params::chess::{MASTER, MOVES, OPPONENT};

/// The move pairs n boards play.
pub fn expected(boards: u64) -> u64 {
    boards * u64::from(MOVES)
}

/// How long the simul takes on the virtual clock with n boards: the
/// master is never idle when the opponents' thinking (55 s) is shorter
/// than one lap of the other boards, so n × 30 × 5 s, plus the last
/// board's final reply, which overlaps nothing.
pub fn exact(boards: u64) -> Duration {
    let laps = (MASTER + OPPONENT).as_secs();
    assert!(boards * MASTER.as_secs() >= laps, "too few boards to keep the master busy");
    MASTER * (boards * u64::from(MOVES)) as u32 + OPPONENT
}

/// Counts the move pairs played and the boards finished.
#[derive(Default)]
struct Score {
    played: Cell<u64>,
    finished: Cell<u64>,
}

/// Callback: each board is a chain of callbacks, one per move pair; the
/// last board to finish stops the loop.
pub fn callback(lp: &mut simul_callback::EventLoop, boards: u64) -> u64 {
    fn play(lp: &mut simul_callback::EventLoop, left: u32, boards: u64, score: Rc<Score>) {
        lp.clock().block_for(MASTER);
        score.played.set(score.played.get() + 1);
        let _ = lp.call_later(OPPONENT, move |lp| {
            if left > 1 {
                play(lp, left - 1, boards, score);
            } else {
                score.finished.set(score.finished.get() + 1);
                if score.finished.get() == boards {
                    lp.stop();
                }
            }
        });
    }
    if boards == 0 {
        return 0;
    }
    let score = Rc::new(Score::default());
    for _ in 0..boards {
        let s = score.clone();
        let _ = lp.call_soon(move |lp| play(lp, MOVES, boards, s));
    }
    lp.run_forever().expect("callback loop");
    score.played.get()
}

/// A board as a coroutine: the master moves (blocking), then the board
/// yields `Sleep(55 s)` for the opponent's reply.
pub struct CoroBoard {
    left: u32,
    clock: Clock,
    score: Rc<Score>,
}

impl Coroutine<Reply<()>> for CoroBoard {
    type Yield = Trap<()>;
    type Return = ();
    fn resume(&mut self, _: Reply<()>) -> Resume<Trap<()>, ()> {
        if self.left == 0 {
            return Ok(CoroutineState::Complete(()));
        }
        self.left -= 1;
        self.clock.block_for(MASTER);
        self.score.played.set(self.score.played.get() + 1);
        Ok(CoroutineState::Yielded(Trap::Sleep(OPPONENT)))
    }
}

/// Coro: one [`CoroBoard`] task per board.
pub fn coro(s: &mut Scheduler<()>, boards: u64) -> u64 {
    let score = Rc::new(Score::default());
    for _ in 0..boards {
        s.spawn(CoroBoard { left: MOVES, clock: s.clock().clone(), score: score.clone() });
    }
    s.run_all().expect("coro scheduler");
    score.played.get()
}

/// A board as a hand-written future, the machine of
///
/// ```text
/// async { for _ in 0..30 { clock.block_for(5 s); sleep(55 s).await } }
/// ```
///
/// drawn as
///
/// ```text
///   [Moving { left }] --left == 0--> Ready(())
///        | block_for(5 s), start sleep(55 s)
///        v
///   [Replying { left, sleep }] --Pending--> Pending
///        | sleep Ready: left -= 1
///        +--> [Moving]
/// ```
pub struct FutureBoard {
    left: u32,
    reply: Option<simul_future::Sleep>,
    clock: Clock,
    score: Rc<Score>,
}

impl Future for FutureBoard {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self; // every field is Unpin
        loop {
            if let Some(sleep) = this.reply.as_mut() {
                if Pin::new(sleep).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.reply = None;
                this.left -= 1;
            }
            if this.left == 0 {
                return Poll::Ready(());
            }
            this.clock.block_for(MASTER);
            this.score.played.set(this.score.played.get() + 1);
            this.reply = Some(simul_future::sleep(OPPONENT));
        }
    }
}

/// Future: one [`FutureBoard`] task per board, all joined.
pub fn future(rt: &mut simul_future::Runtime, boards: u64) -> u64 {
    let score = Rc::new(Score::default());
    let clock = rt.clock();
    let s = score.clone();
    rt.block_on(async move {
        let handles: Vec<_> = (0..boards)
            .map(|_| {
                simul_future::spawn(FutureBoard {
                    left: MOVES,
                    reply: None,
                    clock: clock.clone(),
                    score: s.clone(),
                })
            })
            .collect();
        for h in handles {
            h.await.expect("board");
        }
    })
    .expect("future runtime");
    score.played.get()
}

/// Async: the `async` block [`FutureBoard`] stands for.
pub fn async_(rt: &mut simul_future::Runtime, boards: u64) -> u64 {
    let score = Rc::new(Score::default());
    let clock = rt.clock();
    let s = score.clone();
    rt.block_on(async move {
        let handles: Vec<_> = (0..boards)
            .map(|_| {
                let (clock, score) = (clock.clone(), s.clone());
                simul_future::spawn(async move {
                    for _ in 0..MOVES {
                        clock.block_for(MASTER);
                        score.played.set(score.played.get() + 1);
                        simul_future::sleep(OPPONENT).await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("board");
        }
    })
    .expect("future runtime");
    score.played.get()
}

/// Green: one green thread per board, written as the seed's blocking
/// loop.
pub fn green(hub: &simul_green::Hub, clock: &Clock, boards: u64) -> u64 {
    let score = Rc::new(Score::default());
    let s = score.clone();
    hub.run(move || {
        let handles: Vec<_> = (0..boards)
            .map(|_| {
                let (clock, score) = (clock.clone(), s.clone());
                simul_green::spawn(move || {
                    for _ in 0..MOVES {
                        clock.block_for(MASTER);
                        score.played.set(score.played.get() + 1);
                        simul_green::sleep(OPPONENT).expect("sleep");
                    }
                })
                .expect("green spawn")
            })
            .collect();
        for h in handles {
            h.join().expect("board");
        }
    })
    .expect("green hub");
    score.played.get()
}

/// Tokio: one task per board on a paused clock
/// ([`super::tokio_paused_runtime`]); the master's move is
/// `advance(5 s)`.
pub fn tokio(rt: &tokio::runtime::Runtime, boards: u64) -> u64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let played = Arc::new(AtomicU64::new(0));
    let p = played.clone();
    rt.block_on(async move {
        let handles: Vec<_> = (0..boards)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move {
                    for _ in 0..MOVES {
                        tokio::time::advance(MASTER).await;
                        p.fetch_add(1, Relaxed);
                        tokio::time::sleep(OPPONENT).await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("board");
        }
    });
    played.load(Relaxed)
}
