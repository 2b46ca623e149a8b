//! The chess simul of the seeds, played by the bare reactor.
//!
//! ```sh
//! cargo run --release --example simul_board              # virtual clock: 13 simulated hours in milliseconds
//! cargo run --release --example simul_board -- --real   # real clock, 1 simulated s = 0.1 ms
//! ```
//!
//! Judit Polgár plays 24 opponents. She needs 5 s per move, each opponent
//! 55 s, and a game is 30 move pairs (seeds 001, 003, 004). Played one game
//! after another it takes 12 hours; walking from board to board, about one.
//!
//! Nothing here but `simul-reactor`: the master is the loop, her moves are
//! blocking work ([`Clock::block_for`]: nothing else happens while she
//! moves), and each thinking opponent is a timer in a [`TimerQueue`]. The
//! loop moves at every board whose opponent has answered, then asks the
//! reactor to wait until the next answer is due. On the virtual clock that
//! wait is a jump; on the real clock it is a precise sleep.

use simul::reactor::{Clock, Events, Instant, Reactor, TimerQueue};
use std::collections::VecDeque;
use std::time::Duration;

const BOARDS: usize = 24;
const MASTER_MOVE_S: u64 = 5;
const OPPONENT_MOVE_S: u64 = 55;
const MOVE_PAIRS: u32 = 30;

/// One move of the master at one board, in simulated time.
#[derive(Clone, Copy)]
struct Move {
    start: Instant,
    end: Instant,
    /// When the opponent's reply comes (they think from `end`).
    answer: Instant,
}

fn main() {
    let (clock, unit) = parse_args();
    let mut reactor = Reactor::with_clock(clock).expect("reactor");
    let kind = if reactor.clock().is_virtual() { "virtual" } else { "real" };
    println!(
        "simul: one master, {BOARDS} boards; {MASTER_MOVE_S} s a master move, {OPPONENT_MOVE_S} s an opponent move, {MOVE_PAIRS} move pairs a game"
    );
    println!("clock: {kind}, one simulated second = {unit:?} of clock time\n");

    let wall = std::time::Instant::now();
    let sequential = play_sequential(&mut reactor, unit);
    let (simul, games) = play_simul(&mut reactor, unit);
    let wall = wall.elapsed();

    println!("The first 12 minutes of the simul, one column per 10 s:");
    println!(
        "  M master moving at the board, o opponent thinking, - answered, waiting for the master\n"
    );
    print_board(&games, unit, Duration::from_secs(10), 72);

    let estimate = Duration::from_secs(BOARDS as u64 * MASTER_MOVE_S * MOVE_PAIRS as u64);
    println!();
    println!("sequential  {}   (seed: 12 h = 24 games x 30 pairs x (5 s + 55 s))", hms(sequential));
    println!("simul       {}   (seed's estimate: {} = 24 x 5 s x 30)", hms(simul), hms(estimate));
    println!(
        "difference  {}   the estimate counts only the master's moves; the last opponent's final {} s of thought overlaps nothing",
        hms(simul.saturating_sub(estimate)),
        OPPONENT_MOVE_S
    );
    println!("speed-up    {:.2}x", sequential.as_secs_f64() / simul.as_secs_f64());
    if !reactor.clock().is_virtual() {
        println!(
            "note        on the real clock every sleep ends a little late (the OS wakes the thread tens of µs after the deadline);\n            at {unit:?} per simulated second that lateness is magnified: use a smaller --scale for figures closer to the seed's"
        );
    }
    println!("wall time   {wall:.2?} for {} simulated", hms(sequential + simul));
}

/// One game after another: move, then wait (the loop sleeps) for the reply.
fn play_sequential(reactor: &mut Reactor, unit: Duration) -> Duration {
    let mut events = Events::with_capacity(16);
    let start = reactor.now();
    for _board in 0..BOARDS {
        for _pair in 0..MOVE_PAIRS {
            reactor.clock().block_for(unit * MASTER_MOVE_S as u32);
            let answer = reactor.now() + unit * OPPONENT_MOVE_S as u32;
            while reactor.now() < answer {
                reactor.poll(&mut events, Some(answer)).expect("poll");
            }
        }
    }
    simulated(reactor.now() - start, unit)
}

/// The simul: move wherever an answer is waiting, let the reactor wait for
/// the rest. Returns the total time and every board's moves.
fn play_simul(reactor: &mut Reactor, unit: Duration) -> (Duration, Vec<Vec<Move>>) {
    let mut events = Events::with_capacity(16);
    let mut thinking: TimerQueue<usize> = TimerQueue::with_capacity(BOARDS);
    let mut waiting: VecDeque<usize> = (0..BOARDS).collect();
    let mut games: Vec<Vec<Move>> = vec![Vec::new(); BOARDS];
    let mut finished = 0;
    let origin = reactor.now();
    while finished < BOARDS {
        // The master's round: one move at every board that has answered.
        while let Some(board) = waiting.pop_front() {
            let start = reactor.now();
            reactor.clock().block_for(unit * MASTER_MOVE_S as u32);
            let end = reactor.now();
            let answer = end + unit * OPPONENT_MOVE_S as u32;
            thinking.insert(answer, board);
            games[board].push(Move { start, end, answer });
        }
        // Nobody to play: wait for the earliest answer (a jump, on the
        // virtual clock), then collect every opponent who has answered.
        reactor.poll(&mut events, thinking.next_deadline()).expect("poll");
        while let Some((_, board)) = thinking.pop_due(reactor.now()) {
            if games[board].len() as u32 == MOVE_PAIRS {
                finished += 1; // the opponent's last move ends the game
            } else {
                waiting.push_back(board);
            }
        }
    }
    let rebased = games
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|m| Move {
                    start: Instant::ZERO + (m.start - origin),
                    end: Instant::ZERO + (m.end - origin),
                    answer: Instant::ZERO + (m.answer - origin),
                })
                .collect()
        })
        .collect();
    (simulated(reactor.now() - origin, unit), rebased)
}

/// One lane per board: what was happening at that board, column by column.
fn print_board(games: &[Vec<Move>], unit: Duration, column: Duration, columns: usize) {
    for (board, moves) in games.iter().enumerate() {
        let lane: String = (0..columns)
            .map(|c| {
                let from = Instant::ZERO + unit * (column.as_secs() * c as u64) as u32;
                let to = from + unit * column.as_secs() as u32;
                if moves.iter().any(|m| m.start < to && m.end > from) {
                    return 'M';
                }
                let mid = from + (to - from) / 2;
                match moves.iter().rev().find(|m| m.start <= mid) {
                    None => '-',
                    Some(m) if mid < m.answer => 'o',
                    Some(_)
                        if moves.len() as u32 == MOVE_PAIRS
                            && moves.last().is_some_and(|l| mid >= l.answer) =>
                    {
                        ' '
                    }
                    Some(_) => '-',
                }
            })
            .collect();
        println!("  board {:>2} |{lane}|", board + 1);
    }
}

fn simulated(d: Duration, unit: Duration) -> Duration {
    Duration::from_secs_f64(d.as_secs_f64() / unit.as_secs_f64())
}

fn hms(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `--real` picks the real clock; `--scale N` makes a simulated second
/// last 1/N s of clock time (default 1 on the virtual clock, 10000 on the
/// real one).
fn parse_args() -> (Clock, Duration) {
    let mut real = false;
    let mut scale: Option<u32> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--real" => real = true,
            "--scale" => match args.next().map(|n| n.parse::<u32>()) {
                Some(Ok(n)) if n > 0 => scale = Some(n),
                _ => usage("--scale needs a positive whole number"),
            },
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    let clock = if real { Clock::real() } else { Clock::new_virtual() };
    let scale = scale.unwrap_or(if real { 10_000 } else { 1 });
    (clock, Duration::from_secs(1) / scale)
}

fn usage(why: &str) -> ! {
    if !why.is_empty() {
        eprintln!("simul_board: {why}");
    }
    eprintln!("usage: simul_board [--real] [--scale N]");
    std::process::exit(if why.is_empty() { 0 } else { 2 })
}
