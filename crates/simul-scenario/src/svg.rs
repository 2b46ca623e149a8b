//! An SVG timeline: lanes, a time axis and a legend, readable in any
//! browser without a tool.

use std::fmt::Write as _;
use std::time::Duration;

use crate::board::axis_label;
use crate::{State, Timeline};

/// At most this many lanes are drawn; the rest are counted under them.
pub const MAX_SVG_LANES: usize = 200;

/// Width of the drawing area, in SVG user units (pixels).
const PLOT_W: f64 = 900.0;
/// Height of one lane.
const LANE_H: f64 = 18.0;
/// Room for the lanes' names on the left.
const LABEL_W: f64 = 150.0;
/// Room for the title and the axis above the lanes.
const TOP: f64 = 48.0;

/// Escapes `s` for XML text and attribute values.
pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The fill of a state.
fn fill(state: State) -> &'static str {
    match state {
        State::Running => "#3b7dd8",
        State::Blocked => "#d83b3b",
        State::Ready => "#f0a030",
        State::Waiting(simul_reactor::trace::Wait::Poll(_)) => "#e8e8e8",
        State::Waiting(_) => "#cfd8e3",
    }
}

/// A "nice" tick spacing: 1, 2 or 5 times a power of ten seconds (or
/// minutes and hours for long spans), giving about eight ticks.
fn tick_step(span: Duration) -> Duration {
    let target = span.as_secs_f64() / 8.0;
    let candidates = [
        1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2,
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
        3600.0, 7200.0, 10800.0,
    ];
    let s = candidates.iter().copied().find(|c| *c >= target).unwrap_or(21600.0);
    Duration::from_secs_f64(s)
}

impl Timeline {
    /// The timeline as a standalone SVG document titled `title`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Trace, TraceEvent, TraceKind, Unit};
    /// use simul_reactor::Instant;
    /// use simul_scenario::Timeline;
    /// let mut t = Trace::default();
    /// t.push(TraceEvent { at: Instant::ZERO, unit: Unit::LOOP, kind: TraceKind::Running });
    /// t.push(TraceEvent { at: Instant::from_nanos(1_000_000), unit: Unit::LOOP, kind: TraceKind::Finished });
    /// let svg = Timeline::from_trace(&t).svg("demo");
    /// assert!(svg.starts_with("<svg"));
    /// assert!(svg.trim_end().ends_with("</svg>"));
    /// assert_eq!(svg.matches("class=\"lane\"").count(), 1);
    /// ```
    pub fn svg(&self, title: &str) -> String {
        let shown = self.lanes.len().min(MAX_SVG_LANES);
        let more = self.lanes.len() - shown;
        let legend_y = TOP + shown as f64 * LANE_H + if more > 0 { 34.0 } else { 18.0 };
        let height = legend_y + 30.0;
        let width = LABEL_W + PLOT_W + 20.0;
        let span = self.duration().max(Duration::from_nanos(1));
        let x = |t: Duration| LABEL_W + PLOT_W * (t.as_secs_f64() / span.as_secs_f64());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
        );
        let _ = writeln!(out, "<title>{}</title>", xml(title));
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"white\"/>"
        );
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"16\" font-size=\"14\" font-weight=\"bold\">{}</text>",
            xml(title)
        );
        // The axis.
        let step = tick_step(span);
        let mut t = Duration::ZERO;
        let axis_bottom = TOP + shown as f64 * LANE_H;
        let _ = writeln!(out, "<g class=\"axis\" stroke=\"#999\">");
        while t <= span {
            let tx = x(t);
            let _ = writeln!(
                out,
                "<line x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{axis_bottom:.1}\" stroke-width=\"0.5\"/><text x=\"{tx:.1}\" y=\"{:.1}\" stroke=\"none\" fill=\"#333\" text-anchor=\"middle\">{}</text>",
                TOP - 6.0,
                TOP - 10.0,
                xml(&axis_label(t, span))
            );
            t += step;
        }
        let _ = writeln!(out, "</g>");
        // The lanes.
        for (i, lane) in self.lanes.iter().take(shown).enumerate() {
            let y = TOP + i as f64 * LANE_H;
            let _ = writeln!(out, "<g class=\"lane\" data-name=\"{}\">", xml(&lane.name));
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LABEL_W - 6.0,
                y + LANE_H * 0.7,
                xml(&lane.name)
            );
            for s in &lane.segments {
                let (x0, x1) = (x(s.start), x(s.end));
                let _ = writeln!(
                    out,
                    "<rect x=\"{x0:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {} from {} for {}</title></rect>",
                    y + 2.0,
                    // Instant runs (the virtual clock) still show as ticks.
                    (x1 - x0).max(if matches!(s.state, State::Running | State::Blocked) {
                        1.5
                    } else {
                        0.5
                    }),
                    LANE_H - 4.0,
                    fill(s.state),
                    xml(&lane.name),
                    xml(&match s.state {
                        State::Waiting(w) => format!("waiting ({w})"),
                        other => other.label().to_string(),
                    }),
                    xml(&axis_label(s.start, span)),
                    xml(&crate::figures::short(s.len())),
                );
            }
            let _ = writeln!(out, "</g>");
        }
        if more > 0 {
            let _ = writeln!(
                out,
                "<text x=\"{LABEL_W:.0}\" y=\"{:.1}\">... and {more} more lanes (see the JSON trace)</text>",
                axis_bottom + 14.0
            );
        }
        // The legend.
        let _ = writeln!(out, "<g class=\"legend\">");
        let states = [
            State::Running,
            State::Blocked,
            State::Ready,
            State::Waiting(simul_reactor::trace::Wait::Unknown),
            State::Waiting(simul_reactor::trace::Wait::Poll(None)),
        ];
        for (i, s) in states.into_iter().enumerate() {
            let lx = LABEL_W + i as f64 * 170.0;
            let _ = writeln!(
                out,
                "<rect x=\"{lx:.0}\" y=\"{:.1}\" width=\"14\" height=\"12\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{:.1}\">{}</text>",
                legend_y,
                fill(s),
                lx + 19.0,
                legend_y + 10.0,
                s.label()
            );
        }
        let _ = writeln!(out, "</g>");
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(Duration::from_secs(1)), Duration::from_millis(200));
        assert_eq!(tick_step(Duration::from_secs(13 * 3600)), Duration::from_secs(7200));
        assert_eq!(xml("a<b&\"c\""), "a&lt;b&amp;&quot;c&quot;");
    }
}
