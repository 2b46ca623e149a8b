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
//! runs it on the real clock with every duration divided by N.
//!
//! ```text
//! cargo run -p simul-green --example chess_green [-- --real --scale 3600]
//! ```

use std::time::Duration;

use simul_green::{Error, Hub};
use simul_reactor::{Clock, Instant};

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
        let games = (0..ex.boards)
            .map(|_| {
                let clock = clock.clone();
                simul_green::spawn(move || game(&clock, ex))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut ends = Vec::new();
        for g in games {
            ends.push(g.join()??);
        }
        Ok(ends)
    })??;
    Ok((hub.now() - start, ends))
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
        return Err("--scale must be positive".into());
    }
    let clock = || if real { Clock::real() } else { Clock::new_virtual() };
    let ex = if real { SEED.scaled(scale) } else { SEED };
    let unscale = |d: Duration| if real { d * scale } else { d };

    let seq = unscale(sequential(clock(), ex)?);
    println!("Sequential exhibition: {} ({} s); the seeds: 12 hours", hms(seq), seq.as_secs_f64());
    let (simul_time, _) = simul(clock(), ex)?;
    let simul_time = unscale(simul_time);
    println!(
        "Simul: {} ({} s); the seeds' estimate: 1:00:00 (24 x 5 s x 30 = 3600 s)",
        hms(simul_time),
        simul_time.as_secs_f64()
    );
    println!(
        "Why 55 s more: a round of Judit's moves takes 24 x 5 s = 120 s, longer than the 60 s a \
         board needs between two of her moves, so she never waits for an opponent and her last \
         move ends at 30 x 120 s = 1 h, the seeds' figure. The last opponent's final 55 s of \
         thought comes after that, and it overlaps nothing."
    );
    println!(
        "chess, green: sequential {} (seed 12:00:00), simul {} (seed estimate 1:00:00)",
        hms(seq),
        hms(simul_time)
    );
    Ok(())
}
