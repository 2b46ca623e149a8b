//! Seeds 001/003/004, `chess`, `async fn` style: Judit Polgár's
//! simultaneous exhibition.
//!
//! 24 opponents; Judit takes 5 s per move, each opponent 55 s; a game is
//! 30 move pairs. Judit's thinking is *blocking* work (`Clock::block_for`):
//! she is the event loop, and while she thinks at one board nothing else
//! happens. An opponent's thinking is `sleep(55 s).await`: Judit walks on.
//!
//! ```python
//! async def game(board):
//!     for move in range(30):
//!         time.sleep(5)              # Judit thinks: the loop is hers
//!         await asyncio.sleep(55)    # the opponent thinks; Judit walks on
//!
//! async def sequential():
//!     for board in range(24):
//!         await game(board)
//!
//! async def simul():
//!     await asyncio.gather(*(game(board) for board in range(24)))
//! ```
//!
//! * Sequential (one game at a time): 24 × 30 × (5 + 55) s = 12 h exactly.
//! * Simul: the seeds estimate 1 h (24 × 5 s × 30, Judit's own time). The
//!   simulation gives 3,655 s = 1:00:55 and says why.
//!
//! Each game is spawned as a task of its own (as `asyncio.gather` wraps
//! each coroutine in a Task), so each board has its lane on the timeline.
//!
//! Runs on the virtual clock (milliseconds of wall time); `--real --scale N`
//! runs it on the real clock with every duration divided by N.
//!
//! ```text
//! cargo run --release -p simul-future --example chess_async [-- --board | --real --scale 3600]
//! ```

use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join_all, sleep, spawn};
use simul_reactor::{Clock, trace};
use simul_scenario::params::chess::{BOARDS, MASTER, MOVES, OPPONENT};
use simul_scenario::{Options, Outcome, Scenario, Style, Traces, say};

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

/// The seeds' figures.
pub const SEED: Exhibition =
    Exhibition { boards: BOARDS, moves: MOVES, master: MASTER, opponent: OPPONENT };

impl Exhibition {
    /// Every duration divided by `scale` (for the real clock).
    pub fn scaled(self, scale: u32) -> Exhibition {
        Exhibition { master: self.master / scale, opponent: self.opponent / scale, ..self }
    }
}

/// What the program measures, in simulated (unscaled) time.
#[derive(Debug)]
pub struct Figures {
    /// One game after the other.
    pub sequential: Duration,
    /// All games at once.
    pub simul: Duration,
}

/// One game, seen from board `board`.
async fn game(clock: Clock, ex: Exhibition, board: u32) {
    if trace::enabled() {
        trace::name_current(format!("board {board}"));
    }
    for _ in 0..ex.moves {
        clock.block_for(ex.master); // Judit thinks: nobody else moves
        sleep(ex.opponent).await; // the opponent thinks: Judit walks on
    }
}

/// Judit playing one game at a time (each still its own task, awaited
/// before the next begins).
async fn sequential(clock: Clock, ex: Exhibition) {
    for board in 1..=ex.boards {
        let _ = spawn(game(clock.clone(), ex, board)).await;
    }
}

/// Judit's simul: all games spawned, then gathered.
async fn simul(clock: Clock, ex: Exhibition) {
    let games = (1..=ex.boards).map(|b| spawn(game(clock.clone(), ex, b))).collect();
    join_all(games).await;
}

/// Plays one exhibition on `clock`; returns how long it took (clock time).
fn play(clock: Clock, ex: Exhibition, at_once: bool) -> Result<Duration, RuntimeError> {
    let t0 = clock.now();
    let mut rt = Runtime::with_clock(clock.clone())?;
    if at_once {
        rt.block_on(simul(clock.clone(), ex))?;
    } else {
        rt.block_on(sequential(clock.clone(), ex))?;
    }
    Ok(clock.now() - t0)
}

/// Plays both exhibitions; durations are scaled back to simulated time.
pub fn run(real: bool, scale: u32) -> Result<Figures, RuntimeError> {
    let ex = if real { SEED.scaled(scale) } else { SEED };
    let unscale = |d: Duration| if real { d * scale } else { d };
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };
    let seq = unscale(play(clock(), ex, false)?);
    Ok(Figures { sequential: seq, simul: unscale(play(clock(), ex, true)?) })
}

/// The scenario: sequential, then the simul, each traced if asked.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let ex = SEED.scaled(opts.scale());
    let mut traces = Traces::default();
    let sequential =
        opts.unscaled(opts.record(&mut traces, "sequential", || play(opts.clock(), ex, false))?);
    say!("Sequential exhibition: {:?}; the seeds: 12:00:00", sequential);
    let simul = opts.unscaled(opts.record(&mut traces, "simul", || play(opts.clock(), ex, true))?);
    say!("Simul: {:?}; the seeds' estimate: 1:00:00 (24 x 5 s x 30)", simul);
    say!(
        "Why 55 s more: a round of Judit's moves takes 24 x 5 s = 120 s, longer than the 60 s a \
         board needs between two of her moves, so she never waits for an opponent and her last \
         move ends at 30 x 120 s = 1 h, the seeds' figure. The game on board 24 then still needs \
         its opponent's last reply: 55 s that nothing overlaps."
    );
    let figures = simul_scenario::Figures::Chess { sequential, simul };
    Ok(Outcome { style: Style::Async, exact: opts.is_virtual(), figures, traces })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Chess, Style::Async, scenario)
}
