//! Seeds 001/003/004, `chess`, green style: Judit Polgár's simultaneous
//! exhibition. 24 opponents; Judit takes 5 s per move, each opponent
//! 55 s; a game is 30 move pairs.
//!
//! ```python
//! def game(board):                 # one greenlet per board
//!     for move in range(30):
//!         judit_moves()            # 5 s of thought: blocking, she is the loop
//!         time.sleep(55)           # the opponent thinks; Judit walks on
//! ```
//!
//! Judit's thinking is blocking work (`Clock::block_for`): while she
//! thinks at one board nothing else happens. An opponent's thinking is
//! `simul_green::sleep`, which parks that board's green thread.
//!
//! * Sequential (main calls `game` 24 times): 24 x 30 x (5 + 55) s = 12 h
//!   exactly.
//! * Simul (24 green threads): the seeds estimate 1 h (24 x 5 s x 30,
//!   Judit's own time); the simulation gives 1:00:55 and says why.
//!
//! Runs on the virtual clock (milliseconds of wall time); `--real --scale N`
//! runs it on the real clock with every duration divided by N (default
//! 3600); `--board` draws each variant's timeline (lanes `board 1` ..
//! `board 24`; Judit's blocking moves show on the board she plays at).
//!
//! ```text
//! cargo run --release -p simul-green --example chess_green [-- --real --scale 3600 --board --svg chess.svg]
//! ```

use std::error::Error as StdError;
use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::{Clock, Instant, trace};
use simul_scenario::params::chess::{BOARDS, MASTER, MOVES, OPPONENT};
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

/// The seeds' figures.
pub const SEED: Exhibition =
    Exhibition { boards: BOARDS, moves: MOVES, master: MASTER, opponent: OPPONENT };

impl Exhibition {
    /// Every duration as it lasts in the run `opts` asks for.
    pub fn scaled(self, opts: &Options) -> Exhibition {
        Exhibition {
            master: opts.scaled(self.master),
            opponent: opts.scaled(self.opponent),
            ..self
        }
    }
}

/// One game, seen from the board; returns when it ended.
fn game(clock: &Clock, ex: Exhibition) -> std::io::Result<Instant> {
    for _ in 0..ex.moves {
        clock.block_for(ex.master); // Judit thinks: nobody else moves
        simul_green::sleep(ex.opponent)?; // the opponent thinks: Judit walks on
    }
    simul_green::now()
}

/// Judit plays one game after the other. Returns how long it took.
pub fn sequential(clock: Clock, ex: Exhibition) -> Result<Duration, Error> {
    let hub = Hub::with_clock(clock.clone())?;
    let start = hub.now();
    hub.run(|| -> std::io::Result<()> {
        trace::name_current("judit"); // main: Judit at one board after another
        for _board in 0..ex.boards {
            game(&clock, ex)?;
        }
        Ok(())
    })??;
    Ok(hub.now() - start)
}

/// The simul: one green thread per board. Returns how long it took and
/// when each game ended (board order).
pub fn simul(clock: Clock, ex: Exhibition) -> Result<(Duration, Vec<Instant>), Error> {
    let hub = Hub::with_clock(clock.clone())?;
    let start = hub.now();
    let ends = hub.run(|| -> Result<Vec<Instant>, Error> {
        let games = (1..=ex.boards)
            .map(|board| {
                let clock = clock.clone();
                let game = simul_green::spawn(move || game(&clock, ex))?;
                if trace::enabled() {
                    trace::name(hub.unit(game.id()), format!("board {board}"));
                }
                Ok(game)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut ends = Vec::new();
        for g in games {
            ends.push(g.join()??);
        }
        Ok(ends)
    })??;
    Ok((hub.now() - start, ends))
}

/// The scenario: one game after another, then the simul.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn StdError>> {
    let mut traces = Traces::default();
    let ex = SEED.scaled(opts);
    let sequential = opts.record(&mut traces, "sequential", || sequential(opts.clock(), ex))?;
    let sequential = opts.unscaled(sequential);
    say!("Sequential exhibition: {} s; the seeds: 12 hours", sequential.as_secs_f64());
    let (simul, _) = opts.record(&mut traces, "simul", || simul(opts.clock(), ex))?;
    let simul = opts.unscaled(simul);
    say!("Simul: {} s; the seeds' estimate: 24 x 5 s x 30 = 3600 s", simul.as_secs_f64());
    say!(
        "Why 55 s more: a round of Judit's moves takes 24 x 5 s = 120 s, longer than the 60 s a \
         board needs between two of her moves, so she never waits for an opponent and her last \
         move ends at 30 x 120 s = 1 h, the seeds' figure. The last opponent's final 55 s of \
         thought comes after that, and it overlaps nothing."
    );
    Ok(Outcome {
        style: Style::Green,
        exact: opts.is_virtual(),
        figures: Figures::Chess { sequential, simul },
        traces,
    })
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Chess, Style::Green, scenario)
}
