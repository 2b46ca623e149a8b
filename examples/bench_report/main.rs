//! The style comparison in one table: every workload of
//! `benches/styles.rs` in every style, at a tenth of the suite's sizes, in
//! well under a minute, plus the memory an idle unit costs and the
//! instructions an operation costs.
//!
//! ```text
//! cargo run --release --example bench_report                  # the report
//! cargo run --release --example bench_report -- --svg docs/bench_report.svg --md report.md
//! cargo run --release --example bench_report -- --check       # CI: tiny sizes, table must be complete
//! ```
//!
//! Options: `--full` (the suite's sizes: minutes), `--check` (a hundredth
//! of them, one repetition, and exit 1 unless every cell that applies has
//! a figure), `--reps N` (best of N runs per cell; default 3),
//! `--only WORKLOAD`, `--no-memory`, `--no-callgrind`, `--svg FILE` (a
//! grouped bar chart), `--md FILE` (the markdown, also written to a
//! file).
//!
//! * **Timing**: best of `--reps` runs of each cell, in this process,
//!   one after another, so all styles see the same machine.
//! * **Memory per idle unit**: each style in a child process of its own
//!   (a fresh heap), from the growth of its resident set size while n
//!   units wait on timers (`benches/workloads/idle.rs`).
//! * **Instructions per operation**: valgrind's callgrind runs a child
//!   with n and with 2n operations; the difference over n is the cost of
//!   one operation, start-up and set-up cancelled out. Instruction counts
//!   do not change with the machine's load: these are the figures to
//!   quote. Skipped (and said so) when valgrind is not installed.

#[path = "../../benches/workloads/mod.rs"]
mod workloads;

mod chart;
mod child;
mod table;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use workloads::{Size, Style, Workload};

/// What the command line asked for.
pub(crate) struct Args {
    size: Size,
    check: bool,
    reps: u32,
    only: Option<Workload>,
    memory: bool,
    callgrind: bool,
    svg: Option<PathBuf>,
    md: Option<PathBuf>,
}

/// One cell of the timing table.
pub(crate) enum Cell {
    /// The best run's figure (see `Run::figure`).
    Figure(f64),
    /// The style has no such workload, and why.
    Absent(&'static str),
    /// The run failed: the message.
    Failed(String),
}

/// Instructions per operation by workload and style, or why a cell failed.
pub(crate) type Counts = HashMap<(Workload, Style), Result<f64, String>>;

/// Everything measured.
pub(crate) struct Results {
    /// Timing, by workload and style.
    pub(crate) timing: HashMap<(Workload, Style), Cell>,
    /// Operations per run, by workload and style.
    pub(crate) ops: HashMap<(Workload, Style), u64>,
    /// Bytes per idle unit, by style (None: not measured).
    pub(crate) memory: Option<HashMap<Style, Result<u64, String>>>,
    /// Idle units measured per style.
    pub(crate) memory_n: HashMap<Style, u64>,
    /// Instructions per operation for dispatch and suspend (None: skipped,
    /// with the reason).
    pub(crate) callgrind: Result<Counts, String>,
    /// The workloads run.
    pub(crate) workloads: Vec<Workload>,
}

const USAGE: &str = "usage: bench_report [--full | --check] [--reps N] [--only WORKLOAD] \
                     [--no-memory] [--no-callgrind] [--svg FILE] [--md FILE]";

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Result<Args, child::Child>, String> {
    let mut a = Args {
        size: Size::Report,
        check: false,
        reps: 3,
        only: None,
        memory: true,
        callgrind: true,
        svg: None,
        md: None,
    };
    let style = |s: Option<String>| {
        let s = s.ok_or("missing style")?;
        Style::parse(&s).ok_or(format!("unknown style {s:?}"))
    };
    let workload = |s: Option<String>| {
        let s = s.ok_or("missing workload")?;
        Workload::parse(&s).ok_or(format!("unknown workload {s:?}"))
    };
    let number = |s: Option<String>| -> Result<u64, String> {
        let s = s.ok_or("missing number")?;
        s.parse().map_err(|_| format!("not a number: {s:?}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--full" => a.size = Size::Full,
            "--check" => {
                a.size = Size::Check;
                a.check = true;
                a.reps = 1;
            }
            "--reps" => {
                a.reps = u32::try_from(number(it.next())?).map_err(|_| "--reps: too big")?;
                if a.reps == 0 {
                    return Err("--reps must be at least 1".into());
                }
            }
            "--only" => a.only = Some(workload(it.next())?),
            "--no-memory" => a.memory = false,
            "--no-callgrind" => a.callgrind = false,
            "--svg" => a.svg = Some(it.next().ok_or("--svg needs a file")?.into()),
            "--md" => a.md = Some(it.next().ok_or("--md needs a file")?.into()),
            "--child-idle" => {
                let s = style(it.next())?;
                return Ok(Err(child::Child::Idle(s, number(it.next())?)));
            }
            "--child-ops" => {
                let s = style(it.next())?;
                let w = workload(it.next())?;
                return Ok(Err(child::Child::Ops(s, w, number(it.next())?)));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Ok(a))
}

/// Best of `reps` runs of one cell.
fn time_cell(style: Style, workload: Workload, n: u64, reps: u32) -> (Cell, u64) {
    if let Err(why) = workloads::applies(style, workload) {
        return (Cell::Absent(why), 0);
    }
    let mut best: Option<workloads::Run> = None;
    // One connection's round trips are bound by the machine's cross-thread
    // wake-up latency, which drifts from second to second on a VM: three
    // times the runs give the best one a fair chance in every style.
    let reps = if workload == Workload::Echo1 { reps * 3 } else { reps };
    for _ in 0..reps {
        match workloads::run(style, workload, n) {
            Ok(run) => {
                let better = match best {
                    None => true,
                    Some(b) => {
                        let (f, g) = (run.figure(workload), b.figure(workload));
                        if workload.higher_is_better() { f > g } else { f < g }
                    }
                };
                if better {
                    best = Some(run);
                }
            }
            Err(e) => return (Cell::Failed(e.to_string()), 0),
        }
    }
    let best = best.expect("reps >= 1");
    (Cell::Figure(best.figure(workload)), best.ops)
}

/// How many idle units to measure for each style.
fn memory_n(size: Size, style: Style) -> u64 {
    let n = match size {
        Size::Full => 1_000_000,
        Size::Report => 100_000,
        Size::Check => 10_000,
    };
    if style == Style::Green { n.min(workloads::GREEN_MAX_CONCURRENT) } else { n }
}

/// The workloads whose instructions per operation callgrind counts:
/// scheduling (dispatch, suspend) and one connection's echo round trip,
/// where the time is mostly the kernel's (system calls and the switch
/// between client and server) and the instructions show what each
/// runtime adds in user space.
pub(crate) const CALLGRIND_WORKLOADS: [Workload; 3] =
    [Workload::Dispatch, Workload::Suspend, Workload::Echo1];

/// Operations per callgrind child run.
fn callgrind_n(size: Size, workload: Workload) -> u64 {
    let base = match workload {
        Workload::Suspend => 100_000,
        Workload::Echo1 => 2_000,
        _ => 20_000,
    };
    if size == Size::Check { base / 10 } else { base }
}

/// Runs the callgrind children, two at a time (instruction counts do not
/// care what else runs).
fn callgrind(size: Size) -> Counts {
    let cells: Vec<(Workload, Style)> = CALLGRIND_WORKLOADS
        .into_iter()
        .flat_map(|w| Style::ALL.into_iter().map(move |s| (w, s)))
        .filter(|&(w, s)| workloads::applies(s, w).is_ok())
        .collect();
    let next = std::sync::Mutex::new(cells.into_iter());
    let out = std::sync::Mutex::new(HashMap::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some((w, s)) = next.lock().expect("queue").next() else { return };
                    let r = child::instructions_per_op(s, w, callgrind_n(size, w))
                        .map_err(|e| e.to_string());
                    out.lock().expect("results").insert((w, s), r);
                }
            });
        }
    });
    out.into_inner().expect("results")
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Ok(a)) => a,
        Ok(Err(job)) => {
            return match child::run(job) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("bench_report child: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("bench_report: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |what: &str| {
        if tty {
            eprint!("\r{what:60}");
        }
    };
    let chosen: Vec<Workload> =
        Workload::ALL.into_iter().filter(|w| args.only.is_none_or(|o| o == *w)).collect();
    let mut results = Results {
        timing: HashMap::new(),
        ops: HashMap::new(),
        memory: None,
        memory_n: HashMap::new(),
        callgrind: Err("not asked for (--no-callgrind)".into()),
        workloads: chosen.clone(),
    };
    for &w in &chosen {
        let n = args.size.of(w);
        for s in Style::ALL {
            progress(&format!("{w}/{s} ..."));
            let (cell, ops) = time_cell(s, w, n, args.reps);
            results.timing.insert((w, s), cell);
            results.ops.insert((w, s), ops);
        }
    }
    if args.memory {
        progress("memory per idle unit ...");
        let mut m = HashMap::new();
        for s in Style::ALL {
            let n = memory_n(args.size, s);
            results.memory_n.insert(s, n);
            m.insert(s, child::idle_bytes(s, n).map_err(|e| e.to_string()));
        }
        results.memory = Some(m);
    }
    if args.callgrind {
        results.callgrind = if child::have_valgrind() {
            progress("instructions per operation (callgrind) ...");
            Ok(callgrind(args.size))
        } else {
            Err("valgrind is not installed".into())
        };
    }
    progress("");
    if tty {
        eprintln!();
    }
    let md = table::markdown(&results, &args, started.elapsed());
    print!("{md}");
    if let Some(path) = &args.md
        && let Err(e) = std::fs::write(path, &md)
    {
        eprintln!("bench_report: writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if let Some(path) = &args.svg {
        if let Err(e) = std::fs::write(path, chart::svg(&results)) {
            eprintln!("bench_report: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("chart written to {}", path.display());
    }
    if args.check {
        let missing = table::missing(&results);
        if !missing.is_empty() {
            eprintln!("bench_report --check: the table is incomplete:");
            for m in &missing {
                eprintln!("  {m}");
            }
            return ExitCode::FAILURE;
        }
        eprintln!("bench_report --check: every cell has its figure");
    }
    ExitCode::SUCCESS
}
