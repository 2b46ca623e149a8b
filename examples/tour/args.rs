//! The tour's command line.

use std::path::PathBuf;

use simul_scenario::{Scenario, Style};

/// What the tour was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TourArgs {
    /// The scenarios to run (all by default).
    pub scenarios: Vec<Scenario>,
    /// The styles to run them in (all by default).
    pub styles: Vec<Style>,
    /// The real clock for every scenario.
    pub real: bool,
    /// `--scale N` on the real clock (else each scenario's default).
    pub scale: Option<u32>,
    /// Full sizes for the real-clock scenarios (default: quick).
    pub full: bool,
    /// Draw the boards (default on).
    pub boards: bool,
    /// `--svg DIR`: one SVG per scenario, style and variant.
    pub svg: Option<PathBuf>,
    /// `--trace DIR`: one Chrome trace-event JSON file per scenario, style
    /// and variant.
    pub trace: Option<PathBuf>,
}

impl Default for TourArgs {
    fn default() -> TourArgs {
        TourArgs {
            scenarios: Scenario::ALL.to_vec(),
            styles: Style::ALL.to_vec(),
            real: false,
            scale: None,
            full: false,
            boards: true,
            svg: None,
            trace: None,
        }
    }
}

/// The usage text.
pub const USAGE: &str = "\
usage: cargo run --release --example tour -- [options]

Runs every seed scenario (../shared/SCENARIOS.md) in every simul style and
prints a table of the figures beside the seeds', then the simul board of a
few scenarios: which unit ran when, where one waited, where blocking work
froze the loop.

options:
  --scenario NAME   only this scenario (repeatable): count, five_waits, nap,
                    cake, chess, cpu_bound, blocking_io, echo
  --style NAME      only this style (repeatable): callback, coro, future,
                    async, green
  --real            the real clock for every scenario (default: virtual
                    where the scenario allows)
  --scale N         on the real clock one simulated second lasts 1/N s
                    (default: chess 3600, cake 1200, others 1)
  --full            full sizes for cpu_bound, blocking_io and echo
  --no-boards       only the table
  --svg DIR         write an SVG timeline per scenario, style and variant
  --trace DIR       write Chrome trace-event JSON (Perfetto) likewise
  --help            this text";

/// Parses the tour's options. `Ok(None)`: `--help`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<TourArgs>, String> {
    let mut out = TourArgs::default();
    let (mut scenarios, mut styles) = (Vec::new(), Vec::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--scenario" => scenarios.push(value("--scenario")?.parse::<Scenario>()?),
            "--style" => styles.push(value("--style")?.parse::<Style>()?),
            "--real" => out.real = true,
            "--full" => out.full = true,
            "--no-boards" => out.boards = false,
            "--scale" => {
                let v = value("--scale")?;
                match v.parse::<u32>() {
                    Ok(n) if n > 0 => out.scale = Some(n),
                    _ => {
                        return Err(format!(
                            "--scale takes a whole number of at least 1, not {v:?}"
                        ));
                    }
                }
            }
            "--svg" => out.svg = Some(value("--svg")?.into()),
            "--trace" => out.trace = Some(value("--trace")?.into()),
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    if !scenarios.is_empty() {
        scenarios.sort();
        scenarios.dedup();
        out.scenarios = scenarios;
    }
    if !styles.is_empty() {
        styles.sort();
        styles.dedup();
        out.styles = styles;
    }
    Ok(Some(out))
}
