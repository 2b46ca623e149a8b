//! The tour's table, asserted: every scenario in every style agrees with
//! its seed (exactly on the virtual clock; the real-clock scenarios at
//! quick sizes with wide margins), through the same `scenario` functions
//! the examples and the tour run; and the tour's exports of real runs
//! read back as a viewer would.
#![allow(dead_code, unreachable_pub)]

#[path = "../examples/tour/args.rs"]
mod args;
#[path = "../examples/tour/registry.rs"]
mod registry;
#[path = "../crates/simul-scenario/tests/util/mod.rs"]
mod util;

use simul_scenario::{Options, Scenario, Style, Timeline, quietly};

fn run(scenario: Scenario, style: Style, trace: bool) -> simul_scenario::Outcome {
    let opts = Options { quick: true, trace, ..Options::new(scenario) };
    let f = registry::lookup(scenario, style).expect("only styles that export scenario() are run");
    quietly(|| f(&opts)).unwrap_or_else(|e| panic!("{scenario}_{style}: {e}"))
}

/// The styles whose `<scenario>_<style>.rs` exports `scenario()`.
fn styles(scenario: Scenario) -> Vec<Style> {
    Style::ALL.into_iter().filter(|&s| registry::lookup(scenario, s).is_some()).collect()
}

#[test]
fn every_scenario_runs_in_every_style() {
    for scenario in Scenario::ALL {
        assert_eq!(styles(scenario), Style::ALL, "{scenario}");
    }
}

/// One test per scenario so a failure names it and they run in parallel.
macro_rules! every_style_agrees {
    ($($test:ident: $scenario:expr),* $(,)?) => {$(
        #[test]
        fn $test() {
            for style in styles($scenario) {
                let outcome = run($scenario, style, false);
                assert_eq!(outcome.style, style);
                assert_eq!(outcome.figures.scenario(), $scenario, "{style}");
                assert_eq!(outcome.exact, !$scenario.real_only(), "{style}: clock");
                let row = outcome.row();
                assert!(row.ok, "{}_{style}: {row}\n{:?}", $scenario, outcome.figures);
            }
        }
    )*};
}

every_style_agrees! {
    count_in_every_style: Scenario::Count,
    five_waits_in_every_style: Scenario::FiveWaits,
    nap_in_every_style: Scenario::Nap,
    cake_in_every_style: Scenario::Cake,
    chess_in_every_style: Scenario::Chess,
    cpu_bound_in_every_style: Scenario::CpuBound,
    blocking_io_in_every_style: Scenario::BlockingIo,
    echo_in_every_style: Scenario::Echo,
}

#[test]
fn virtual_figures_are_identical_across_styles() {
    for scenario in Scenario::ALL.into_iter().filter(|s| !s.real_only()) {
        let styles = styles(scenario);
        let figures: Vec<_> = styles.iter().map(|&s| run(scenario, s, false).figures).collect();
        for (style, f) in styles.iter().zip(&figures) {
            assert_eq!(f, &figures[0], "{scenario}: {style} differs from {}", styles[0]);
        }
    }
}

#[test]
fn traced_runs_export_valid_svg_and_chrome_json_with_named_lanes() {
    for style in styles(Scenario::Chess) {
        let outcome = run(Scenario::Chess, style, true);
        assert!(outcome.row().ok, "tracing changes no figure");
        let trace =
            outcome.traces.get("simul").unwrap_or_else(|| panic!("{style}: no simul trace"));
        assert_eq!(trace.dropped(), 0);
        let timeline = Timeline::from_trace(trace);
        let boards = timeline.lanes.iter().filter(|l| l.name.starts_with("board ")).count();
        assert_eq!(
            boards,
            24,
            "{style}: lanes {:?}",
            timeline.lanes.iter().map(|l| &l.name).collect::<Vec<_>>()
        );
        // The simul lasts 1:00:55 and its timeline covers it.
        assert!(timeline.duration() >= simul_scenario::params::chess::EXACT, "{style}");
        util::check_svg(&timeline.svg("chess"), &timeline)
            .unwrap_or_else(|e| panic!("{style}: {e}"));
        util::check_chrome(&timeline.chrome_json("chess"), &timeline)
            .unwrap_or_else(|e| panic!("{style}: {e}"));
    }
}

#[test]
fn the_blocking_nap_shows_as_frozen_loop_time_in_every_style() {
    for style in styles(Scenario::Nap) {
        let outcome = run(Scenario::Nap, style, true);
        let blocked = |variant: &str| -> std::time::Duration {
            let tl = Timeline::from_trace(outcome.traces.get(variant).expect(variant));
            let units = tl.lanes.iter().filter(|l| l.unit != simul_reactor::trace::Unit::LOOP);
            let on_units: std::time::Duration =
                units.map(|l| l.time_in(|s| s == simul_scenario::State::Blocked)).sum();
            // The loop's lane shows the same time as frozen, where it has one.
            if let Some(lp) = tl.lanes.iter().find(|l| l.unit == simul_reactor::trace::Unit::LOOP) {
                assert_eq!(
                    lp.time_in(|s| s == simul_scenario::State::Blocked),
                    on_units,
                    "{style} {variant}: loop lane"
                );
            }
            on_units
        };
        // The blocking nap is 4 s of blocking work; the friendly one 2 s
        // in ten parts: both are charged to the loop, all of it.
        assert_eq!(blocked("blocking"), simul_scenario::params::nap::BLOCKING_NAP, "{style}");
        assert_eq!(blocked("friendly"), simul_scenario::params::nap::FRIENDLY_NAP, "{style}");
    }
}

#[test]
fn tour_options_reject_bad_input_with_a_message() {
    let parse = |a: &[&str]| args::parse(a.iter().map(|s| s.to_string()));
    assert_eq!(parse(&[]).unwrap().unwrap(), args::TourArgs::default());
    let one = parse(&["--scenario", "chess", "--style", "coro"]).unwrap().unwrap();
    assert_eq!((one.scenarios, one.styles), (vec![Scenario::Chess], vec![Style::Coro]));
    assert!(parse(&["--help"]).unwrap().is_none());
    for bad in [&["--scenario", "poker"][..], &["--style"], &["--scale", "0"], &["--bogus"]] {
        let e = parse(bad).unwrap_err();
        assert!(!e.is_empty(), "{bad:?}");
    }
}
