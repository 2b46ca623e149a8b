//! Chrome trace-event JSON: a [`Timeline`] for Perfetto and
//! `chrome://tracing`.
//!
//! The format is the "JSON Array/Object" trace-event format: one complete
//! event (`"ph":"X"`, start `ts` and `dur` in microseconds) per segment,
//! on a thread (`tid`) per lane, and one metadata event
//! (`"ph":"M"`, `thread_name`) naming each lane.

use std::fmt::Write as _;

use crate::{State, Timeline};

/// Escapes `s` for a JSON string.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Timeline {
    /// The timeline as Chrome trace-event JSON, titled `title`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Trace, TraceEvent, TraceKind, Unit};
    /// use simul_reactor::Instant;
    /// use simul_scenario::Timeline;
    /// let mut t = Trace::default();
    /// t.push(TraceEvent { at: Instant::ZERO, unit: Unit::LOOP, kind: TraceKind::Running });
    /// t.push(TraceEvent { at: Instant::from_nanos(3_000), unit: Unit::LOOP, kind: TraceKind::Finished });
    /// let json = Timeline::from_trace(&t).chrome_json("demo");
    /// assert!(json.starts_with("{\"traceEvents\":["));
    /// assert!(json.contains("\"ph\":\"X\",\"ts\":0.000,\"dur\":3.000"));
    /// ```
    pub fn chrome_json(&self, title: &str) -> String {
        let mut out = String::from("{\"traceEvents\":[");
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !first {
                out.push(',');
            }
            first = false;
        };
        sep(&mut out);
        let _ = write!(
            out,
            "{{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{{\"name\":{}}}}}",
            json_str(title)
        );
        for (tid, lane) in self.lanes.iter().enumerate() {
            sep(&mut out);
            let _ = write!(
                out,
                "{{\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"name\":\"thread_name\",\"args\":{{\"name\":{}}}}}",
                json_str(&lane.name)
            );
            sep(&mut out);
            let _ = write!(
                out,
                "{{\"ph\":\"M\",\"pid\":1,\"tid\":{tid},\"name\":\"thread_sort_index\",\"args\":{{\"sort_index\":{tid}}}}}"
            );
            for s in &lane.segments {
                sep(&mut out);
                let detail = match s.state {
                    State::Waiting(w) => w.to_string(),
                    other => other.label().to_string(),
                };
                let _ = write!(
                    out,
                    "{{\"name\":{},\"cat\":\"simul\",\"ph\":\"X\",\"ts\":{:.3},\"dur\":{:.3},\"pid\":1,\"tid\":{tid},\"args\":{{\"detail\":{}}}}}",
                    json_str(s.state.label()),
                    s.start.as_nanos() as f64 / 1e3,
                    s.len().as_nanos() as f64 / 1e3,
                    json_str(&detail)
                );
            }
        }
        out.push_str("],\"displayTimeUnit\":\"ms\"}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
