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
//! Runs on the virtual clock (milliseconds of wall time); `--real --scale N`
//! runs it on the real clock with every duration divided by N.
//!
//! ```text
//! cargo run -p simul-future --example chess_async [-- --real --scale 3600]
//! ```

use std::time::Duration;

use simul_future::{Runtime, RuntimeError, join_all, sleep};
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

/// One game, seen from the board.
async fn game(clock: Clock, ex: Exhibition) {
    for _ in 0..ex.moves {
        clock.block_for(ex.master); // Judit thinks: nobody else moves
        sleep(ex.opponent).await; // the opponent thinks: Judit walks on
    }
}

/// Judit playing one game at a time.
async fn sequential(clock: Clock, ex: Exhibition) {
    for _board in 0..ex.boards {
        game(clock.clone(), ex).await;
    }
}

/// Judit's simul: all games gathered.
async fn simul(clock: Clock, ex: Exhibition) {
    join_all((0..ex.boards).map(|_| game(clock.clone(), ex)).collect()).await;
}

/// Plays both exhibitions; durations are scaled back to simulated time.
pub fn run(real: bool, scale: u32) -> Result<Figures, RuntimeError> {
    let ex = if real { SEED.scaled(scale) } else { SEED };
    let unscale = |d: Duration| if real { d * scale } else { d };
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };

    let c = clock();
    let t0 = c.now();
    Runtime::with_clock(c.clone())?.block_on(sequential(c.clone(), ex))?;
    let seq = unscale(c.now() - t0);

    let c = clock();
    let t0 = c.now();
    Runtime::with_clock(c.clone())?.block_on(simul(c.clone(), ex))?;
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
