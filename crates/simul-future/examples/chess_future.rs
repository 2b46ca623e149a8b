//! Seeds 001/003/004, `chess`, hand-written future style: Judit Polgár's
//! simultaneous exhibition, with no `async` anywhere.
//!
//! 24 opponents; Judit takes 5 s per move, each opponent 55 s; a game is
//! 30 move pairs. Judit's thinking is *blocking* work (`Clock::block_for`
//! inside a poll): she is the event loop, and while she thinks at one
//! board nothing else happens. An opponent's thinking is a `Sleep` the
//! game keeps in its state `OpponentThinking`: the game returns `Pending`
//! and Judit walks on to the next board.
//!
//! A game is the note on the board: which state it is in, how many moves
//! are left. Each game is a task of its own (lanes `board 1` ..
//! `board 24` on the board). The sequential exhibition is a machine that
//! spawns one game, waits for it, then spawns the next; the simul spawns
//! all 24 and gathers their handles with `join_all` (asyncio's `gather`).
//!
//! * Sequential (one game at a time): 24 × 30 × (5 + 55) s = 12 h exactly.
//! * Simul: the seeds estimate 1 h (24 × 5 s × 30, Judit's own time). The
//!   simulation gives 3,655 s = 1:00:55 and says why.
//!
//! Runs on the virtual clock (milliseconds of wall time); `--real --scale N`
//! runs it on the real clock with every duration divided by N (default
//! 3600: 13 hours in 13 s).
//!
//! ```text
//! cargo run -p simul-future --example chess_future [-- --real --scale 3600 --board --svg chess.svg]
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{JoinHandle, Runtime, RuntimeError, Sleep, join_all, sleep, spawn};
use simul_reactor::Clock;
use simul_reactor::trace;
use simul_scenario::params::chess::{BOARDS, MASTER, MOVES, OPPONENT};
use simul_scenario::{Options, Outcome, Scenario, Style, Traces, say};

/// The exhibition's parameters, as one game's note carries them.
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

/// The seeds' figures ([`simul_scenario::params::chess`]).
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

/// One game, seen from the board. Every field is `Unpin` (`Sleep` is),
/// so the machine is matched through `get_mut`, without pin projection.
///
/// ```text
///   [Start] --poll: Judit moves (block 5 s), sleep(55 s)--> [OpponentThinking{left}]
///                                                            |  ^
///            sleep Ready, left > 0: Judit moves, sleep(55 s) +--+
///            sleep Pending: Pending (Judit walks on)
///                                                            |
///            sleep Ready, left == 0 -----------------------> [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum Game {
    /// Not polled yet: the game on board `board` (from 1).
    Start { board: u32, clock: Clock, ex: Exhibition },
    /// Waiting for the opponent's reply; `left` move pairs still to play.
    OpponentThinking { clock: Clock, ex: Exhibition, left: u32, reply: Sleep },
    /// The game is over.
    Done,
}

impl Game {
    /// The game on board `board`, not started yet.
    fn new(board: u32, clock: Clock, ex: Exhibition) -> Game {
        Game::Start { board, clock, ex }
    }
}

impl Future for Game {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let (clock, ex, left) = match this {
                Game::Start { board, clock, ex } => {
                    if trace::enabled() {
                        trace::name_current(format!("board {board}"));
                    }
                    (clock.clone(), *ex, ex.moves)
                }
                Game::OpponentThinking { clock, ex, left, reply } => {
                    ready!(Pin::new(reply).poll(cx));
                    (clock.clone(), *ex, *left)
                }
                Game::Done => panic!("Game polled after it finished"),
            };
            if left == 0 {
                *this = Game::Done;
                return Poll::Ready(());
            }
            clock.block_for(ex.master); // Judit thinks: nobody else moves
            let reply = sleep(ex.opponent);
            *this = Game::OpponentThinking { clock, ex, left: left - 1, reply };
            // Loop: the new sleep must be polled once to arm its timer.
        }
    }
}

/// Judit playing one game at a time: spawn a board's game, wait for it,
/// walk to the next board.
///
/// ```text
///   [Playing{board, game}] --game Ready, board < 24--> [Playing{board + 1, spawn(new game)}]
///        | game Pending: Pending
///        +-- game Ready, last board --> [Done] -> Ready(())
/// ```
#[must_use = "futures do nothing unless polled"]
enum Sequential {
    /// Not polled yet (games are spawned from inside the runtime).
    Start { clock: Clock, ex: Exhibition },
    /// Playing board `board` (from 1) to its end.
    Playing { clock: Clock, ex: Exhibition, board: u32, game: JoinHandle<()> },
    /// Every game is over.
    Done,
}

impl Future for Sequential {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let (clock, ex, board) = match this {
                Sequential::Start { clock, ex } => (clock.clone(), *ex, 1),
                Sequential::Playing { clock, ex, board, game } => {
                    ready!(Pin::new(game).poll(cx)).expect("a game does not panic");
                    (clock.clone(), *ex, *board + 1)
                }
                Sequential::Done => panic!("Sequential polled after it finished"),
            };
            if board > ex.boards {
                *this = Sequential::Done;
                return Poll::Ready(());
            }
            let game = spawn(Game::new(board, clock.clone(), ex));
            *this = Sequential::Playing { clock, ex, board, game };
        }
    }
}

/// Plays one exhibition (`simul` or sequential) on `clock`; returns how
/// long it took on that clock.
pub fn play(simul: bool, clock: Clock, ex: Exhibition) -> Result<Duration, RuntimeError> {
    let mut rt = Runtime::with_clock(clock.clone())?;
    let t0 = clock.now();
    if simul {
        let games = (1..=ex.boards).map(|b| rt.spawn(Game::new(b, clock.clone(), ex))).collect();
        for done in rt.block_on(join_all(games))? {
            done.expect("a game does not panic");
        }
    } else {
        rt.block_on(Sequential::Start { clock: clock.clone(), ex })?;
    }
    Ok(clock.now() - t0)
}

/// Plays both exhibitions; durations are scaled back to simulated time.
pub fn run(real: bool, scale: u32) -> Result<Figures, RuntimeError> {
    let ex = if real { SEED.scaled(scale) } else { SEED };
    let unscale = |d: Duration| if real { d * scale } else { d };
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };
    let sequential = unscale(play(false, clock(), ex)?);
    let simul = unscale(play(true, clock(), ex)?);
    Ok(Figures { sequential, simul })
}

/// `h:mm:ss`.
fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The scenario: the sequential exhibition, then the simul, each traced
/// as its variant; figures in seed units.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let ex = SEED.scaled(opts.scale());
    let sequential = opts.record(&mut traces, "sequential", || play(false, opts.clock(), ex))?;
    let sequential = opts.unscaled(sequential);
    say!(
        "Sequential exhibition: {} ({} s); the seeds: 12:00:00",
        hms(sequential),
        sequential.as_secs_f64()
    );
    let simul = opts.unscaled(opts.record(&mut traces, "simul", || play(true, opts.clock(), ex))?);
    say!(
        "Simul: {} ({} s); the seeds' estimate: 1:00:00 (24 x 5 s x 30)",
        hms(simul),
        simul.as_secs_f64()
    );
    say!(
        "Why 55 s more: a round of Judit's moves takes 24 x 5 s = 120 s, longer than the 60 s a \
         board needs between two of her moves, so she never waits for an opponent and her last \
         move ends at 30 x 120 s = 1 h, the seeds' figure. The game on board 24 then still needs \
         its opponent's last reply: 55 s that nothing overlaps."
    );
    Ok(Outcome {
        style: Style::Future,
        exact: opts.is_virtual(),
        figures: simul_scenario::Figures::Chess { sequential, simul },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Chess, Style::Future, scenario)
}
