//! The loop's side of tracing: which unit each callback continues, and the
//! steps it records (the mapping is described under "Tracing" in the crate
//! docs).
//!
//! What is always paid, recording or not: every scheduled callback carries
//! the `u64` of its unit, and scheduling reads `EventLoop::current_unit`
//! (one load and a compare) to pick it. Everything else (the per-unit
//! pending counts, names, the events) happens behind [`trace::enabled`],
//! in `#[cold]` functions.

use std::collections::HashMap;
use std::mem;
use std::panic::Location;

use simul_reactor::trace::{self, TraceKind, Unit, Wait};

use super::EventLoop;

/// What the loop knows about a unit while a recording runs.
struct UnitState {
    /// Its callbacks scheduled and not yet run or cancelled, plus its
    /// registered readers, writers and transports, plus its executor jobs
    /// in flight. It has finished when this reaches zero.
    pending: u32,
    /// What it last scheduled: its wait when a callback of it returns
    /// having scheduled nothing new.
    wait: Wait,
}

/// The loop's tracing state; empty (and untouched) unless a recording
/// runs on the loop's thread.
#[derive(Default)]
pub(super) struct TraceState {
    /// The units alive, by local id.
    units: HashMap<u64, UnitState>,
    /// What the running callback scheduled for its own unit (a `call_soon`
    /// wins: the unit is ready again at once).
    scheduled: Option<Wait>,
    /// What the running callback's unit waits for when it scheduled
    /// nothing: the fd of a reader, writer or transport.
    fallback: Option<Wait>,
    /// Whether `Running` was recorded for the running callback (its end is
    /// then recorded too).
    live: bool,
}

/// `nap_callback.rs:42`: where a unit's first callback was scheduled.
fn default_name(location: &Location<'_>) -> String {
    let file = location.file().rsplit(['/', '\\']).next().unwrap_or("callback");
    format!("{file}:{}", location.line())
}

impl EventLoop {
    /// The trace's name for this loop's unit `local`.
    fn trace_unit(&self, local: u64) -> Unit {
        Unit::new(self.source, local)
    }

    /// Records `kind` for unit `local` now.
    fn trace_record(&self, local: u64, kind: TraceKind) {
        trace::record(self.reactor.clock(), self.trace_unit(local), kind);
    }

    /// A unit never used before.
    #[inline]
    pub(super) fn fresh_unit(&mut self) -> u64 {
        self.next_unit += 1;
        self.next_unit
    }

    /// The unit a callback (or reader, writer, job) scheduled now belongs
    /// to: the running callback's, or a new one when none runs. `wait` is
    /// what the unit waits for until it runs.
    #[inline]
    pub(super) fn adopt(&mut self, location: &'static Location<'static>, wait: Wait) -> u64 {
        let (unit, fresh) = match self.current_unit {
            0 => (self.fresh_unit(), true),
            unit => (unit, false),
        };
        if trace::enabled() {
            self.trace_scheduled(unit, fresh, location, wait);
        }
        unit
    }

    /// A new unit for something that starts its own chain (an accepted
    /// connection, a call from another thread).
    pub(super) fn adopt_fresh(&mut self, location: &'static Location<'static>, wait: Wait) -> u64 {
        let unit = self.fresh_unit();
        if trace::enabled() {
            self.trace_scheduled(unit, true, location, wait);
        }
        unit
    }

    /// Something of `unit` was scheduled: count it, and for a new unit
    /// record its creation (and name it after `location`).
    #[cold]
    fn trace_scheduled(
        &mut self,
        unit: u64,
        fresh: bool,
        location: &'static Location<'static>,
        wait: Wait,
    ) {
        if fresh {
            self.trace_record(unit, TraceKind::Created);
            trace::name(self.trace_unit(unit), default_name(location));
            if wait != Wait::Yield {
                self.trace_record(unit, TraceKind::Suspended(wait));
            }
        }
        let st = self.tr.units.entry(unit).or_insert(UnitState { pending: 0, wait });
        st.pending += 1;
        st.wait = wait;
        if unit == self.current_unit && self.tr.scheduled != Some(Wait::Yield) {
            self.tr.scheduled = Some(wait);
        }
    }

    /// A loop-internal timer of `unit` was scheduled: count it, leaving
    /// the unit's wait alone. A unit not traced (it began before the
    /// recording) stays untraced.
    #[cold]
    pub(super) fn trace_count(&mut self, unit: u64) {
        if let Some(st) = self.tr.units.get_mut(&unit) {
            st.pending += 1;
        }
    }

    /// A loop-internal callback of `unit` was queued ready (a transport's
    /// follow-up): count it; it is ready at once.
    #[cold]
    pub(super) fn trace_push(&mut self, unit: u64) {
        if unit == 0 {
            return;
        }
        self.tr.units.entry(unit).or_insert(UnitState { pending: 0, wait: Wait::Yield }).pending +=
            1;
        if unit == self.current_unit {
            self.tr.scheduled = Some(Wait::Yield);
        } else {
            self.trace_record(unit, TraceKind::Woken);
        }
    }

    /// A callback of `unit` became ready: a timer is due, an fd is ready,
    /// an executor job's result is back.
    #[cold]
    pub(super) fn trace_woken(&self, unit: u64) {
        if self.tr.units.contains_key(&unit) {
            self.trace_record(unit, TraceKind::Woken);
        }
    }

    /// A callback of `unit` is about to run; `consumed` when it is a
    /// one-shot callback (not a reader, writer or transport, which stay
    /// registered); `fallback` is what the unit waits for afterwards if
    /// the callback schedules nothing.
    #[inline]
    pub(crate) fn enter(
        &mut self,
        location: &'static Location<'static>,
        kind: crate::CallbackKind,
        unit: u64,
        consumed: bool,
        fallback: Option<Wait>,
    ) {
        self.current = (location, kind);
        self.current_unit = unit;
        if trace::enabled() {
            self.trace_enter(consumed, fallback);
        }
    }

    #[cold]
    fn trace_enter(&mut self, consumed: bool, fallback: Option<Wait>) {
        let unit = self.current_unit;
        self.tr.scheduled = None;
        self.tr.fallback = fallback;
        let tracked = match self.tr.units.get_mut(&unit) {
            Some(st) => {
                if consumed {
                    st.pending = st.pending.saturating_sub(1);
                }
                true
            }
            // A one-shot callback of a unit that began before the
            // recording: traced from here on. A reader or transport of a
            // unit already over (its event was seen before it was
            // removed) is not.
            None => consumed,
        };
        self.tr.live = tracked && unit != 0;
        if self.tr.live {
            self.trace_record(unit, TraceKind::Running);
        }
    }

    /// The callback that [`enter`](EventLoop::enter)ed returned: its unit
    /// suspends on what it waits for, or finishes.
    #[cold]
    pub(super) fn trace_end(&mut self) {
        if !mem::take(&mut self.tr.live) {
            return;
        }
        let unit = self.current_unit;
        match self.tr.units.get(&unit) {
            Some(st) if st.pending > 0 => {
                let wait = self.tr.scheduled.take().or(self.tr.fallback.take()).unwrap_or(st.wait);
                self.trace_record(unit, TraceKind::Suspended(wait));
                if wait == Wait::Yield {
                    self.trace_record(unit, TraceKind::Woken);
                }
            }
            _ => {
                self.tr.units.remove(&unit);
                self.trace_record(unit, TraceKind::Finished);
            }
        }
    }

    /// Something pending of `unit` was cancelled (a handle, a reader or
    /// writer removed, a transport closed); when it was the last, the unit
    /// is cancelled, unless it is the one running (which then finishes
    /// when its callback returns).
    #[cold]
    pub(super) fn trace_cancelled(&mut self, unit: u64) {
        let Some(st) = self.tr.units.get_mut(&unit) else { return };
        st.pending = st.pending.saturating_sub(1);
        if st.pending == 0 && !(self.tr.live && unit == self.current_unit) {
            self.tr.units.remove(&unit);
            self.trace_record(unit, TraceKind::Cancelled);
        }
    }

    /// The running callback panicked: its unit ends here.
    #[cold]
    pub(super) fn trace_panicked(&mut self) {
        if mem::take(&mut self.tr.live) {
            let unit = self.current_unit;
            self.tr.units.remove(&unit);
            self.trace_record(unit, TraceKind::Panicked);
        }
    }
}
