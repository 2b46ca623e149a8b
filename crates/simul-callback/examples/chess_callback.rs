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
//! ```text
//! cargo run -p simul-callback --example chess_callback            # virtual clock: 12 h in ms
//! cargo run -p simul-callback --example chess_callback -- --board # 24 board lanes
//! cargo run -p simul-callback --example chess_callback -- --real --scale 3600
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use simul_callback::{Error, EventLoop};
use simul_reactor::{Clock, trace};
use simul_scenario::params::chess::{BOARDS, MASTER, MOVES, OPPONENT};
use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces, say};

/// Judit makes her `pair`-th move on a board (blocking: she is standing
/// there), then the opponent's reply is a wait; when it comes, she moves
/// there again. The closure chain *is* the board: no board number needed.
fn master_move(lp: &mut EventLoop, pair: u32, moves: (Duration, Duration), done: Rc<Cell<u32>>) {
    let (master, opponent) = moves;
    lp.clock().block_for(master);
    lp.call_later(opponent, move |lp| {
        if pair == MOVES {
            done.set(done.get() + 1);
        } else {
            master_move(lp, pair + 1, moves, done);
        }
    });
}

/// The sequential figure: one game after the other.
pub(crate) fn sequential() -> Duration {
    (MASTER + OPPONENT) * MOVES * BOARDS
}

/// Plays the simul; returns how long it took on `clock`.
pub(crate) fn simul(clock: Clock, master: Duration, opponent: Duration) -> Result<Duration, Error> {
    let mut lp = EventLoop::with_clock(clock)?;
    let start = lp.time();
    let games_done = Rc::new(Cell::new(0));
    for board in 1..=BOARDS {
        let g = games_done.clone();
        lp.call_soon(move |lp| {
            if trace::enabled() {
                trace::name_current(format!("board {board}"));
            }
            master_move(lp, 1, (master, opponent), g)
        });
    }
    let g = games_done.clone();
    lp.run_until(move |_| g.get() == BOARDS)?;
    Ok(lp.time() - start)
}

/// The sequential figure and the simul, in seed time.
pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut traces = Traces::default();
    let sequential = sequential();
    say!(
        "sequential: {:.1} h ({BOARDS} games of {} min each)",
        sequential.as_secs_f64() / 3600.0,
        ((MASTER + OPPONENT) * MOVES).as_secs() / 60
    );
    let (master, opponent) = (opts.scaled(MASTER), opts.scaled(OPPONENT));
    let simul =
        opts.unscaled(opts.record(&mut traces, "simul", || simul(opts.clock(), master, opponent))?);
    let estimate = MASTER * BOARDS * MOVES;
    say!("simul: {} s (the seeds' estimate: {} s = 1 h)", simul.as_secs(), estimate.as_secs());
    say!(
        "the difference: after her last move on the last board, its opponent still takes {} s to reply",
        simul.saturating_sub(estimate).as_secs()
    );
    Ok(Outcome {
        style: Style::Callback,
        exact: opts.is_virtual(),
        figures: Figures::Chess { sequential, simul },
        traces,
    })
}

fn main() -> std::process::ExitCode {
    simul_scenario::main(Scenario::Chess, Style::Callback, scenario)
}
