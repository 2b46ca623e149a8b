//! [`Outcome`]: what one style's run of one scenario produced.

use crate::{Figures, Row, Style, Traces};

/// The figures a run measured and, if asked for, the trace of each of its
/// variants. Every `<scenario>_<style>.rs` example has a
/// `pub fn scenario(opts: &Options) -> Result<Outcome, Box<dyn Error>>`
/// returning one; the example's `main` and the tour both call it.
///
/// # Examples
///
/// ```
/// use simul_scenario::{Figures, Outcome, Style, Traces};
/// use std::time::Duration;
/// let o = Outcome {
///     style: Style::Coro,
///     exact: true,
///     figures: Figures::Chess { sequential: Duration::from_secs(43_200), simul: Duration::from_secs(3655) },
///     traces: Traces::default(),
/// };
/// assert!(o.row().ok);
/// ```
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Which style ran it.
    pub style: Style,
    /// Whether it ran on the virtual clock (figures are exact).
    pub exact: bool,
    /// What it measured.
    pub figures: Figures,
    /// Each variant's trace, when tracing was on.
    pub traces: Traces,
}

impl Outcome {
    /// The figures checked against the seed's.
    ///
    /// # Examples
    /// See [`Outcome`].
    pub fn row(&self) -> Row {
        self.figures.row(self.exact)
    }
}
