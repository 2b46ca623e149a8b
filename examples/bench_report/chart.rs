//! The report as a grouped bar chart (SVG): one group per workload, one
//! bar per style, each bar's height the style's speed relative to the
//! group's best (1 = the best; for the memory group, the smallest
//! footprint), with the figure written on the bar.

use std::fmt::Write as _;

use crate::Results;
use crate::table::{best, figure, num};
use crate::workloads::Style;

/// Bar colours, one per style, in `Style::ALL` order.
const COLOURS: [&str; 7] =
    ["#d95f02", "#7570b3", "#1b9e77", "#66a61e", "#e7298a", "#555555", "#bbbbbb"];

const BAR: f64 = 16.0;
const GAP: f64 = 22.0;
const PLOT_H: f64 = 260.0;
const TOP: f64 = 60.0;
const LEFT: f64 = 50.0;

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One group: its title, and per style (in order) a relative height and a
/// label, or nothing.
type Group = (String, Vec<Option<(f64, String)>>);

fn groups(r: &Results) -> Vec<Group> {
    let mut gs = Vec::new();
    for &w in &r.workloads {
        let best = best(r, w);
        let bars = Style::ALL
            .into_iter()
            .map(|s| {
                let f = figure(r, w, s)?;
                let b = best?;
                let rel = if w.higher_is_better() { f / b } else { b / f };
                Some((rel, num(f)))
            })
            .collect();
        gs.push((format!("{w} ({})", w.unit()), bars));
    }
    if let Some(m) = &r.memory {
        let get = |s: Style| m.get(&s).and_then(|r| r.as_ref().ok()).copied();
        let least = Style::ALL.into_iter().filter_map(get).min();
        let bars = Style::ALL
            .into_iter()
            .map(|s| {
                let b = get(s)?;
                let l = least?;
                Some((l.max(1) as f64 / b.max(1) as f64, format!("{b}")))
            })
            .collect();
        gs.push(("idle memory (bytes per unit)".into(), bars));
    }
    gs
}

/// The chart.
pub(crate) fn svg(r: &Results) -> String {
    let gs = groups(r);
    let group_w = BAR * Style::ALL.len() as f64 + GAP;
    let width = LEFT + group_w * gs.len() as f64 + 20.0;
    let height = TOP + PLOT_H + 90.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(o, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{LEFT}" y="20" font-size="14">simul: each style's speed relative to the best in each workload (1 = best)</text>"#
    );
    // Legend.
    for (i, s) in Style::ALL.into_iter().enumerate() {
        let x = LEFT + i as f64 * 90.0;
        let _ = writeln!(
            o,
            r#"<rect x="{x}" y="32" width="12" height="12" fill="{}"/><text x="{}" y="42">{s}</text>"#,
            COLOURS[i],
            x + 16.0
        );
    }
    // Axis and grid.
    let base = TOP + PLOT_H;
    for k in 0..=4 {
        let v = k as f64 / 4.0;
        let y = base - v * PLOT_H;
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end">{v:.2}</text>"##,
            width - 20.0,
            LEFT - 4.0,
            y + 4.0
        );
    }
    for (g, (title, bars)) in gs.iter().enumerate() {
        let gx = LEFT + g as f64 * group_w + GAP / 2.0;
        for (i, bar) in bars.iter().enumerate() {
            let Some((rel, label)) = bar else { continue };
            let h = rel.clamp(0.0, 1.0) * PLOT_H;
            let x = gx + i as f64 * BAR;
            let _ = writeln!(
                o,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                base - h,
                BAR - 2.0,
                COLOURS[i],
                Style::ALL[i],
                esc(label)
            );
            let (tx, ty) = (x + BAR / 2.0 + 3.0, base - h - 3.0);
            let _ = writeln!(
                o,
                r#"<text x="{tx:.1}" y="{ty:.1}" font-size="9" transform="rotate(-90 {tx:.1} {ty:.1})">{}</text>"#,
                esc(label)
            );
        }
        let (tx, ty) = (gx + group_w / 2.0 - GAP / 2.0, base + 14.0);
        let _ = writeln!(
            o,
            r#"<text x="{tx:.1}" y="{ty:.1}" text-anchor="middle" font-size="10">{}</text>"#,
            esc(title.split(' ').next().unwrap_or(""))
        );
        let unit = title.split_once(' ').map_or("", |(_, u)| u);
        let _ = writeln!(
            o,
            r##"<text x="{tx:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="#666">{}</text>"##,
            ty + 12.0,
            esc(unit)
        );
    }
    let _ = writeln!(o, "</svg>");
    o
}
