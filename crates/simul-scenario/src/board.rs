//! The simul board: a [`Timeline`] drawn in the terminal, one row per
//! lane, time flowing right.
//!
//! ```text
//!              0 s       0.25 s    0.50 s    0.75 s    1.00 s
//!              |         |         |         |         |
//!   loop       =.........................................=
//!   count 1    =.........................................=
//!   count 2    -=........................................-=
//! ```
//!
//! Each column covers an equal slice of time and shows the state that
//! matters most in it: `#` blocked (the loop is frozen), `=` running, `-`
//! ready but not running, `.` waiting, blank not alive.

use std::fmt::Write as _;
use std::time::Duration;

use crate::{State, Timeline};

/// At most this many lanes are drawn; the rest are counted.
pub const MAX_LANES: usize = 40;

/// The terminal's width from `$COLUMNS`, else 100; never below 40.
///
/// # Examples
///
/// ```
/// assert!(simul_scenario::terminal_width() >= 40);
/// ```
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100).max(40)
}

/// A time on an axis, in units that suit the whole span.
pub(crate) fn axis_label(t: Duration, span: Duration) -> String {
    let s = t.as_secs_f64();
    if span >= Duration::from_secs(2 * 3600) {
        let m = t.as_secs() / 60;
        format!("{}:{:02}h", m / 60, m % 60)
    } else if span >= Duration::from_secs(120) {
        format!("{:.0} min", s / 60.0)
    } else if span >= Duration::from_secs(2) {
        format!("{s:.1} s")
    } else if span >= Duration::from_millis(20) {
        format!("{:.0} ms", s * 1e3)
    } else if span >= Duration::from_millis(2) {
        // Ticks every 0.2 to 2 ms: whole milliseconds would repeat.
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

impl Timeline {
    /// Draws the board `width` characters wide.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Source, Trace, TraceEvent, TraceKind, Unit};
    /// use simul_reactor::Instant;
    /// use simul_scenario::Timeline;
    /// use std::time::Duration;
    ///
    /// let u = Unit::new(Source::next(), 1);
    /// let mut t = Trace::default();
    /// t.set_name(u, "nap");
    /// t.push(TraceEvent { at: Instant::ZERO, unit: u, kind: TraceKind::Running });
    /// t.push(TraceEvent { at: Instant::ZERO, unit: u, kind: TraceKind::Blocked(Duration::from_secs(4)) });
    /// t.push(TraceEvent { at: Instant::ZERO + Duration::from_secs(4), unit: u, kind: TraceKind::Finished });
    /// let board = Timeline::from_trace(&t).board(60);
    /// let row = board.lines().find(|l| l.trim_start().starts_with("nap")).unwrap();
    /// assert!(row.contains("####"), "{board}");
    /// ```
    pub fn board(&self, width: usize) -> String {
        let label_w =
            self.lanes.iter().map(|l| l.name.chars().count()).max().unwrap_or(4).clamp(4, 26);
        let cols = width.saturating_sub(label_w + 4).max(10);
        let span = self.duration().max(Duration::from_nanos(1));
        let col_time = |c: usize| span.mul_f64(c as f64 / cols as f64);
        let mut out = String::new();
        // The axis: a label every ~12 columns.
        let step = 12.min(cols);
        let mut labels = vec![' '; cols + 12];
        let mut ticks = vec![' '; cols + 1];
        for c in (0..=cols).step_by(step) {
            ticks[c] = '|';
            for (i, ch) in axis_label(col_time(c), span).chars().enumerate() {
                if c + i < labels.len() {
                    labels[c + i] = ch;
                }
            }
        }
        let pad = " ".repeat(label_w + 3);
        let _ = writeln!(out, "{pad}{}", labels.iter().collect::<String>().trim_end());
        let _ = writeln!(out, "{pad}{}", ticks.iter().collect::<String>().trim_end());
        for lane in self.lanes.iter().take(MAX_LANES) {
            let name: String = lane.name.chars().take(label_w).collect();
            let row: String = (0..cols)
                .map(|c| {
                    Timeline::dominant(lane, col_time(c), col_time(c + 1)).map_or(' ', State::glyph)
                })
                .collect();
            let _ = writeln!(out, "  {name:<label_w$} {}", row.trim_end());
        }
        if self.lanes.len() > MAX_LANES {
            let _ = writeln!(out, "  ... and {} more lanes", self.lanes.len() - MAX_LANES);
        }
        let _ =
            write!(out, "  # blocked (loop frozen)   = running   - ready, not running   . waiting");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_suit_the_span() {
        let h = Duration::from_secs(3600);
        assert_eq!(axis_label(h, h * 13), "1:00h");
        assert_eq!(axis_label(Duration::from_secs(600), h), "10 min");
        assert_eq!(axis_label(Duration::from_millis(500), Duration::from_secs(1)), "500 ms");
        // A span of a few milliseconds ticks every half millisecond.
        assert_eq!(axis_label(Duration::from_micros(500), Duration::from_millis(4)), "0.5 ms");
    }
}
