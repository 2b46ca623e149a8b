//! [`Timeline`]: a trace turned into lanes of segments, ready to draw.
//!
//! Each unit of the trace becomes a [`Lane`]; its events become
//! [`Segment`]s, each in one [`State`]:
//!
//! ```text
//!   event            the lane's state from then on
//!   -----            -----------------------------
//!   Created          Ready      (queued, not running yet)
//!   Running          Running
//!   Blocked(d)       Blocked for d (the loop is frozen), then Running
//!   Suspended(w)     Waiting(w)
//!   Woken            Ready
//!   Finished, ...    (the lane ends)
//! ```
//!
//! Time is the recording's clock, measured from the first event. The
//! loop's own lane ([`Unit::LOOP`]) is running from the first event
//! unless the reactor says it waits.

use std::time::Duration;

use simul_reactor::Instant;
use simul_reactor::trace::{Trace, TraceKind, Unit, Wait};

/// What a lane is doing during a [`Segment`].
///
/// # Examples
///
/// ```
/// use simul_scenario::State;
/// assert_eq!(State::Running.glyph(), '=');
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Running on the loop.
    Running,
    /// Running blocking work: nothing else can run.
    Blocked,
    /// Ready (created or woken), waiting for the loop to get to it.
    Ready,
    /// Suspended until this happens.
    Waiting(Wait),
}

impl State {
    /// The character the terminal board draws it with.
    ///
    /// # Examples
    /// See [`State`].
    pub const fn glyph(self) -> char {
        match self {
            State::Running => '=',
            State::Blocked => '#',
            State::Ready => '-',
            State::Waiting(_) => '.',
        }
    }

    /// A short name, for legends and trace viewers.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_scenario::State::Blocked.label(), "blocked (loop frozen)");
    /// ```
    pub const fn label(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Blocked => "blocked (loop frozen)",
            State::Ready => "ready",
            State::Waiting(Wait::Poll(_)) => "loop idle",
            State::Waiting(_) => "waiting",
        }
    }

    /// Which of two states the board shows when both fall in one column:
    /// blocking first (it is what the board is for), then running.
    fn rank(self) -> u8 {
        match self {
            State::Blocked => 4,
            State::Running => 3,
            State::Ready => 2,
            State::Waiting(_) => 1,
        }
    }
}

/// A stretch of time in one state.
///
/// # Examples
///
/// ```
/// use simul_scenario::{Segment, State};
/// use std::time::Duration;
/// let s = Segment { start: Duration::ZERO, end: Duration::from_secs(1), state: State::Running };
/// assert_eq!(s.len(), Duration::from_secs(1));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Since the timeline's start.
    pub start: Duration,
    /// Since the timeline's start; `end >= start`.
    pub end: Duration,
    /// What the lane did.
    pub state: State,
}

impl Segment {
    /// How long it lasted.
    ///
    /// # Examples
    /// See [`Segment`].
    pub fn len(&self) -> Duration {
        self.end - self.start
    }

    /// Whether it lasted no time at all.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Segment, State};
    /// use std::time::Duration;
    /// assert!(Segment { start: Duration::ZERO, end: Duration::ZERO, state: State::Ready }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One unit's life: its name and its segments in time order, without
/// gaps from its first to its last event (and none overlapping).
///
/// # Examples
/// See [`Timeline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// The unit.
    pub unit: Unit,
    /// Its name in the trace.
    pub name: String,
    /// In time order.
    pub segments: Vec<Segment>,
}

impl Lane {
    /// Time spent in states for which `pick` holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Lane, Segment, State};
    /// use simul_reactor::trace::Unit;
    /// use std::time::Duration;
    /// let lane = Lane {
    ///     unit: Unit::LOOP,
    ///     name: "loop".into(),
    ///     segments: vec![Segment { start: Duration::ZERO, end: Duration::from_secs(2), state: State::Blocked }],
    /// };
    /// assert_eq!(lane.time_in(|s| s == State::Blocked), Duration::from_secs(2));
    /// ```
    pub fn time_in(&self, pick: impl Fn(State) -> bool) -> Duration {
        self.segments.iter().filter(|s| pick(s.state)).map(Segment::len).sum()
    }
}

/// A trace as lanes, one per unit in order of first appearance (the loop's
/// lane first when it has one).
///
/// # Examples
///
/// ```
/// use simul_reactor::trace::{Source, Trace, TraceEvent, TraceKind, Unit, Wait};
/// use simul_reactor::Instant;
/// use simul_scenario::{State, Timeline};
/// use std::time::Duration;
///
/// let u = Unit::new(Source::next(), 1);
/// let mut trace = Trace::default();
/// let at = |s| Instant::ZERO + Duration::from_secs(s);
/// for (t, kind) in [
///     (0, TraceKind::Created),
///     (0, TraceKind::Running),
///     (0, TraceKind::Suspended(Wait::Timer(at(1)))),
///     (1, TraceKind::Woken),
///     (1, TraceKind::Running),
///     (1, TraceKind::Finished),
/// ] {
///     trace.push(TraceEvent { at: at(t), unit: u, kind });
/// }
/// let tl = Timeline::from_trace(&trace);
/// assert_eq!(tl.duration(), Duration::from_secs(1));
/// let states: Vec<State> = tl.lanes[0].segments.iter().map(|s| s.state).collect();
/// // Running takes no time on the virtual clock, but still shows.
/// assert_eq!(states, [State::Running, State::Waiting(Wait::Timer(at(1))), State::Running]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The first event's time (every segment is measured from it).
    pub origin: Instant,
    /// From the first to the last event.
    duration: Duration,
    /// One per unit.
    pub lanes: Vec<Lane>,
}

/// A lane being built.
struct Open {
    /// The state since `since`, if the lane is alive.
    state: Option<State>,
    /// When `state` began.
    since: Duration,
    /// The segments closed so far.
    segments: Vec<Segment>,
}

impl Open {
    /// Closes the current segment at `at` and opens `next` (or ends the
    /// lane). Zero-length waits are dropped; zero-length runs are kept.
    fn go(&mut self, at: Duration, next: Option<State>) {
        let at = at.max(self.since);
        // A zero-length run is kept: on the virtual clock running takes no
        // time, and the board must still show that the unit ran then.
        if let Some(state) = self.state
            && (at > self.since || matches!(state, State::Running | State::Blocked))
        {
            match self.segments.last_mut() {
                // Two adjacent segments in one state are one.
                Some(last) if last.state == state && last.end == self.since => last.end = at,
                _ => self.segments.push(Segment { start: self.since, end: at, state }),
            }
        }
        self.state = next;
        self.since = at;
    }
}

/// `segments` with every stretch of `frozen` (sorted) that falls in a
/// running segment drawn as blocked instead.
fn freeze(segments: &[Segment], frozen: &[(Duration, Duration)]) -> Vec<Segment> {
    let mut out = Vec::with_capacity(segments.len());
    for s in segments {
        if s.state != State::Running {
            out.push(*s);
            continue;
        }
        let mut at = s.start;
        for &(f0, f1) in frozen.iter().filter(|(f0, f1)| *f1 > s.start && *f0 < s.end) {
            let (f0, f1) = (f0.max(s.start), f1.min(s.end));
            if f0 > at {
                out.push(Segment { start: at, end: f0, state: State::Running });
            }
            out.push(Segment { start: f0.max(at), end: f1, state: State::Blocked });
            at = f1.max(at);
        }
        if at < s.end || (s.is_empty() && at == s.start) {
            out.push(Segment { start: at, end: s.end, state: State::Running });
        }
    }
    out
}

impl Timeline {
    /// Builds the lanes of `trace`.
    ///
    /// # Examples
    /// See [`Timeline`].
    pub fn from_trace(trace: &Trace) -> Timeline {
        let events = trace.events();
        let origin = events.iter().map(|e| e.at).min().unwrap_or(Instant::ZERO);
        let end = events.iter().map(|e| e.at).max().unwrap_or(origin);
        let rel = |t: Instant| t.saturating_duration_since(origin);
        let mut units = trace.units();
        // The loop first: it is the master walking between the boards.
        if let Some(i) = units.iter().position(|u| *u == Unit::LOOP) {
            units[..=i].rotate_right(1);
        }
        let mut open: Vec<Open> = units
            .iter()
            .map(|u| Open {
                state: (*u == Unit::LOOP).then_some(State::Running),
                since: Duration::ZERO,
                segments: Vec::new(),
            })
            .collect();
        let index: std::collections::HashMap<Unit, usize> =
            units.iter().enumerate().map(|(i, u)| (*u, i)).collect();
        let mut last = Duration::ZERO;
        for e in events {
            let lane = &mut open[index[&e.unit]];
            // Events are in recording order; a clock that another thread
            // moved could make one a hair older than the last: keep time
            // monotonic per lane rather than draw backwards.
            let at = rel(e.at).max(lane.since);
            last = last.max(at);
            match e.kind {
                TraceKind::Created | TraceKind::Woken => {
                    if lane.state != Some(State::Running) {
                        lane.go(at, Some(State::Ready));
                    }
                }
                TraceKind::Running => lane.go(at, Some(State::Running)),
                TraceKind::Suspended(w) => lane.go(at, Some(State::Waiting(w))),
                TraceKind::Blocked(d) => {
                    let resume = lane.state;
                    lane.go(at, Some(State::Blocked));
                    let until = at.saturating_add(d);
                    lane.go(until, resume.or(Some(State::Running)));
                    last = last.max(until);
                }
                TraceKind::Finished | TraceKind::Cancelled | TraceKind::Panicked => {
                    lane.go(at, None)
                }
            }
        }
        let duration = rel(end).max(last);
        let mut lanes: Vec<Lane> = units
            .iter()
            .zip(open)
            .map(|(u, mut o)| {
                o.go(duration, None);
                Lane { unit: *u, name: trace.name(*u).into_owned(), segments: o.segments }
            })
            .collect();
        // While any unit does blocking work, the loop itself is frozen:
        // draw that on the loop's lane too.
        let mut frozen: Vec<(Duration, Duration)> = lanes
            .iter()
            .filter(|l| l.unit != Unit::LOOP)
            .flat_map(|l| {
                l.segments.iter().filter(|s| s.state == State::Blocked).map(|s| (s.start, s.end))
            })
            .collect();
        frozen.sort();
        if let Some(lp) = lanes.iter_mut().find(|l| l.unit == Unit::LOOP) {
            lp.segments = freeze(&lp.segments, &frozen);
        }
        Timeline { origin, duration, lanes }
    }

    /// From the first event to the last.
    ///
    /// # Examples
    /// See [`Timeline`].
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The part of the timeline between `from` and `to` (measured from its
    /// start): segments are clipped, lanes with nothing left dropped, and
    /// times measured from `from`. For "the first minutes of the chess".
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::trace::{Trace, TraceEvent, TraceKind, Unit};
    /// use simul_reactor::Instant;
    /// use simul_scenario::Timeline;
    /// use std::time::Duration;
    /// let mut t = Trace::default();
    /// t.push(TraceEvent { at: Instant::ZERO, unit: Unit::LOOP, kind: TraceKind::Running });
    /// t.push(TraceEvent { at: Instant::from_nanos(10), unit: Unit::LOOP, kind: TraceKind::Finished });
    /// let w = Timeline::from_trace(&t).window(Duration::from_nanos(2), Duration::from_nanos(5));
    /// assert_eq!(w.duration(), Duration::from_nanos(3));
    /// assert_eq!(w.lanes[0].segments[0].len(), Duration::from_nanos(3));
    /// ```
    pub fn window(&self, from: Duration, to: Duration) -> Timeline {
        let to = to.min(self.duration).max(from);
        let lanes = self
            .lanes
            .iter()
            .filter_map(|lane| {
                let segments: Vec<Segment> = lane
                    .segments
                    .iter()
                    .filter(|s| s.end > from && s.start < to)
                    .map(|s| Segment {
                        start: s.start.max(from) - from,
                        end: s.end.min(to) - from,
                        state: s.state,
                    })
                    .collect();
                (!segments.is_empty()).then(|| Lane { segments, ..lane.clone() })
            })
            .collect();
        Timeline { origin: self.origin.saturating_add(from), duration: to - from, lanes }
    }

    /// The state that covers most of `[from, to)` on `lane`, by the
    /// board's precedence (blocked, running, ready, waiting).
    pub(crate) fn dominant(lane: &Lane, from: Duration, to: Duration) -> Option<State> {
        lane.segments
            .iter()
            .filter(|s| {
                s.end > from && s.start < to || (s.is_empty() && s.start >= from && s.start < to)
            })
            .map(|s| s.state)
            .max_by_key(|s| s.rank())
    }
}
