//! [`Figures`]: what a scenario measured, in one shape for every style,
//! and [`Row`]: those figures checked against the seed's.
//!
//! Each style's example fills in the struct of its scenario; the check,
//! the seed's figure and the wording of the summary live here, once.
//!
//! On the virtual clock the checks are exact (to the nanosecond). On the
//! real clock they allow wide margins (a loaded 2-core machine wakes
//! threads late), and the CPU, thread and socket scenarios, which only
//! run on the real clock, check the *shape* the seeds describe (who
//! stalled, what overlapped) rather than a number.

use std::fmt;
use std::time::Duration;

use crate::params;

/// The words a count printed, in order, and how long the run took.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Transcript {
    /// `One` / `Two`, in the order they were printed.
    pub words: Vec<&'static str>,
    /// From the start to the last word.
    pub took: Duration,
}

/// When each of `five_waits`' tasks was started, and how long all took.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Starts {
    /// `time passed after iter i`: since main began, one per task.
    pub starts: Vec<Duration>,
    /// From main's start to the last task's end.
    pub took: Duration,
}

/// One `nap` run: how many `Notify!` lines, and how many came while the
/// nap was going on.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NapRun {
    /// `Notify!` lines in all.
    pub notifies: u32,
    /// `Notify!` lines printed after the nap began and before it ended.
    pub during_nap: u32,
    /// How long the nap took (seed units).
    pub nap: Duration,
}

/// One `cpu_bound` run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CpuRun {
    /// From the first job's start to the last job's end.
    pub elapsed: Duration,
    /// The heartbeat's longest gap between two beats.
    pub worst_gap: Duration,
    /// Each job's result (all equal: the same work).
    pub results: Vec<u64>,
}

/// One `blocking_io` run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IoRun {
    /// From the first fetch to the last reply.
    pub took: Duration,
    /// The heartbeat's longest gap: how long the loop stalled.
    pub worst_gap: Duration,
    /// Fetches that got the right reply.
    pub ok: usize,
}

/// What a scenario measured. Durations are in the seed's units (a real
/// run's are multiplied back by its scale).
///
/// # Examples
///
/// ```
/// use simul_scenario::{Figures, Scenario};
/// use std::time::Duration;
///
/// let f = Figures::Chess { sequential: Duration::from_secs(43_200), simul: Duration::from_secs(3655) };
/// assert_eq!(f.scenario(), Scenario::Chess);
/// let row = f.row(true);
/// assert!(row.ok, "{row:?}");
/// assert_eq!(row.measured, "1:00:55");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Figures {
    /// `count`.
    Count {
        /// The seed's `count` with `await asyncio.sleep(1)`.
        cooperative: Transcript,
        /// The same with `time.sleep(1)`.
        blocking: Transcript,
    },
    /// `five_waits`.
    FiveWaits {
        /// `test_async.py`.
        cooperative: Starts,
        /// `test_noasync.py`.
        blocking: Starts,
    },
    /// `nap`.
    Nap {
        /// `blocking_wait_for(4)`.
        blocking: NapRun,
        /// `friendly_blocking_wait_for(2)`.
        friendly: NapRun,
    },
    /// `cake`.
    Cake {
        /// Cake, then groceries.
        sequential: Duration,
        /// Groceries while the cake bakes.
        cooperative: Duration,
        /// When the groceries were done in the cooperative run.
        groceries_done: Duration,
    },
    /// `chess`.
    Chess {
        /// One game after another.
        sequential: Duration,
        /// Board to board.
        simul: Duration,
    },
    /// `cpu_bound`.
    CpuBound {
        /// All jobs on the loop, no yields.
        on_loop: CpuRun,
        /// The same jobs yielding (`sleep(0)`) between slices.
        with_yields: CpuRun,
        /// The jobs on worker threads; the loop waits for results.
        offloaded: CpuRun,
        /// Cores the machine has (`available_parallelism`).
        cores: usize,
    },
    /// `blocking_io`.
    BlockingIo {
        /// K.
        servers: usize,
        /// d.
        delay: Duration,
        /// std's blocking calls.
        blocking: IoRun,
        /// The loop's non-blocking sockets.
        non_blocking: IoRun,
    },
    /// `echo`.
    Echo {
        /// Connections the client asked for.
        connections: usize,
        /// Connections the server held at once.
        held: usize,
        /// Round trips completed.
        round_trips: u64,
        /// Bytes that came back (and matched what was sent).
        bytes: u64,
        /// Bytes that came back different, or round trips that failed.
        mismatches: u64,
        /// How long the load ran.
        took: Duration,
    },
}

/// A scenario's line in a summary or in the tour's table.
///
/// # Examples
/// See [`Figures`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The figure this run measured.
    pub measured: String,
    /// What the seed says.
    pub seed: String,
    /// The sequential (or blocking) baseline, as measured.
    pub baseline: String,
    /// Whether the figure agrees with the seed (exact on the virtual
    /// clock, within margins on the real one).
    pub ok: bool,
    /// Why it agrees, or what is off.
    pub note: String,
}

impl Figures {
    /// Which scenario these figures belong to.
    ///
    /// # Examples
    /// See [`Figures`].
    pub fn scenario(&self) -> crate::Scenario {
        use crate::Scenario as S;
        match self {
            Figures::Count { .. } => S::Count,
            Figures::FiveWaits { .. } => S::FiveWaits,
            Figures::Nap { .. } => S::Nap,
            Figures::Cake { .. } => S::Cake,
            Figures::Chess { .. } => S::Chess,
            Figures::CpuBound { .. } => S::CpuBound,
            Figures::BlockingIo { .. } => S::BlockingIo,
            Figures::Echo { .. } => S::Echo,
        }
    }

    /// Checks the figures against the seed's. `exact`: they were taken on
    /// the virtual clock, so durations must match to the nanosecond.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Figures, Transcript};
    /// use std::time::Duration;
    /// let t = |w: &[&'static str], s| Transcript { words: w.to_vec(), took: Duration::from_secs(s) };
    /// let f = Figures::Count {
    ///     cooperative: t(&["One", "One", "One", "Two", "Two", "Two"], 1),
    ///     blocking: t(&["One", "Two", "One", "Two", "One", "Two"], 3),
    /// };
    /// assert!(f.row(true).ok);
    /// ```
    pub fn row(&self, exact: bool) -> Row {
        let near = |got: Duration, want: Duration| close(got, want, exact);
        match self {
            Figures::Count { cooperative, blocking } => {
                let want_coop: Vec<&str> =
                    [["One"; params::count::TASKS], ["Two"; params::count::TASKS]].concat();
                let want_block: Vec<&str> = ["One", "Two"].repeat(params::count::TASKS);
                let wait = params::count::WAIT;
                let ok = cooperative.words == want_coop
                    && blocking.words == want_block
                    && near(cooperative.took, wait)
                    && near(blocking.took, wait * params::count::TASKS as u32);
                Row {
                    measured: format!(
                        "{} in {}",
                        words(&cooperative.words),
                        secs(cooperative.took)
                    ),
                    seed: format!(
                        "One One One Two Two Two in {:.2} s",
                        params::count::SEED_SECONDS
                    ),
                    baseline: format!("{} in {}", words(&blocking.words), secs(blocking.took)),
                    ok,
                    note: "the three waits overlap; time.sleep runs them one after another".into(),
                }
            }
            Figures::FiveWaits { cooperative, blocking } => {
                let n = params::five_waits::TASKS;
                let wait = params::five_waits::WAIT;
                let spread = cooperative.starts.last().copied().unwrap_or_default();
                // `time passed after iter i` is printed before task i starts:
                // 0, 3, 6, ... s when each start waits for the last task.
                let apart =
                    blocking.starts.iter().enumerate().all(|(i, t)| near(*t, wait * i as u32));
                let ok = cooperative.starts.len() == n
                    && blocking.starts.len() == n
                    && spread < Duration::from_millis(if exact { 1 } else { 50 })
                    && apart
                    && near(cooperative.took, wait)
                    && near(blocking.took, wait * n as u32);
                Row {
                    measured: format!(
                        "{}, starts {} apart",
                        secs(cooperative.took),
                        short(spread / n as u32)
                    ),
                    seed: "3.00 s, starts microseconds apart".into(),
                    baseline: format!("{}, starts {} apart", secs(blocking.took), secs(wait)),
                    ok,
                    note: "main starts all five before any finishes".into(),
                }
            }
            Figures::Nap { blocking, friendly } => {
                let ok = blocking.during_nap == 0
                    && friendly.during_nap > 0
                    && near(blocking.nap, params::nap::BLOCKING_NAP)
                    && friendly.nap >= params::nap::FRIENDLY_NAP;
                Row {
                    measured: format!("friendly: {} Notify! during the nap", friendly.during_nap),
                    seed: "Notify! keeps coming during the friendly nap".into(),
                    baseline: format!("blocking: {} Notify! during the nap", blocking.during_nap),
                    ok,
                    note: format!(
                        "{} and {} Notify! in all; the blocking nap freezes the loop for {}",
                        friendly.notifies,
                        blocking.notifies,
                        secs(blocking.nap)
                    ),
                }
            }
            Figures::Cake { sequential, cooperative, groceries_done } => {
                use params::cake::{DOUGH, GROCERIES, OVEN};
                let ok = near(*sequential, DOUGH + OVEN + GROCERIES)
                    && near(*cooperative, DOUGH + OVEN)
                    && near(*groceries_done, DOUGH + GROCERIES);
                Row {
                    measured: format!(
                        "{}, groceries at {}",
                        mins(*cooperative),
                        mins(*groceries_done)
                    ),
                    seed: "60 min, groceries at 35 min".into(),
                    baseline: mins(*sequential),
                    ok,
                    note: "the groceries fit in the oven's 45 minutes".into(),
                }
            }
            Figures::Chess { sequential, simul } => {
                use params::chess::{BOARDS, ESTIMATE, EXACT, MASTER, MOVES, OPPONENT};
                let ok =
                    near(*sequential, (MASTER + OPPONENT) * MOVES * BOARDS) && near(*simul, EXACT);
                Row {
                    measured: hms(*simul),
                    seed: format!("{} (estimate: 24 x 5 s x 30)", hms(ESTIMATE)),
                    baseline: hms(*sequential),
                    ok,
                    note: format!(
                        "exact: the estimate counts Judit's moves only; the last opponent's final {} s overlap nothing",
                        OPPONENT.as_secs()
                    ),
                }
            }
            Figures::CpuBound { on_loop, with_yields, offloaded, cores } => {
                let jobs = params::cpu_bound::JOBS as usize;
                let done = [on_loop, with_yields, offloaded]
                    .iter()
                    .all(|r| r.results.len() == jobs && r.results.windows(2).all(|w| w[0] == w[1]));
                // Starved: a gap of at least half the run (the margin covers
                // the beat armed before the jobs began). Regular: late (the
                // gap past one beat) by at most a third of the starved
                // run's lateness.
                let beat = params::cpu_bound::BEAT;
                let starved = on_loop.worst_gap * 2 >= on_loop.elapsed;
                let late = |r: &CpuRun| r.worst_gap.saturating_sub(beat);
                let regular = |r: &CpuRun| late(r) * 3 <= late(on_loop);
                let ok = done && starved && regular(with_yields) && regular(offloaded);
                Row {
                    measured: format!(
                        "heartbeat gap {} on the loop, {} with yields, {} offloaded",
                        short(on_loop.worst_gap),
                        short(with_yields.worst_gap),
                        short(offloaded.worst_gap)
                    ),
                    seed: "starved on the loop; regular with sleep(0) or offloaded".into(),
                    baseline: format!("on the loop {}", short(on_loop.elapsed)),
                    ok,
                    note: format!(
                        "elapsed: on the loop {}, with yields {}, offloaded {} ({:.1}x faster on {cores} cores: async is not parallelism)",
                        short(on_loop.elapsed),
                        short(with_yields.elapsed),
                        short(offloaded.elapsed),
                        ratio(on_loop.elapsed, offloaded.elapsed)
                    ),
                }
            }
            Figures::BlockingIo { servers, delay, blocking, non_blocking } => {
                let k = *servers as u32;
                let ok = blocking.ok == *servers
                    && non_blocking.ok == *servers
                    && blocking.took >= *delay * k
                    && blocking.worst_gap >= *delay
                    && non_blocking.took >= *delay
                    && non_blocking.took < *delay * k / 2 + *delay;
                Row {
                    measured: format!("{} (d = {})", short(non_blocking.took), short(*delay)),
                    seed: "about d with the loop's sockets; K x d blocking".into(),
                    baseline: format!("{} (K x d = {})", short(blocking.took), short(*delay * k)),
                    ok,
                    note: format!(
                        "the loop stalled {} with std's calls, {} with its own",
                        short(blocking.worst_gap),
                        short(non_blocking.worst_gap)
                    ),
                }
            }
            Figures::Echo { connections, held, round_trips, bytes, mismatches, took } => {
                let ok = *mismatches == 0 && *held == *connections && *round_trips > 0;
                let per_sec = *round_trips as f64 / took.as_secs_f64().max(1e-9);
                Row {
                    measured: format!("{held} connections, {:.0} round trips/s", per_sec),
                    seed: "every byte sent comes back".into(),
                    baseline: "-".into(),
                    ok,
                    note: format!(
                        "{round_trips} round trips, {bytes} bytes back, {mismatches} wrong"
                    ),
                }
            }
        }
    }
}

/// Whether `got` is `want`: exactly, or on the real clock within 10 % and
/// 50 ms late (never more than 5 % early: nothing may end early).
fn close(got: Duration, want: Duration, exact: bool) -> bool {
    if exact {
        return got == want;
    }
    got + want / 20 >= want && got <= want + want / 10 + Duration::from_millis(50)
}

/// `One One Two`.
fn words(w: &[&str]) -> String {
    w.join(" ")
}

/// `1.00 s`.
pub(crate) fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// `60 min`.
fn mins(d: Duration) -> String {
    let m = d.as_secs_f64() / 60.0;
    if (m - m.round()).abs() < 1e-9 { format!("{m:.0} min") } else { format!("{m:.2} min") }
}

/// `1:00:55`.
pub(crate) fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// A short human duration: `312 ms`, `4.1 µs`, `2.50 s`.
pub(crate) fn short(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns >= 10_000_000_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else if ns >= 1_000_000_000 {
        format!("{:.2} s", d.as_secs_f64())
    } else if ns >= 1_000_000 {
        format!("{:.0} ms", d.as_secs_f64() * 1e3)
    } else if ns >= 1_000 {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{ns} ns")
    }
}

/// `a / b`, 0 when `b` is zero.
fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() { 0.0 } else { a.as_secs_f64() / b.as_secs_f64() }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.ok { "ok" } else { "MISMATCH" };
        write!(
            f,
            "measured {}   seed {}   baseline {}   [{mark}]\n  {}",
            self.measured, self.seed, self.baseline, self.note
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_clock_margins_never_accept_early() {
        let want = Duration::from_secs(1);
        assert!(close(Duration::from_millis(1030), want, false));
        assert!(!close(Duration::from_millis(900), want, false));
        assert!(!close(Duration::from_millis(1200), want, false));
        assert!(!close(Duration::from_millis(1001), want, true));
    }

    #[test]
    fn formats() {
        assert_eq!(hms(Duration::from_secs(3655)), "1:00:55");
        assert_eq!(mins(Duration::from_secs(35 * 60)), "35 min");
        assert_eq!(short(Duration::from_millis(312)), "312 ms");
    }
}
