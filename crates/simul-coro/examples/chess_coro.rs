//! `chess`, generator style (seeds 001, 003 and 004): Judit Polgár's
//! simultaneous exhibition.
//!
//! 24 opponents; Judit takes 5 s per move, each opponent 55 s; a game is
//! 30 move pairs. Judit's thinking is *blocking* work: she is the event
//! loop, and while she thinks at one board nothing else happens. An
//! opponent's thinking is a cooperative wait: Judit walks on.
//!
//! * Sequential (one game at a time): 24 × 30 × (5 + 55) s = 12 h exactly.
//! * Simul: the seeds estimate 1 h (24 × 5 s × 30, Judit's own time). The
//!   simulation gives 1 h 0 min 55 s and says why.
//!
//! Runs on the virtual clock (milliseconds of wall time); `--real --scale N`
//! runs it on the real clock with every duration divided by N (default
//! 3600: 13 hours in 13 s). `--board` draws the lanes `judit` and
//! `board 1` .. `board 24`.
//!
//! ```text
//! cargo run --release -p simul-coro --example chess_coro [-- --real --scale 3600 --board]
//! ```

use std::error::Error;
use std::time::Duration;

use simul_coro::{
    Coroutine, CoroutineState, Reply, Resume, ResumeError, RunError, Scheduler, TaskId, Trap,
};
use simul_reactor::trace;
use simul_reactor::{Clock, Instant};
use simul_scenario::params::chess;
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// The exhibition's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Exhibition {
    /// How many opponents.
    pub boards: u32,
    /// Move pairs per game.
    pub moves: u32,
    /// Judit's time per move (blocking).
    pub master: Duration,
    /// An opponent's time per move (cooperative).
    pub opponent: Duration,
}

/// The seeds' exhibition, from the shared parameters.
pub const SEED: Exhibition = Exhibition {
    boards: chess::BOARDS,
    moves: chess::MOVES,
    master: chess::MASTER,
    opponent: chess::OPPONENT,
};

impl Exhibition {
    /// Every duration divided by `scale` (for the real clock).
    pub fn scaled(self, scale: u32) -> Exhibition {
        Exhibition { master: self.master / scale, opponent: self.opponent / scale, ..self }
    }
}

/// One game, seen from the board, as a hand-written coroutine; returns
/// when the game ended.
///
/// ```python
/// def game(board):
///     for move in range(30):
///         judit_moves()            # 5 s of blocking thought: the loop is hers
///         yield Sleep(55)          # the opponent thinks; Judit walks on
///     return now()
/// ```
///
/// ```text
///   +-------+  resume(Start): Judit moves, yield Sleep(55 s)  +-------------------------+
///   | Start | ----------------------------------------------> | OpponentThinking{left}  | --+
///   +-------+                                                 +-------------------------+ <-+
///                                   resume(Woke), left > 0: Judit moves, yield Sleep(55 s)
///                                                                |
///                                    resume(Woke), left == 0: return now
///   +------+ <---------------------------------------------------+
///   | Done |
///   +------+
/// ```
pub enum Game {
    /// Not started.
    Start {
        /// The exhibition's clock (Judit's blocking thought is charged to it).
        clock: Clock,
        /// The parameters.
        ex: Exhibition,
        /// Which board (0-based).
        board: u32,
    },
    /// Suspended at `yield Sleep(55 s)`.
    OpponentThinking {
        /// The exhibition's clock.
        clock: Clock,
        /// The parameters.
        ex: Exhibition,
        /// Move pairs still to play after this one.
        left: u32,
    },
    /// Returned.
    Done,
}

impl Coroutine<Reply<Instant>> for Game {
    type Yield = Trap<Instant>;
    type Return = Instant;

    fn resume(&mut self, reply: Reply<Instant>) -> Resume<Trap<Instant>, Instant> {
        let (clock, ex, left) = match (std::mem::replace(self, Game::Done), reply) {
            (Game::Start { clock, ex, board }, _) => {
                if trace::enabled() {
                    trace::name_current(format!("board {}", board + 1));
                }
                (clock, ex, ex.moves)
            }
            (Game::OpponentThinking { clock, ex, left }, Reply::Woke) => (clock, ex, left),
            (Game::OpponentThinking { .. }, _) => {
                return Err(ResumeError::UnexpectedInput { expected: "Reply::Woke" });
            }
            (Game::Done, _) => return Err(ResumeError::AfterCompletion),
        };
        if left == 0 {
            return Ok(CoroutineState::Complete(clock.now()));
        }
        clock.block_for(ex.master); // Judit thinks: nobody else moves
        *self = Game::OpponentThinking { clock, ex, left: left - 1 };
        Ok(CoroutineState::Yielded(Trap::Sleep(ex.opponent)))
    }
}

/// Judit playing one game at a time: start a game, join it, start the
/// next.
///
/// ```python
/// def sequential():
///     for board in range(24):
///         yield Join((yield Spawn(game(board))))
/// ```
///
/// ```text
///   +-------+  Start / Joined: spawn game(next)   +--------------------+
///   | Next  | ----------------------------------> | Spawning{board}    |
///   |{board}| <--------------------------------+  +--------------------+
///   +-------+   Joined(board finished)         |       | Spawned(id): yield Join(id)
///       | board == 24: return now              +-------+ (Joining{board})
///       v
///   +------+
///   | Done |
///   +------+
/// ```
pub enum Sequential {
    /// About to start game `board`.
    Next {
        /// The exhibition's clock.
        clock: Clock,
        /// The parameters.
        ex: Exhibition,
        /// The next board.
        board: u32,
    },
    /// Asked to spawn game `board`, or joining it.
    Waiting {
        /// The exhibition's clock.
        clock: Clock,
        /// The parameters.
        ex: Exhibition,
        /// The board being played.
        board: u32,
    },
    /// Returned.
    Done,
}

impl Coroutine<Reply<Instant>> for Sequential {
    type Yield = Trap<Instant>;
    type Return = Instant;

    fn resume(&mut self, reply: Reply<Instant>) -> Resume<Trap<Instant>, Instant> {
        match (std::mem::replace(self, Sequential::Done), reply) {
            (Sequential::Next { clock, ex, board }, _) => {
                if board == 0 {
                    trace::name_current("judit");
                }
                if board == ex.boards {
                    return Ok(CoroutineState::Complete(clock.now()));
                }
                let game = Box::new(Game::Start { clock: clock.clone(), ex, board });
                *self = Sequential::Waiting { clock, ex, board };
                Ok(CoroutineState::Yielded(Trap::Spawn(game)))
            }
            (Sequential::Waiting { clock, ex, board }, Reply::Spawned(id)) => {
                *self = Sequential::Waiting { clock, ex, board };
                Ok(CoroutineState::Yielded(Trap::Join(id)))
            }
            (Sequential::Waiting { clock, ex, board }, Reply::Joined(_)) => {
                *self = Sequential::Next { clock, ex, board: board + 1 };
                self.resume(Reply::Start)
            }
            (Sequential::Waiting { .. }, _) => {
                Err(ResumeError::UnexpectedInput { expected: "Reply::Spawned or Reply::Joined" })
            }
            (Sequential::Done, _) => Err(ResumeError::AfterCompletion),
        }
    }
}

/// The sequential exhibition: how long it took.
pub fn sequential(clock: Clock, ex: Exhibition) -> Result<Duration, RunError> {
    let mut scheduler = Scheduler::<Instant>::with_clock(clock.clone())?;
    let start = scheduler.now();
    let end = scheduler.run(Sequential::Next { clock, ex, board: 0 })?;
    Ok(end - start)
}

/// The simul: every game spawned at once. Returns how long it took and
/// when each game ended (board order).
pub fn simul(clock: Clock, ex: Exhibition) -> Result<(Duration, Vec<Instant>), RunError> {
    let mut scheduler = Scheduler::<Instant>::with_clock(clock.clone())?;
    let start = scheduler.now();
    let games: Vec<TaskId> = (0..ex.boards)
        .map(|board| scheduler.spawn(Game::Start { clock: clock.clone(), ex, board }))
        .collect();
    scheduler.run_all()?;
    let mut ends = Vec::new();
    for id in games {
        match scheduler.take_result(id) {
            Some(Ok(end)) => ends.push(end),
            Some(Err(e)) => return Err(RunError::Main(e)),
            None => return Err(RunError::Main(simul_coro::JoinError::NoSuchTask)),
        }
    }
    Ok((scheduler.now() - start, ends))
}

/// The scenario: the sequential exhibition, then the simul.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>> {
    let ex = SEED.scaled(opts.scale());
    let mut traces = Traces::default();
    let sequential =
        opts.unscaled(opts.record(&mut traces, "sequential", || sequential(opts.clock(), ex))?);
    say!("Sequential exhibition: {} s; the seeds: 12 h", sequential.as_secs_f64());
    let (simul, _) = opts.record(&mut traces, "simul", || simul(opts.clock(), ex))?;
    let simul = opts.unscaled(simul);
    say!("Simul: {} s; the seeds' estimate: 1 h (24 x 5 s x 30)", simul.as_secs_f64());
    say!(
        "Why 55 s more: a round of Judit's moves takes 24 x 5 s = 120 s, longer than the 60 s a \
         board needs between two of her moves, so she never waits for an opponent and her last \
         move ends at 30 x 120 s = 1 h, the seeds' figure. The game on board 24 then still needs \
         its opponent's last reply: 55 s that nothing overlaps."
    );
    Ok(Outcome {
        style: Style::Coro,
        exact: opts.is_virtual(),
        figures: Figures::Chess { sequential, simul },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Chess, Style::Coro, scenario)
}
