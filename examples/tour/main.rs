//! The tour: every seed scenario in every simul style, side by side.
//!
//! ```sh
//! cargo run --release --example tour                      # the table and the boards, in seconds
//! cargo run --release --example tour -- --scenario chess --style coro
//! cargo run --release --example tour -- --svg docs/timelines --trace /tmp/traces
//! cargo run --release --example tour -- --help
//! ```
//!
//! A chess master giving a simul walks from board to board; an event loop
//! walks from task to task. The tour runs the eight scenarios of the seeds
//! (`../shared/SCENARIOS.md`) in each way simul has of suspending a
//! function: callbacks, generator-style coroutines, hand-written futures,
//! `async fn`, and green threads. It prints, for each scenario, what every
//! style measured beside the seed's figure and the sequential (or
//! blocking) baseline, with a check mark where they agree; then the *simul
//! board* of the scenarios whose picture says most: one lane per task,
//! time flowing right, `=` running, `#` blocking work that froze the loop,
//! `.` waiting.
//!
//! The long scenarios run on the virtual clock (twelve simulated hours in
//! milliseconds, exact to the nanosecond); `cpu_bound`, `blocking_io` and
//! `echo` are about real CPUs, threads and sockets and always run on the
//! real clock, at quick sizes unless `--full`.
//!
//! Every cell of the table is the example `<scenario>_<style>.rs` itself:
//! `registry.rs` includes those files as modules and calls their
//! `scenario` functions, the same ones their own `main`s call.

// The modules are shared with `tests/tour.rs`, which needs their items `pub`.
#![allow(unreachable_pub)]

mod args;
mod registry;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use simul_scenario::{Options, Outcome, Row, Scenario, Style, Timeline};

use args::TourArgs;

/// The boards the tour draws: which scenario, which variants, and how
/// much of the run (`None`: all of it).
const BOARDS: &[(Scenario, &[&str], Option<Duration>)] = &[
    (Scenario::Count, &["cooperative", "blocking"], None),
    (Scenario::Nap, &["blocking", "friendly"], None),
    (Scenario::Cake, &["cooperative"], None),
    (Scenario::Chess, &["simul"], Some(Duration::from_secs(12 * 60))),
];

/// The style the boards are drawn in: the first of these that runs.
const BOARD_STYLES: [Style; 5] =
    [Style::Async, Style::Coro, Style::Callback, Style::Green, Style::Future];

/// One cell of the table.
struct Cell {
    /// Which style.
    style: Style,
    /// What it produced, or why it failed.
    outcome: Result<Outcome, String>,
    /// Wall time the cell took.
    wall: Duration,
}

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tour: {e}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    for dir in [&args.svg, &args.trace].into_iter().flatten() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("tour: cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let started = Instant::now();
    println!("simul: the seed scenarios in every style\n");
    let mut all_ok = true;
    let mut boards = Vec::new();
    let mut missing = 0;
    for &scenario in &args.scenarios {
        let wants_board = args.boards && BOARDS.iter().any(|b| b.0 == scenario);
        let board_style = BOARD_STYLES
            .into_iter()
            .find(|s| args.styles.contains(s) && registry::lookup(scenario, *s).is_some());
        let cells: Vec<Cell> = args
            .styles
            .iter()
            .map(|&style| {
                let trace = args.svg.is_some()
                    || args.trace.is_some()
                    || (wants_board && Some(style) == board_style);
                run_cell(scenario, style, &args, trace)
            })
            .collect();
        missing += cells.iter().filter(|c| registry::lookup(scenario, c.style).is_none()).count();
        all_ok &= print_scenario(scenario, &cells, &args);
        for cell in &cells {
            let Ok(outcome) = &cell.outcome else { continue };
            if let Err(e) = export(scenario, outcome, &args) {
                eprintln!("tour: {e}");
                all_ok = false;
            }
            if wants_board && Some(cell.style) == board_style {
                boards.push((scenario, outcome.clone()));
            }
        }
    }
    for (scenario, outcome) in &boards {
        print_boards(*scenario, outcome);
    }
    let ran = args.scenarios.len() * args.styles.len() - missing;
    println!(
        "\n{ran} runs ({} scenarios x {} styles{}) in {:.2} s of wall time{}",
        args.scenarios.len(),
        args.styles.len(),
        if missing > 0 {
            format!(", {missing} examples without scenario() yet")
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64(),
        if all_ok {
            "; every figure agrees with its seed"
        } else {
            "; SOME FIGURES DISAGREE (marked x)"
        }
    );
    if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The options one cell runs with.
fn options(scenario: Scenario, args: &TourArgs, trace: bool) -> Options {
    Options {
        real: args.real,
        scale: args.scale,
        trace,
        quick: !args.full,
        ..Options::new(scenario)
    }
}

/// Runs one scenario in one style, quietly (the table is the output).
fn run_cell(scenario: Scenario, style: Style, args: &TourArgs, trace: bool) -> Cell {
    let opts = options(scenario, args, trace);
    let start = Instant::now();
    let outcome = match registry::lookup(scenario, style) {
        Some(run) => simul_scenario::quietly(|| run(&opts)).map_err(|e| e.to_string()),
        None => Err(format!("{scenario}_{style}.rs does not export scenario() yet")),
    };
    Cell { style, outcome, wall: start.elapsed() }
}

/// Prints one scenario's block of the table; returns whether every style
/// agreed with the seed.
fn print_scenario(scenario: Scenario, cells: &[Cell], args: &TourArgs) -> bool {
    let rows: Vec<(Style, Result<Row, &str>, Duration)> = cells
        .iter()
        .map(|c| (c.style, c.outcome.as_ref().map(Outcome::row).map_err(String::as_str), c.wall))
        .collect();
    let first = rows.iter().find_map(|(_, r, _)| r.as_ref().ok());
    let clock = if options(scenario, args, false).is_virtual() {
        "virtual clock".to_string()
    } else if scenario.real_only() {
        "real clock".to_string()
    } else {
        format!("real clock, scale {}", options(scenario, args, false).scale())
    };
    println!("{scenario}  (seed {}, {clock})", scenario.seeds());
    if let Some(r) = first {
        println!("  seed:      {}", r.seed);
    }
    let w_measured = rows
        .iter()
        .filter_map(|(_, r, _)| r.as_ref().ok())
        .map(|r| r.measured.chars().count())
        .max();
    let w_measured = w_measured.unwrap_or(8).max(8);
    println!(
        "  {:<9}  {:<w_measured$}  {:<5}  baseline (sequential / blocking)",
        "style", "measured", "seed?"
    );
    let mut ok = true;
    for (style, row, wall) in &rows {
        match row {
            Ok(r) => {
                ok &= r.ok;
                let mark = if r.ok { "✓" } else { "x" };
                println!(
                    "  {:<9}  {:<w_measured$}  {mark:<5}  {}   ({:.0} ms)",
                    style.name(),
                    r.measured,
                    r.baseline,
                    wall.as_secs_f64() * 1e3
                );
            }
            Err(e) if registry::lookup(scenario, *style).is_none() => {
                println!("  {:<9}  ({e})", style.name())
            }
            Err(e) => {
                ok = false;
                println!("  {:<9}  error: {e}", style.name());
            }
        }
    }
    if let Some(r) = first {
        println!("  why:       {}", r.note);
    }
    println!();
    ok
}

/// Draws the boards of one scenario.
fn print_boards(scenario: Scenario, outcome: &Outcome) {
    let Some((_, variants, window)) = BOARDS.iter().find(|b| b.0 == scenario) else { return };
    let width = simul_scenario::terminal_width();
    for variant in *variants {
        let Some(trace) = outcome.traces.get(variant) else { continue };
        let mut timeline = Timeline::from_trace(trace);
        let mut what = format!("{scenario}, {variant}, {} style", outcome.style);
        if let Some(w) = window {
            timeline = timeline.window(Duration::ZERO, *w);
            what.push_str(&format!(", the first {} minutes", w.as_secs() / 60));
        }
        println!("\nThe simul board: {what}\n{}", timeline.board(width));
    }
}

/// Writes the SVG and JSON files asked for, one per variant.
fn export(scenario: Scenario, outcome: &Outcome, args: &TourArgs) -> Result<(), String> {
    for (variant, trace) in outcome.traces.variants() {
        let timeline = Timeline::from_trace(trace);
        let name = format!("{scenario}_{}-{variant}", outcome.style);
        let title = format!("{scenario}, {variant} ({} style)", outcome.style);
        let write = |dir: &Path, ext: &str, text: String| {
            let path = dir.join(format!("{name}.{ext}"));
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        if let Some(dir) = &args.svg {
            write(dir, "svg", timeline.svg(&title))?;
        }
        if let Some(dir) = &args.trace {
            write(dir, "json", timeline.chrome_json(&title))?;
        }
    }
    Ok(())
}
