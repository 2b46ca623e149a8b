//! The seed scenarios' figures, exactly, under the virtual clock, in both
//! forms (hand-written futures and `async fn`). The tests run the
//! examples' own `run` functions (the example files are included as
//! modules), not a copy of them; the real-clock scenarios run with small
//! sizes and are checked for completion, byte-exactness and wide margins.
#![allow(dead_code)]

use std::time::Duration;

#[path = "../examples/count_future.rs"]
mod count_future;
#[path = "../examples/count_async.rs"]
mod count_async;

/// Runs the same assertions on a scenario's two forms: `$body` sees the
/// example module as `$m` (each form has its own `Figures` type).
macro_rules! both_forms {
    ($future:ident, $async_:ident, |$m:ident| $body:block) => {{
        {
            use $future as $m;
            $body
        }
        {
            use $async_ as $m;
            $body
        }
    }};
}

#[test]
fn count_one_one_one_two_two_two_in_one_second() {
    both_forms!(count_future, count_async, |m| {
        let coop = m::run(false, false).unwrap();
        assert_eq!(coop.words, ["One", "One", "One", "Two", "Two", "Two"]);
        assert_eq!(coop.took, Duration::from_secs(1));
        let blocking = m::run(true, false).unwrap();
        assert_eq!(blocking.words, ["One", "Two", "One", "Two", "One", "Two"]);
        assert_eq!(blocking.took, Duration::from_secs(3));
    });
}
