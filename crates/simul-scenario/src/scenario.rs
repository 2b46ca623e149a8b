//! [`Scenario`] and [`Style`]: the two axes of the tour's table.

use std::fmt;
use std::str::FromStr;

/// One of the eight seed scenarios (`../shared/SCENARIOS.md`).
///
/// # Examples
///
/// ```
/// use simul_scenario::Scenario;
/// assert_eq!("five_waits".parse::<Scenario>().ok(), Some(Scenario::FiveWaits));
/// assert_eq!(Scenario::FiveWaits.to_string(), "five_waits");
/// assert_eq!(Scenario::ALL.len(), 8);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// Three tasks: `One`, a 1 s wait, `Two`.
    Count,
    /// Main starts five tasks that each wait 3 s.
    FiveWaits,
    /// A notifier beside a blocking and a friendly nap.
    Nap,
    /// A cake and groceries.
    Cake,
    /// Judit Polgár's simul.
    Chess,
    /// CPU-heavy jobs on the loop, with yields, offloaded.
    CpuBound,
    /// Blocking library calls against the loop's own sockets.
    BlockingIo,
    /// An echo server under a verifying load client.
    Echo,
}

impl Scenario {
    /// All eight, in the order of `SCENARIOS.md`.
    pub const ALL: [Scenario; 8] = [
        Scenario::Count,
        Scenario::FiveWaits,
        Scenario::Nap,
        Scenario::Cake,
        Scenario::Chess,
        Scenario::CpuBound,
        Scenario::BlockingIo,
        Scenario::Echo,
    ];

    /// The name used in example files and on the command line.
    ///
    /// # Examples
    /// See [`Scenario`].
    pub const fn name(self) -> &'static str {
        match self {
            Scenario::Count => "count",
            Scenario::FiveWaits => "five_waits",
            Scenario::Nap => "nap",
            Scenario::Cake => "cake",
            Scenario::Chess => "chess",
            Scenario::CpuBound => "cpu_bound",
            Scenario::BlockingIo => "blocking_io",
            Scenario::Echo => "echo",
        }
    }

    /// Which seeds it comes from.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(simul_scenario::Scenario::Cake.seeds(), "002");
    /// ```
    pub const fn seeds(self) -> &'static str {
        match self {
            Scenario::Count => "001, 003",
            Scenario::FiveWaits => "002",
            Scenario::Nap => "000",
            Scenario::Cake => "002",
            Scenario::Chess => "001, 003, 004",
            Scenario::CpuBound => "003, 004",
            Scenario::BlockingIo => "001, 004",
            Scenario::Echo => "-",
        }
    }

    /// Whether it models hours and so runs scaled on the real clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::Scenario;
    /// assert_eq!(Scenario::Chess.real_scale(), 3600);
    /// assert_eq!(Scenario::Count.real_scale(), 1);
    /// ```
    pub const fn real_scale(self) -> u32 {
        match self {
            Scenario::Chess => crate::params::chess::REAL_SCALE,
            Scenario::Cake => crate::params::cake::REAL_SCALE,
            _ => 1,
        }
    }

    /// Whether it always runs on the real clock: its point is real CPU
    /// work, real threads or real sockets.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::Scenario;
    /// assert!(Scenario::Echo.real_only());
    /// assert!(!Scenario::Chess.real_only());
    /// ```
    pub const fn real_only(self) -> bool {
        matches!(self, Scenario::CpuBound | Scenario::BlockingIo | Scenario::Echo)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Scenario, String> {
        Scenario::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Scenario::ALL.iter().map(|x| x.name()).collect();
            format!("unknown scenario {s:?}; the scenarios are {}", names.join(", "))
        })
    }
}

/// One way of suspending a function: the suffix of an example's name.
///
/// # Examples
///
/// ```
/// use simul_scenario::Style;
/// assert_eq!("green".parse::<Style>().ok(), Some(Style::Green));
/// assert_eq!(Style::Async.crate_name(), "simul-future");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    /// `simul-callback`: an asyncio-like callback loop.
    Callback,
    /// `simul-coro`: hand-rolled coroutines on a trampoline.
    Coro,
    /// `simul-future`: futures written by hand as state machines.
    Future,
    /// `simul-future`: the same with `async fn`.
    Async,
    /// `simul-green`: stackful green threads.
    Green,
}

impl Style {
    /// All five, in the tour's column order.
    pub const ALL: [Style; 5] =
        [Style::Callback, Style::Coro, Style::Future, Style::Async, Style::Green];

    /// The name used in example files and on the command line.
    ///
    /// # Examples
    /// See [`Style`].
    pub const fn name(self) -> &'static str {
        match self {
            Style::Callback => "callback",
            Style::Coro => "coro",
            Style::Future => "future",
            Style::Async => "async",
            Style::Green => "green",
        }
    }

    /// The crate whose `examples/` holds this style's scenarios.
    ///
    /// # Examples
    /// See [`Style`].
    pub const fn crate_name(self) -> &'static str {
        match self {
            Style::Callback => "simul-callback",
            Style::Coro => "simul-coro",
            Style::Future | Style::Async => "simul-future",
            Style::Green => "simul-green",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        Style::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Style::ALL.iter().map(|x| x.name()).collect();
            format!("unknown style {s:?}; the styles are {}", names.join(", "))
        })
    }
}
