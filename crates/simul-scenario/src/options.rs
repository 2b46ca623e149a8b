//! [`Options`]: how to run a scenario (which clock, what scale, whether to
//! trace), shared by every example and the tour.

use std::time::Duration;

use simul_reactor::Clock;
use simul_reactor::trace::{Recording, Trace};

use crate::Scenario;

/// How to run one scenario.
///
/// # Examples
///
/// ```
/// use simul_scenario::{Options, Scenario};
/// use std::time::Duration;
///
/// let opts = Options::new(Scenario::Chess);
/// assert!(opts.clock().is_virtual());
/// let real = Options { real: true, ..Options::new(Scenario::Chess) };
/// assert_eq!(real.scaled(Duration::from_secs(3600)), Duration::from_secs(1));
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// Which scenario (examples know theirs; the tour sets it).
    pub scenario: Scenario,
    /// Run on the real clock instead of the virtual one. Scenarios that
    /// are [`real_only`](Scenario::real_only) ignore it.
    pub real: bool,
    /// On the real clock, one simulated second lasts `1/scale` s. `None`:
    /// the scenario's [default](Scenario::real_scale).
    pub scale: Option<u32>,
    /// Record a trace of each variant (`--trace`, `--svg`, `--board`).
    pub trace: bool,
    /// Smaller sizes for the real-clock scenarios (the tour, tests).
    pub quick: bool,
    /// The example's own options ([`Extra`](crate::Extra)) given on the
    /// command line, with their values (empty for a flag).
    pub extra: Vec<(&'static str, String)>,
}

impl Options {
    /// The defaults: virtual clock, no trace, full sizes.
    ///
    /// # Examples
    /// See [`Options`].
    pub fn new(scenario: Scenario) -> Options {
        Options {
            scenario,
            real: false,
            scale: None,
            trace: false,
            quick: false,
            extra: Vec::new(),
        }
    }

    /// Whether the scenario runs on the virtual clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Options, Scenario};
    /// assert!(Options::new(Scenario::Count).is_virtual());
    /// assert!(!Options::new(Scenario::Echo).is_virtual(), "echo is real sockets");
    /// ```
    pub fn is_virtual(&self) -> bool {
        !self.real && !self.scenario.real_only()
    }

    /// A new clock of the kind asked for.
    ///
    /// # Examples
    /// See [`Options`].
    pub fn clock(&self) -> Clock {
        if self.is_virtual() { Clock::new_virtual() } else { Clock::real() }
    }

    /// The scale in force: 1 on the virtual clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Options, Scenario};
    /// let o = Options { real: true, scale: Some(10), ..Options::new(Scenario::Cake) };
    /// assert_eq!(o.scale(), 10);
    /// assert_eq!(Options::new(Scenario::Cake).scale(), 1);
    /// ```
    pub fn scale(&self) -> u32 {
        if self.is_virtual() { 1 } else { self.scale.unwrap_or(self.scenario.real_scale()).max(1) }
    }

    /// A seed duration as it lasts in this run: divided by the scale.
    ///
    /// # Examples
    /// See [`Options`].
    pub fn scaled(&self, d: Duration) -> Duration {
        d / self.scale()
    }

    /// A measured duration back in the seed's units: times the scale.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Options, Scenario};
    /// use std::time::Duration;
    /// let o = Options { real: true, ..Options::new(Scenario::Chess) };
    /// assert_eq!(o.unscaled(Duration::from_secs(1)), Duration::from_secs(3600));
    /// ```
    pub fn unscaled(&self, d: Duration) -> Duration {
        d.saturating_mul(self.scale())
    }

    /// The value of the example's own option `name`, parsed, or `default`
    /// when it was not given.
    ///
    /// # Errors
    ///
    /// A message when the value does not parse.
    ///
    /// # Examples
    /// See [`Extra`](crate::Extra).
    pub fn extra_or<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.extra.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => v.parse().map_err(|_| format!("{name}: cannot use {v:?}")),
            None => Ok(default),
        }
    }

    /// Whether the example's own flag `name` was given.
    ///
    /// # Examples
    /// See [`Extra`](crate::Extra).
    pub fn flag(&self, name: &str) -> bool {
        self.extra.iter().any(|(n, _)| *n == name)
    }

    /// Runs `f` (one variant of the scenario: "cooperative", "blocking",
    /// ...) and, when [`trace`](Options::trace) is on, records what every
    /// scheduler did meanwhile into `traces` under `variant`.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::{Options, Scenario, Traces};
    /// let opts = Options { trace: true, ..Options::new(Scenario::Count) };
    /// let mut traces = Traces::default();
    /// let n = opts.record(&mut traces, "cooperative", || 42);
    /// assert_eq!(n, 42);
    /// assert_eq!(traces.variants().count(), 1);
    /// ```
    pub fn record<T>(
        &self,
        traces: &mut Traces,
        variant: &'static str,
        f: impl FnOnce() -> T,
    ) -> T {
        if !self.trace {
            return f();
        }
        // Already recording (a caller traces the whole run): run untraced
        // rather than fail the scenario.
        let Ok(recording) = Recording::start() else { return f() };
        let out = f();
        traces.0.push((variant, recording.finish()));
        out
    }
}

/// The traces of a scenario's variants, in the order they ran.
///
/// # Examples
/// See [`Options::record`].
#[derive(Clone, Debug, Default)]
pub struct Traces(Vec<(&'static str, Trace)>);

impl Traces {
    /// Each variant's name and trace.
    ///
    /// # Examples
    /// See [`Options::record`].
    pub fn variants(&self) -> impl Iterator<Item = (&'static str, &Trace)> {
        self.0.iter().map(|(v, t)| (*v, t))
    }

    /// The trace of one variant.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_scenario::Traces::default().get("blocking").is_none());
    /// ```
    pub fn get(&self, variant: &str) -> Option<&Trace> {
        self.0.iter().find(|(v, _)| *v == variant).map(|(_, t)| t)
    }

    /// Whether none were recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(simul_scenario::Traces::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
