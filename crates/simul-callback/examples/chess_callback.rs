//! Seeds 001/003/004, `chess`, callback style: Judit Polgár plays a
//! simultaneous exhibition against 24 opponents. Her move takes 5 s, an
//! opponent's 55 s, 30 move pairs per game.
//!
//! Sequentially (one game after the other) that is 24 x 30 x 60 s = 12 h.
//! In the simul, each of her moves is work (it blocks the loop: she is at
//! that board), and each opponent's reply is a wait, scheduled with
//! `call_later`; when it is due, "move on board i" joins the ready queue.
//! The seeds estimate 1 h (24 x 5 s x 30); the simulation prints its exact
//! figure and why it differs.
//!
//! Runs on the virtual clock: 12 simulated hours take milliseconds.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::Clock;

const BOARDS: usize = 24;
const MASTER_MOVE: Duration = Duration::from_secs(5);
const OPPONENT_MOVE: Duration = Duration::from_secs(55);
const MOVE_PAIRS: u32 = 30;

/// Judit makes her `pair`-th move on a board (blocking: she is standing
/// there), then the opponent's reply is a wait; when it comes, she moves
/// there again. The closure chain *is* the board: no board number needed.
fn master_move(lp: &mut EventLoop, pair: u32, games_done: Rc<Cell<usize>>) {
    lp.clock().block_for(MASTER_MOVE);
    lp.call_later(OPPONENT_MOVE, move |lp| {
        if pair == MOVE_PAIRS {
            games_done.set(games_done.get() + 1);
        } else {
            master_move(lp, pair + 1, games_done);
        }
    });
}

/// The sequential figure: one game after the other.
pub(crate) fn sequential() -> Duration {
    (MASTER_MOVE + OPPONENT_MOVE) * MOVE_PAIRS * BOARDS as u32
}

/// Plays the simul on the virtual clock; returns how long it took.
pub(crate) fn simul() -> Result<Duration, Error> {
    let mut lp = EventLoop::with_clock(Clock::new_virtual())?;
    let games_done = Rc::new(Cell::new(0));
    for _board in 0..BOARDS {
        let g = games_done.clone();
        lp.call_soon(move |lp| master_move(lp, 1, g));
    }
    let g = games_done.clone();
    lp.run_until(move |_| g.get() == BOARDS)?;
    Ok(lp.time().since_origin())
}

fn main() -> Result<(), Error> {
    let per_game = (MASTER_MOVE + OPPONENT_MOVE) * MOVE_PAIRS;
    let sequential = sequential();
    println!(
        "sequential: {:.1} h (24 games of {} min each)",
        sequential.as_secs_f64() / 3600.0,
        per_game.as_secs() / 60
    );

    let simul = simul()?;
    let estimate = MASTER_MOVE * BOARDS as u32 * MOVE_PAIRS;
    println!(
        "simul: {} s = {} h {} min {} s (the seeds' estimate: {} s = 1 h)",
        simul.as_secs(),
        simul.as_secs() / 3600,
        simul.as_secs() % 3600 / 60,
        simul.as_secs() % 60,
        estimate.as_secs()
    );
    println!(
        "the difference: after her 30th move on the last board, its opponent still takes {} s to reply",
        (simul - estimate).as_secs()
    );
    Ok(())
}
