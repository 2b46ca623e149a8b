//! [`main`]: the command line every `<scenario>_<style>` example shares.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::{Options, Outcome, Scenario, Style, Timeline};

/// What an example's command line asked for, besides [`Options`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exports {
    /// `--trace FILE.json`: Chrome trace-event JSON (Perfetto,
    /// `chrome://tracing`), one file per variant (`FILE-variant.json`).
    pub trace: Option<PathBuf>,
    /// `--svg FILE.svg`: an SVG timeline per variant.
    pub svg: Option<PathBuf>,
    /// `--board`: the simul board of each variant in the terminal.
    pub board: bool,
}

impl Exports {
    /// Whether any export needs a trace.
    fn any(&self) -> bool {
        self.trace.is_some() || self.svg.is_some() || self.board
    }
}

/// An option of one example's own, beyond the shared ones: `--conns N`
/// for `echo`, say. Its value lands in [`Options::extra`].
///
/// # Examples
///
/// ```
/// use simul_scenario::{Extra, Scenario, parse_args_with};
/// const EXTRAS: &[Extra] = &[
///     Extra { name: "--conns", value: Some("N"), help: "connections (default 100)" },
///     Extra { name: "--serve", value: None, help: "only run the server" },
/// ];
/// let args = ["--conns", "7", "--serve"].map(String::from);
/// let (opts, _) = parse_args_with(Scenario::Echo, EXTRAS, args)?.unwrap();
/// assert_eq!(opts.extra_or("--conns", 100usize)?, 7);
/// assert!(opts.flag("--serve"));
/// # Ok::<(), String>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Extra {
    /// The option, with its dashes: `--conns`.
    pub name: &'static str,
    /// The value's placeholder in the usage (`N`), or `None` for a flag.
    pub value: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

/// The usage text of a scenario example.
fn usage(scenario: Scenario, style: Style, extras: &[Extra]) -> String {
    let mut own = String::new();
    for e in extras {
        let left = match e.value {
            Some(v) => format!("{} {v}", e.name),
            None => e.name.to_string(),
        };
        own.push_str(&format!("\n  {left:<17} {}", e.help));
    }
    format!(
        "usage: cargo run --release -p {} --example {scenario}_{style} -- [options]\n\
         \n\
         options:\n\
         \x20 --real            run on the real clock (default: the virtual clock)\n\
         \x20 --scale N         on the real clock one simulated second lasts 1/N s (default {})\n\
         \x20 --quick           smaller sizes for the real-clock scenarios\n\
         \x20 --board           draw each variant's timeline in the terminal\n\
         \x20 --trace FILE.json write Chrome trace-event JSON (open in Perfetto)\n\
         \x20 --svg FILE.svg    write an SVG timeline\n\
         \x20 --help            this text{own}",
        style.crate_name(),
        scenario.real_scale()
    )
}

/// Parses the shared options. `Ok(None)`: `--help` was asked for.
///
/// # Errors
///
/// A message naming the bad option.
///
/// # Examples
///
/// ```
/// use simul_scenario::{Scenario, parse_args};
/// let args = ["--real", "--scale", "60"].map(String::from);
/// let (opts, exports) = parse_args(Scenario::Cake, args)?.unwrap();
/// assert!(opts.real);
/// assert_eq!(opts.scale, Some(60));
/// assert!(!exports.board);
/// assert!(parse_args(Scenario::Cake, ["--scale".to_string()]).is_err());
/// assert!(parse_args(Scenario::Cake, ["--scale", "0"].map(String::from)).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn parse_args(
    scenario: Scenario,
    args: impl IntoIterator<Item = String>,
) -> Result<Option<(Options, Exports)>, String> {
    parse_args_with(scenario, &[], args)
}

/// [`parse_args`] that also accepts an example's own options.
///
/// # Errors
///
/// A message naming the bad option.
///
/// # Examples
/// See [`Extra`].
pub fn parse_args_with(
    scenario: Scenario,
    extras: &[Extra],
    args: impl IntoIterator<Item = String>,
) -> Result<Option<(Options, Exports)>, String> {
    let mut opts = Options::new(scenario);
    let mut exports = Exports::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--real" => opts.real = true,
            "--quick" => opts.quick = true,
            "--board" => exports.board = true,
            "--scale" => {
                let v = value("--scale")?;
                let n: u32 =
                    v.parse().map_err(|_| format!("--scale takes a whole number, not {v:?}"))?;
                if n == 0 {
                    return Err("--scale must be at least 1".into());
                }
                opts.scale = Some(n);
            }
            "--trace" => exports.trace = Some(value("--trace")?.into()),
            "--svg" => exports.svg = Some(value("--svg")?.into()),
            "--help" | "-h" => return Ok(None),
            other => match extras.iter().find(|e| e.name == other) {
                Some(e) => {
                    let v = if e.value.is_some() { value(e.name)? } else { String::new() };
                    opts.extra.push((e.name, v));
                }
                None => return Err(format!("unknown option {other:?} (try --help)")),
            },
        }
    }
    opts.trace = exports.any();
    Ok(Some((opts, exports)))
}

/// The `main` of every `<scenario>_<style>` example: parses the command
/// line, runs `scenario`, prints the summary (figure, seed's figure,
/// baseline, agreement) and writes what was asked for. Bad options print
/// the usage and exit with 2; a failed run exits with 1.
///
/// # Examples
///
/// ```no_run
/// use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Traces};
/// use std::time::Duration;
///
/// fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
///     let figures = Figures::Chess { sequential: Duration::from_secs(43_200), simul: Duration::from_secs(3655) };
///     Ok(Outcome { style: Style::Coro, exact: opts.is_virtual(), figures, traces: Traces::default() })
/// }
///
/// fn main() -> std::process::ExitCode {
///     simul_scenario::main(Scenario::Chess, Style::Coro, scenario)
/// }
/// ```
pub fn main(
    scenario: Scenario,
    style: Style,
    run: impl FnOnce(&Options) -> Result<Outcome, Box<dyn Error>>,
) -> ExitCode {
    main_with(scenario, style, &[], run)
}

/// [`main`] for an example with options of its own ([`Extra`]), read in
/// `run` with [`Options::extra_or`] and [`Options::flag`].
///
/// # Examples
///
/// ```no_run
/// use simul_scenario::{Extra, Figures, Options, Outcome, Scenario, Style, Traces};
/// use std::time::Duration;
///
/// fn scenario(opts: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
///     let connections = opts.extra_or("--conns", 100)?;
///     let figures = Figures::Echo {
///         connections,
///         held: connections,
///         round_trips: 0,
///         bytes: 0,
///         mismatches: 0,
///         took: Duration::ZERO,
///     };
///     Ok(Outcome { style: Style::Green, exact: false, figures, traces: Traces::default() })
/// }
///
/// const EXTRAS: &[Extra] = &[Extra { name: "--conns", value: Some("N"), help: "connections" }];
/// fn main() -> std::process::ExitCode {
///     simul_scenario::main_with(Scenario::Echo, Style::Green, EXTRAS, scenario)
/// }
/// ```
pub fn main_with(
    scenario: Scenario,
    style: Style,
    extras: &[Extra],
    run: impl FnOnce(&Options) -> Result<Outcome, Box<dyn Error>>,
) -> ExitCode {
    let (opts, exports) = match parse_args_with(scenario, extras, std::env::args().skip(1)) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{}", usage(scenario, style, extras));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{scenario}_{style}: {e}\n\n{}", usage(scenario, style, extras));
            return ExitCode::from(2);
        }
    };
    let outcome = match run(&opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{scenario}_{style}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let clock = if outcome.exact {
        "virtual clock".to_string()
    } else {
        format!("real clock, scale {}", opts.scale())
    };
    println!("\n{scenario} ({style} style, {clock}):\n  {}", outcome.row());
    if let Err(e) = export(&outcome, &exports) {
        eprintln!("{scenario}_{style}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Writes and prints the exports asked for.
fn export(outcome: &Outcome, exports: &Exports) -> std::io::Result<()> {
    let many = outcome.traces.variants().count() > 1;
    for (variant, trace) in outcome.traces.variants() {
        let timeline = Timeline::from_trace(trace);
        let title = format!("{} {} ({variant})", outcome.figures.scenario(), outcome.style);
        if exports.board {
            println!("\n{title}:\n{}", timeline.board(crate::board::terminal_width()));
        }
        if let Some(path) = &exports.trace {
            let path = per_variant(path, variant, many);
            std::fs::write(&path, timeline.chrome_json(&title))?;
            println!("wrote {}", path.display());
        }
        if let Some(path) = &exports.svg {
            let path = per_variant(path, variant, many);
            std::fs::write(&path, timeline.svg(&title))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// `out.svg` → `out-blocking.svg` when a scenario has several variants.
fn per_variant(path: &std::path::Path, variant: &str, many: bool) -> PathBuf {
    if !many {
        return path.to_path_buf();
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("trace");
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}-{variant}.{ext}"),
        None => format!("{stem}-{variant}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_get_their_own_files() {
        let p = std::path::Path::new("/tmp/out.svg");
        assert_eq!(per_variant(p, "blocking", true), PathBuf::from("/tmp/out-blocking.svg"));
        assert_eq!(per_variant(p, "blocking", false), PathBuf::from("/tmp/out.svg"));
    }

    #[test]
    fn bad_options_are_errors_not_panics() {
        for bad in [&["--scale", "x"][..], &["--svg"], &["--frobnicate"], &["--scale", "-1"]] {
            let args = bad.iter().map(|s| s.to_string());
            assert!(parse_args(Scenario::Count, args).is_err(), "{bad:?}");
        }
        let help = parse_args(Scenario::Count, ["--help".to_string()]).unwrap();
        assert!(help.is_none());
    }
}
