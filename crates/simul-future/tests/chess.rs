//! The seed program `chess` (Judit's simul) in two forms, `async fn` and
//! the enum state machine the compiler generates for it, written by hand:
//! both give the same trace on the virtual clock, move by move, and the
//! exhibition ends at exactly 3,655 s.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use simul_future::{Runtime, Sleep, join_all, now, sleep};
use simul_reactor::Clock;

const BOARDS: u32 = 24;
const MOVES: u32 = 30;
const MASTER: Duration = Duration::from_secs(5);
const OPPONENT: Duration = Duration::from_secs(55);

/// `(when, board, what)`: what happened at which board, in order.
type Trace = Rc<RefCell<Vec<(Duration, u32, &'static str)>>>;

fn note(trace: &Trace, board: u32, what: &'static str) {
    trace.borrow_mut().push((now().since_origin(), board, what));
}

/// The game, as `async fn`.
async fn game(board: u32, clock: Clock, trace: Trace) {
    for _ in 0..MOVES {
        note(&trace, board, "Judit moves");
        clock.block_for(MASTER);
        sleep(OPPONENT).await;
        note(&trace, board, "opponent replied");
    }
    note(&trace, board, "game over");
}

pin_project_lite::pin_project! {
    /// The same, as the state machine the compiler makes of it: the loop
    /// counter and the captured arguments live across the one `.await`,
    /// so they are fields of the one suspended state.
    ///
    /// ```text
    ///   [Start] --note, block 5 s, create sleep--> [OpponentThinking{moves_left}]
    ///                                                | sleep Pending: Pending
    ///                sleep Ready, note, left > 0:    |
    ///                note, block 5 s, new sleep  <---+
    ///                sleep Ready, left == 0: note game over --> [Done] -> Ready(())
    /// ```
    #[project = GameProj]
    enum GameMachine {
        Start { board: u32, clock: Clock, trace: Trace },
        OpponentThinking {
            board: u32,
            clock: Clock,
            trace: Trace,
            moves_left: u32,
            #[pin]
            reply: Sleep,
        },
        Done,
    }
}

impl Future for GameMachine {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let (board, clock, trace, moves_left) = match self.as_mut().project() {
                GameProj::Start { board, clock, trace } => {
                    (*board, clock.clone(), trace.clone(), MOVES)
                }
                GameProj::OpponentThinking { board, clock, trace, moves_left, reply } => {
                    if reply.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    note(trace, *board, "opponent replied");
                    (*board, clock.clone(), trace.clone(), *moves_left)
                }
                GameProj::Done => panic!("`async fn` resumed after completion"),
            };
            if moves_left == 0 {
                note(&trace, board, "game over");
                self.set(GameMachine::Done);
                return Poll::Ready(());
            }
            note(&trace, board, "Judit moves");
            clock.block_for(MASTER);
            let reply = sleep(OPPONENT);
            self.set(GameMachine::OpponentThinking {
                board,
                clock,
                trace,
                moves_left: moves_left - 1,
                reply,
            });
        }
    }
}

/// Plays the simul with `make(board, clock, trace)` as the game; returns
/// the trace and when the exhibition ended.
fn simul<G: Future<Output = ()>>(
    make: impl Fn(u32, Clock, Trace) -> G,
) -> (Vec<(Duration, u32, &'static str)>, Duration) {
    let clock = Clock::new_virtual();
    let mut rt = Runtime::with_clock(clock.clone()).unwrap();
    let trace = Trace::default();
    let games = (0..BOARDS).map(|b| make(b, clock.clone(), trace.clone())).collect();
    rt.block_on(join_all(games)).unwrap();
    let t = trace.borrow().clone();
    (t, clock.now().since_origin())
}

#[test]
fn async_fn_simul_ends_at_3655_seconds() {
    let (trace, end) = simul(game);
    assert_eq!(end, Duration::from_secs(3655));
    assert_eq!(trace.len(), (BOARDS * (2 * MOVES + 1)) as usize);
    // Her first round: one move per board, 5 s apart.
    for b in 0..BOARDS {
        assert_eq!(trace[b as usize], (MASTER * b, b, "Judit moves"));
    }
    // Her last move is on the last board and ends at 1 h; the last game
    // ends 55 s later.
    let last_move = trace.iter().rev().find(|e| e.2 == "Judit moves").unwrap();
    assert_eq!(*last_move, (Duration::from_secs(3600) - MASTER, BOARDS - 1, "Judit moves"));
    assert_eq!(trace.last(), Some(&(Duration::from_secs(3655), BOARDS - 1, "game over")));
}

#[test]
fn hand_written_machine_gives_the_same_trace_as_the_async_fn() {
    let machine = |board, clock, trace| GameMachine::Start { board, clock, trace };
    let (by_hand, end_by_hand) = simul(machine);
    let (by_compiler, end_by_compiler) = simul(game);
    assert_eq!(by_hand, by_compiler);
    assert_eq!(end_by_hand, end_by_compiler);
}

#[test]
fn sequential_games_take_twelve_hours_in_both_forms() {
    let run = |machine: bool| {
        let clock = Clock::new_virtual();
        let mut rt = Runtime::with_clock(clock.clone()).unwrap();
        let trace = Trace::default();
        let (c, t) = (clock.clone(), trace.clone());
        rt.block_on(async move {
            for b in 0..BOARDS {
                if machine {
                    GameMachine::Start { board: b, clock: c.clone(), trace: t.clone() }.await;
                } else {
                    game(b, c.clone(), t.clone()).await;
                }
            }
        })
        .unwrap();
        assert_eq!(clock.now().since_origin(), Duration::from_secs(12 * 3600));
        trace.take()
    };
    assert_eq!(run(true), run(false));
}
