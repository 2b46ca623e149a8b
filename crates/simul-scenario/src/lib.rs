//! # simul-scenario: the seed scenarios, written once for every style
//!
//! Every simul style runs the eight scenarios of the seeds (`count`,
//! `five_waits`, `nap`, `cake`, `chess`, `cpu_bound`, `blocking_io`,
//! `echo`) as an example of its own, `<scenario>_<style>.rs`, written in
//! that style from top to bottom. What the styles share lives here, once:
//!
//! * [`params`]: the scenarios' numbers, as the seeds give them;
//! * [`Figures`] and [`Row`]: what a run measured, and the check against
//!   the seed's figure, with the wording of the summary;
//! * [`Options`] and [`main`]: the command line (`--real`, `--scale`,
//!   `--board`, `--trace`, `--svg`) and the summary every example prints;
//! * [`say!`]: the running commentary, which the tour silences;
//! * [`Timeline`]: a [trace](simul_reactor::trace) as lanes, drawn as the
//!   terminal's *simul board*, as Chrome trace-event JSON for Perfetto,
//!   and as an SVG.
//!
//! The tour (`cargo run --release --example tour` in the workspace root)
//! runs the same `scenario` functions the examples' `main`s run, so its
//! table is the examples' own figures.
//!
//! # Examples
//!
//! A scenario function in miniature, its figures checked and its trace
//! drawn:
//!
//! ```
//! use simul_reactor::trace::{self, Source, TraceKind, Unit};
//! use simul_scenario::{Figures, Options, Outcome, Scenario, Style, Timeline, Traces};
//! use simul_scenario::params::chess;
//!
//! fn scenario(opts: &Options) -> Outcome {
//!     let mut traces = Traces::default();
//!     let clock = opts.clock();
//!     let simul = opts.record(&mut traces, "simul", || {
//!         let judit = Unit::new(Source::next(), 1);
//!         trace::record(&clock, judit, TraceKind::Running);
//!         trace::name_current("judit");
//!         clock.block_for(chess::EXACT); // stands in for the real scheduling
//!         trace::record(&clock, judit, TraceKind::Finished);
//!         clock.now().since_origin()
//!     });
//!     let sequential = (chess::MASTER + chess::OPPONENT) * chess::MOVES * chess::BOARDS;
//!     Outcome { style: Style::Coro, exact: opts.is_virtual(), figures: Figures::Chess { sequential, simul }, traces }
//! }
//!
//! let out = scenario(&Options { trace: true, ..Options::new(Scenario::Chess) });
//! assert!(out.row().ok);
//! let timeline = Timeline::from_trace(out.traces.get("simul").unwrap());
//! assert_eq!(timeline.lanes[0].name, "judit");
//! assert!(timeline.board(80).contains("####"));
//! ```
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod board;
mod chrome;
mod cli;
mod figures;
mod options;
mod outcome;
pub mod params;
mod say;
mod scenario;
mod svg;
mod timeline;

pub use board::{MAX_LANES, terminal_width};
pub use cli::{Exports, Extra, main, main_with, parse_args, parse_args_with};
pub use figures::{CpuRun, Figures, IoRun, NapRun, Row, Starts, Transcript};
pub use options::{Options, Traces};
pub use outcome::Outcome;
pub use say::{quietly, say_line};
pub use scenario::{Scenario, Style};
pub use svg::MAX_SVG_LANES;
pub use timeline::{Lane, Segment, State, Timeline};
