//! The report as markdown: the machine and date, the timing table, the
//! memory and instruction tables, and the targets checked.

use std::fmt::Write as _;
use std::time::Duration;

use crate::workloads::{self, Size, Style, Workload};
use crate::{Args, Cell, Results};

/// A figure with as many digits as it deserves.
pub(crate) fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The figure of a timing cell, if it has one.
pub(crate) fn figure(r: &Results, w: Workload, s: Style) -> Option<f64> {
    match r.timing.get(&(w, s)) {
        Some(Cell::Figure(f)) => Some(*f),
        _ => None,
    }
}

/// The best figure of a column: the lowest cost or the highest throughput.
pub(crate) fn best(r: &Results, w: Workload) -> Option<f64> {
    let figs = Style::ALL.into_iter().filter_map(|s| figure(r, w, s));
    if w.higher_is_better() { figs.reduce(f64::max) } else { figs.reduce(f64::min) }
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (the proleptic Gregorian
    // calendar, in 400-year eras of 146,097 days).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The machine, as far as the system tells: CPU model, cores, kernel.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!("{} {}", std::env::consts::OS, k.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    format!("{cpu}, {cores} cores available, {kernel}")
}

/// The whole report.
pub(crate) fn markdown(r: &Results, args: &Args, took: Duration) -> String {
    let mut o = String::new();
    let size = match args.size {
        Size::Full => "the suite's full sizes",
        Size::Report => "a tenth of the suite's sizes",
        Size::Check => "a hundredth of the suite's sizes (--check)",
    };
    let _ = writeln!(o, "## simul: the styles side by side\n");
    let _ = writeln!(
        o,
        "Run on {} on {}; {size}, best of {} run(s) per cell; the report took {:.1} s.\n",
        today(),
        machine(),
        args.reps,
        took.as_secs_f64()
    );
    timing(&mut o, r);
    memory(&mut o, r);
    instructions(&mut o, r);
    targets(&mut o, r);
    o
}

fn timing(o: &mut String, r: &Results) {
    let _ = write!(o, "| style |");
    for w in &r.workloads {
        let _ = write!(o, " {w} ({}) |", w.unit());
    }
    let _ = write!(o, "\n|---|");
    for _ in &r.workloads {
        let _ = write!(o, "---:|");
    }
    let _ = writeln!(o);
    let mut failures = Vec::new();
    for s in Style::ALL {
        let _ = write!(o, "| {s} |");
        for &w in &r.workloads {
            let cell = match r.timing.get(&(w, s)) {
                Some(Cell::Figure(f)) => {
                    let fast = best(r, w).map_or(String::from("?"), |b| num(f / b));
                    let tokio =
                        figure(r, w, Style::Tokio).map_or(String::from("?"), |t| num(f / t));
                    format!("{} ({fast}, {tokio})", num(*f))
                }
                Some(Cell::Absent(_)) | None => "—".to_string(),
                Some(Cell::Failed(e)) => {
                    failures.push(format!("{w}/{s}: {e}"));
                    "failed".to_string()
                }
            };
            let _ = write!(o, " {cell} |");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "\nEach cell: the figure (its ratio to the column's best, its ratio to tokio). \
         The ratios are of the figure itself: in the ns columns lower is better, in the \
         round-trip columns higher. The floor is no runtime at all (a `VecDeque` drain, a \
         heap of timers, a raw edge-triggered epoll loop); \"—\": the cell does not exist:"
    );
    for s in Style::ALL {
        for &w in &r.workloads {
            if let Some(Cell::Absent(why)) = r.timing.get(&(w, s)) {
                let _ = writeln!(o, "- {w}/{s}: {why}.");
            }
        }
    }
    let sizes: Vec<String> = r
        .workloads
        .iter()
        .map(|&w| {
            let n = r.ops.get(&(w, Style::Tokio)).copied().unwrap_or(0);
            format!("{w} {n}")
        })
        .collect();
    let _ = writeln!(o, "\nOperations per run: {}.", sizes.join(", "));
    if let Some(&g) = r.ops.get(&(Workload::Timers, Style::Green)) {
        let _ = writeln!(
            o,
            "Green threads run `timers` with {g} sleepers: each parked green thread holds \
             two kernel mappings (stack and guard page) and Linux allows 65,530 per process."
        );
    }
    let _ = writeln!(
        o,
        "tokio's chess master moves with `time::advance(5 s).await`, which yields once more \
         per move than the simul styles' blocking `block_for`."
    );
    for f in failures {
        let _ = writeln!(o, "\n**failed** {f}");
    }
    let _ = writeln!(o);
}

fn memory(o: &mut String, r: &Results) {
    let Some(m) = &r.memory else { return };
    let _ = writeln!(o, "### Memory per idle unit\n");
    let _ = writeln!(o, "| style | bytes per idle unit | ratio to tokio | units measured |");
    let _ = writeln!(o, "|---|---:|---:|---:|");
    let tokio = m.get(&Style::Tokio).and_then(|r| r.as_ref().ok()).copied();
    for s in Style::ALL {
        let n = r.memory_n.get(&s).copied().unwrap_or(0);
        match m.get(&s) {
            Some(Ok(b)) => {
                let t = tokio.map_or("?".into(), |t| num(*b as f64 / t.max(1) as f64));
                let _ = writeln!(o, "| {s} | {b} | {t} | {n} |");
            }
            Some(Err(e)) => {
                let _ = writeln!(o, "| {s} | failed: {e} | | {n} |");
            }
            None => {}
        }
    }
    let _ = writeln!(
        o,
        "\nThe growth of the resident set while the units wait on a timer an hour away, \
         each style in a fresh child process. A pending callback is its closure and queue \
         entry; a task is its header and future; a green thread also has the stack pages it \
         touched.\n"
    );
}

fn instructions(o: &mut String, r: &Results) {
    let _ = writeln!(o, "### Instructions per operation (callgrind)\n");
    let cg = match &r.callgrind {
        Ok(cg) => cg,
        Err(why) => {
            let _ = writeln!(o, "Skipped: {why}.\n");
            return;
        }
    };
    let ws = crate::CALLGRIND_WORKLOADS;
    let mut head = String::from("| style |");
    for w in ws {
        let _ = write!(head, " {w} |");
    }
    for w in ws {
        let _ = write!(head, " {w}, ratio to tokio |");
    }
    let _ = writeln!(o, "{head}");
    let _ = writeln!(o, "|---|{}", "---:|".repeat(2 * ws.len()));
    let get = |w: Workload, s: Style| cg.get(&(w, s)).and_then(|r| r.as_ref().ok()).copied();
    for s in Style::ALL {
        let mut row = format!("| {s} |");
        for w in ws {
            let cell = match cg.get(&(w, s)) {
                Some(Ok(i)) => format!("{i:.0}"),
                Some(Err(e)) => format!("failed: {e}"),
                None => "—".into(),
            };
            let _ = write!(row, " {cell} |");
        }
        for w in ws {
            let cell = match (get(w, s), get(w, Style::Tokio)) {
                (Some(i), Some(t)) => num(i / t),
                _ => "—".into(),
            };
            let _ = write!(row, " {cell} |");
        }
        let _ = writeln!(o, "{row}");
    }
    let _ = writeln!(
        o,
        "\nInstructions executed per operation, from a run of 2n operations minus a run of \
         n: steady to a few percent whatever else the machine does. An echo operation is one \
         round trip and counts the client's user-space instructions too (the same client for \
         every style; the floor row shows the client plus a raw epoll server); the kernel's \
         share, most of an echo's time, is not counted.\n"
    );
}

/// A target: a ratio that must be at most (or at least) a bound.
struct Target {
    what: String,
    ratio: Option<f64>,
    bound: f64,
    at_most: bool,
}

fn targets(o: &mut String, r: &Results) {
    let ratio = |w: Workload, s: Style, to: Style| Some(figure(r, w, s)? / figure(r, w, to)?);
    let mut ts = Vec::new();
    if r.workloads.contains(&Workload::Dispatch) {
        ts.push(Target {
            what: "callback dispatch, time relative to the VecDeque floor".into(),
            ratio: ratio(Workload::Dispatch, Style::Callback, Style::Floor),
            bound: 1.5,
            at_most: true,
        });
    }
    if r.workloads.contains(&Workload::Echo1) {
        for s in Style::ALL {
            if s != Style::Floor {
                ts.push(Target {
                    what: format!(
                        "echo on 1 connection, {s}: round trips/s relative to the raw epoll floor"
                    ),
                    ratio: ratio(Workload::Echo1, s, Style::Floor),
                    bound: 0.95,
                    at_most: false,
                });
            }
        }
    }
    // The future issue's targets, as ratios to tokio.
    let future_targets = [
        (Workload::Dispatch, 0.25, true),
        (Workload::Suspend, 0.15, true),
        (Workload::Handoff, 0.4, true),
        (Workload::Timers, 0.5, true),
        (Workload::Echo1, 1.1, false),
        (Workload::Echo100, 1.15, false),
    ];
    for (w, bound, at_most) in future_targets {
        if !r.workloads.contains(&w) {
            continue;
        }
        for s in [Style::Future, Style::Async] {
            ts.push(Target {
                what: format!("{w}, {s}: ratio to tokio"),
                ratio: ratio(w, s, Style::Tokio),
                bound,
                at_most,
            });
        }
    }
    if let Some(m) = &r.memory {
        let get = |s: Style| m.get(&s).and_then(|r| r.as_ref().ok()).map(|&b| b as f64);
        for s in [Style::Future, Style::Async] {
            ts.push(Target {
                what: format!("bytes per sleeping task, {s}: ratio to tokio"),
                ratio: get(s).zip(get(Style::Tokio)).map(|(a, t)| a / t.max(1.0)),
                bound: 0.5,
                at_most: true,
            });
        }
    }
    let _ = writeln!(o, "### Targets\n");
    for t in ts {
        let (mark, got) = match t.ratio {
            Some(x) if (t.at_most && x <= t.bound) || (!t.at_most && x >= t.bound) => ("✓", num(x)),
            Some(x) => ("✗", num(x)),
            None => ("?", "no figure".into()),
        };
        let cmp = if t.at_most { "≤" } else { "≥" };
        let _ = writeln!(o, "- {mark} {}: {got} (target {cmp} {})", t.what, t.bound);
    }
    let _ = writeln!(o);
}

/// What a complete table lacks: one line per missing or failed cell.
pub(crate) fn missing(r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for &w in &r.workloads {
        for s in Style::ALL {
            if workloads::applies(s, w).is_err() {
                continue;
            }
            match r.timing.get(&(w, s)) {
                Some(Cell::Figure(f)) if f.is_finite() && *f > 0.0 => {}
                Some(Cell::Failed(e)) => out.push(format!("{w}/{s}: {e}")),
                _ => out.push(format!("{w}/{s}: no figure")),
            }
        }
    }
    if let Some(m) = &r.memory {
        for s in Style::ALL {
            match m.get(&s) {
                Some(Ok(_)) => {}
                Some(Err(e)) => out.push(format!("memory/{s}: {e}")),
                None => out.push(format!("memory/{s}: not measured")),
            }
        }
    }
    match &r.callgrind {
        Ok(cg) => {
            for w in crate::CALLGRIND_WORKLOADS {
                for s in Style::ALL {
                    if workloads::applies(s, w).is_err() {
                        continue;
                    }
                    match cg.get(&(w, s)) {
                        Some(Ok(i)) if *i > 0.0 => {}
                        Some(Err(e)) => out.push(format!("callgrind {w}/{s}: {e}")),
                        _ => out.push(format!("callgrind {w}/{s}: no figure")),
                    }
                }
            }
        }
        Err(why) => eprintln!("SKIP instruction counts: {why}"),
    }
    out
}
