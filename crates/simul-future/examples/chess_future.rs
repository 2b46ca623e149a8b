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
//! are left. The sequential exhibition is a machine that holds one game at
//! a time; the simul hands all 24 to `join_all` (asyncio's `gather`).
//!
//! * Sequential (one game at a time): 24 × 30 × (5 + 55) s = 12 h exactly.
//! * Simul: the seeds estimate 1 h (24 × 5 s × 30, Judit's own time). The
//!   simulation gives 3,655 s = 1:00:55 and says why.
//!
//! Runs on the virtual clock (milliseconds of wall time); `--real --scale N`
//! runs it on the real clock with every duration divided by N.
//!
//! ```text
//! cargo run -p simul-future --example chess_future [-- --real --scale 3600]
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use simul_future::{Runtime, RuntimeError, Sleep, join_all, sleep};
use simul_reactor::Clock;

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
pub const SEED: Exhibition = Exhibition {
    boards: 24,
    moves: 30,
    master: Duration::from_secs(5),
    opponent: Duration::from_secs(55),
};

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

pin_project_lite::pin_project! {
    /// One game, seen from the board.
    ///
    /// ```text
    ///   [Start] --poll: Judit moves (block 5 s), sleep(55 s)--> [OpponentThinking{left}]
    ///                                                            |  ^
    ///            sleep Ready, left > 0: Judit moves, sleep(55 s) +--+
    ///            sleep Pending: Pending (Judit walks on)
    ///                                                            |
    ///            sleep Ready, left == 0 -----------------------> [Done] -> Ready(())
    /// ```
    #[project = GameProj]
    enum Game {
        /// Not polled yet.
        Start { clock: Clock, ex: Exhibition },
        /// Waiting for the opponent's reply; `left` move pairs still to play.
        OpponentThinking { clock: Clock, ex: Exhibition, left: u32, #[pin] reply: Sleep },
        /// The game is over.
        Done,
    }
}

impl Game {
    /// A game not started yet.
    fn new(clock: Clock, ex: Exhibition) -> Game {
        Game::Start { clock, ex }
    }
}

impl Future for Game {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let (clock, ex, left) = match self.as_mut().project() {
                GameProj::Start { clock, ex } => (clock.clone(), *ex, ex.moves),
                GameProj::OpponentThinking { clock, ex, left, reply } => {
                    ready!(reply.poll(cx));
                    (clock.clone(), *ex, *left)
                }
                GameProj::Done => panic!("Game polled after it finished"),
            };
            if left == 0 {
                self.set(Game::Done);
                return Poll::Ready(());
            }
            clock.block_for(ex.master); // Judit thinks: nobody else moves
            let reply = sleep(ex.opponent);
            self.set(Game::OpponentThinking { clock, ex, left: left - 1, reply });
            // Loop: the new sleep must be polled once to arm its timer.
        }
    }
}

pin_project_lite::pin_project! {
    /// Judit playing one game at a time.
    ///
    /// ```text
    ///   [Playing{board, game}] --game Ready, board + 1 < 24--> [Playing{board + 1, new game}]
    ///        | game Pending: Pending
    ///        +-- game Ready, last board --> [Done] -> Ready(())
    /// ```
    #[project = SequentialProj]
    enum Sequential {
        Playing { clock: Clock, ex: Exhibition, board: u32, #[pin] game: Game },
        Done,
    }
}

impl Future for Sequential {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.as_mut().project() {
                SequentialProj::Playing { clock, ex, board, game } => {
                    ready!(game.poll(cx));
                    let (clock, ex, board) = (clock.clone(), *ex, *board + 1);
                    if board == ex.boards {
                        self.set(Sequential::Done);
                        return Poll::Ready(());
                    }
                    let game = Game::new(clock.clone(), ex);
                    self.set(Sequential::Playing { clock, ex, board, game });
                }
                SequentialProj::Done => panic!("Sequential polled after it finished"),
            }
        }
    }
}

/// Plays both exhibitions; durations are scaled back to simulated time.
pub fn run(real: bool, scale: u32) -> Result<Figures, RuntimeError> {
    let ex = if real { SEED.scaled(scale) } else { SEED };
    let unscale = |d: Duration| if real { d * scale } else { d };
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };

    let c = clock();
    let t0 = c.now();
    let first = Game::new(c.clone(), ex);
    let seq = Sequential::Playing { clock: c.clone(), ex, board: 0, game: first };
    Runtime::with_clock(c.clone())?.block_on(seq)?;
    let seq = unscale(c.now() - t0);

    let c = clock();
    let t0 = c.now();
    let games = (0..ex.boards).map(|_| Game::new(c.clone(), ex)).collect();
    Runtime::with_clock(c.clone())?.block_on(join_all(games))?;
    Ok(Figures { sequential: seq, simul: unscale(c.now() - t0) })
}

/// `h:mm:ss`.
fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let real = args.iter().any(|a| a == "--real");
    let scale: u32 = match args.iter().position(|a| a == "--scale") {
        Some(i) => args.get(i + 1).ok_or("--scale needs a number")?.parse()?,
        None => 1,
    };
    if scale == 0 {
        return Err("--scale must be at least 1".into());
    }
    let f = run(real, scale)?;
    println!(
        "Sequential exhibition: {} ({} s); the seeds: 12:00:00",
        hms(f.sequential),
        f.sequential.as_secs_f64()
    );
    println!(
        "Simul: {} ({} s); the seeds' estimate: 1:00:00 (24 x 5 s x 30)",
        hms(f.simul),
        f.simul.as_secs_f64()
    );
    println!(
        "Why 55 s more: a round of Judit's moves takes 24 x 5 s = 120 s, longer than the 60 s a \
         board needs between two of her moves, so she never waits for an opponent and her last \
         move ends at 30 x 120 s = 1 h, the seeds' figure. The game on board 24 then still needs \
         its opponent's last reply: 55 s that nothing overlaps."
    );
    Ok(())
}
