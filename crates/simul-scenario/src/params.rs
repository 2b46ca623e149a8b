//! The scenarios' parameters, written once for every style.
//!
//! Each submodule holds one scenario's numbers as the seeds give them. A
//! style's example reads them from here, so `chess_coro.rs` and
//! `chess_green.rs` can never disagree about how long Judit thinks.
//!
//! Durations that hours of the seeds are made of are scaled on the real
//! clock: [`Options::scaled`](crate::Options::scaled) divides them by
//! `--scale`.
//!
//! # Examples
//!
//! ```
//! use simul_scenario::params::chess;
//! use std::time::Duration;
//! let game = (chess::MASTER + chess::OPPONENT) * chess::MOVES;
//! assert_eq!(game * chess::BOARDS, Duration::from_secs(12 * 3600));
//! ```

/// `count` (seeds 001, 003): three tasks print `One`, wait, print `Two`.
pub mod count {
    use std::time::Duration;
    /// How many counts run.
    pub const TASKS: usize = 3;
    /// How long each waits between `One` and `Two`.
    pub const WAIT: Duration = Duration::from_secs(1);
    /// What the seed measured for the cooperative run, in seconds.
    pub const SEED_SECONDS: f64 = 1.01;
    /// What the seed measured for the blocking run, in seconds.
    pub const SEED_BLOCKING_SECONDS: f64 = 3.01;
}

/// `five_waits` (seed 002, `test_async.py` / `test_noasync.py`).
pub mod five_waits {
    use std::time::Duration;
    /// How many tasks main starts.
    pub const TASKS: usize = 5;
    /// How long each task waits.
    pub const WAIT: Duration = Duration::from_secs(3);
}

/// `nap` (seed 000): a notifier beside a blocking and a friendly nap.
pub mod nap {
    use std::time::Duration;
    /// `notify_every(0.2)`.
    pub const EVERY: Duration = Duration::from_millis(200);
    /// `exit_after(5)`.
    pub const EXIT_AFTER: Duration = Duration::from_secs(5);
    /// `blocking_wait_for(4)`.
    pub const BLOCKING_NAP: Duration = Duration::from_secs(4);
    /// `friendly_blocking_wait_for(2)`.
    pub const FRIENDLY_NAP: Duration = Duration::from_secs(2);
    /// `number_of_parts = 10`.
    pub const PARTS: u32 = 10;
    /// `await asyncio.sleep(1e-3)` between the parts.
    pub const PAUSE: Duration = Duration::from_millis(1);
}

/// `cake` (seed 002): bake a cake and buy groceries.
pub mod cake {
    use std::time::Duration;
    /// Preparing the dough: blocking work (hands in the bowl).
    pub const DOUGH: Duration = Duration::from_secs(15 * 60);
    /// In the oven: a cooperative wait.
    pub const OVEN: Duration = Duration::from_secs(45 * 60);
    /// Buying groceries: a cooperative wait.
    pub const GROCERIES: Duration = Duration::from_secs(20 * 60);
    /// The default `--scale` on the real clock: 80 minutes in 4 s.
    pub const REAL_SCALE: u32 = 1200;
}

/// `chess` (seeds 001, 003, 004): Judit Polgár's simul.
pub mod chess {
    use std::time::Duration;
    /// Opponents.
    pub const BOARDS: u32 = 24;
    /// Judit's time per move: blocking (she *is* the loop).
    pub const MASTER: Duration = Duration::from_secs(5);
    /// An opponent's time per move: a cooperative wait.
    pub const OPPONENT: Duration = Duration::from_secs(55);
    /// Move pairs per game.
    pub const MOVES: u32 = 30;
    /// The seeds' estimate of the simul: 24 × 5 s × 30 = 1 h.
    pub const ESTIMATE: Duration = Duration::from_secs(3600);
    /// The exact figure: the estimate plus the last opponent's final
    /// 55 s of thought, which overlaps nothing.
    pub const EXACT: Duration = Duration::from_secs(3655);
    /// The default `--scale` on the real clock: 13 hours in 13 s.
    pub const REAL_SCALE: u32 = 3600;
}

/// `cpu_bound` (seeds 003, 004): CPU-heavy jobs and a heartbeat.
pub mod cpu_bound {
    use std::time::Duration;
    /// How many jobs.
    pub const JOBS: u32 = 4;
    /// Work units per job (tens of milliseconds each in release builds).
    pub const UNITS: u64 = 10_000_000;
    /// Work units per job in quick runs (the tour, tests): still several
    /// heartbeats per job in a release build, so starvation shows.
    pub const QUICK_UNITS: u64 = 6_000_000;
    /// How many slices a job is cut into when it yields.
    pub const SLICES: u64 = 400;
    /// The heartbeat's period.
    pub const BEAT: Duration = Duration::from_millis(10);

    /// The work itself: `units` steps of an integer hash the optimiser
    /// cannot remove. Every style runs this same function.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_scenario::params::cpu_bound::work;
    /// assert_eq!(work(1000), work(1000));
    /// assert_ne!(work(1000), work(1001));
    /// ```
    pub fn work(units: u64) -> u64 {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..units {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x = x.wrapping_add(std::hint::black_box(i));
        }
        x
    }
}

/// `blocking_io` (seeds 001, 004): K loopback servers that reply after d.
pub mod blocking_io {
    use std::time::Duration;
    /// K: how many servers (and fetches).
    pub const SERVERS: usize = 5;
    /// d: how long each server waits before it replies.
    pub const DELAY: Duration = Duration::from_millis(300);
    /// d in quick runs (the tour, tests).
    pub const QUICK_DELAY: Duration = Duration::from_millis(100);
    /// The heartbeat's period (it measures how long the loop stalls).
    pub const BEAT: Duration = Duration::from_millis(10);
    /// What a fetch sends.
    pub const REQUEST: &[u8] = b"request";
    /// What a server answers.
    pub const REPLY: &[u8] = b"reply";
}

/// `echo`: a server holding many connections and a verifying load client.
pub mod echo {
    /// Connections the load client opens.
    pub const CONNECTIONS: usize = 100;
    /// Round trips per connection.
    pub const ROUNDS: usize = 100;
    /// Round trips per connection in quick runs.
    pub const QUICK_ROUNDS: usize = 20;
    /// Bytes per message.
    pub const SIZE: usize = 64;
}
