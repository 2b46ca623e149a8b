//! [`say!`](crate::say!): what a scenario prints as it runs, silenced by
//! the tour.

use std::cell::Cell;
use std::fmt;

thread_local! {
    /// Whether `say!` prints on this thread.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Prints a line of a scenario's running commentary (the seed's
/// `print(...)`), unless [`quietly`] silences this thread.
///
/// # Examples
///
/// ```
/// simul_scenario::say!("One");
/// simul_scenario::quietly(|| simul_scenario::say!("not shown"));
/// ```
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say_line(format_args!($($arg)*))
    };
}

/// What [`say!`](crate::say!) calls.
///
/// # Examples
///
/// ```
/// simul_scenario::say_line(format_args!("Notify!"));
/// ```
pub fn say_line(line: fmt::Arguments<'_>) {
    if !QUIET.get() {
        println!("{line}");
    }
}

/// Runs `f` with [`say!`](crate::say!) silenced on this thread (the tour
/// prints tables and boards, not every scenario's commentary).
///
/// # Examples
/// See [`say!`](crate::say!).
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.set(self.0);
        }
    }
    let _restore = Restore(QUIET.replace(true));
    f()
}
