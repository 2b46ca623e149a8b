//! Every scenario in every style: the example files themselves, included
//! as modules, so the tour (and its test) run the examples' own
//! `scenario` functions, not copies of them.
//!
//! Written by `scripts/gen-tour-registry.py`; do not edit by hand.

use std::error::Error;

use simul_scenario::{Options, Outcome, Scenario, Style};

#[path = "../../crates/simul-future/examples/blocking_io_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod blocking_io_async;
#[path = "../../crates/simul-callback/examples/blocking_io_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod blocking_io_callback;
#[path = "../../crates/simul-coro/examples/blocking_io_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod blocking_io_coro;
#[path = "../../crates/simul-future/examples/blocking_io_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod blocking_io_future;
#[path = "../../crates/simul-green/examples/blocking_io_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod blocking_io_green;
#[path = "../../crates/simul-future/examples/cake_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod cake_async;
#[path = "../../crates/simul-callback/examples/cake_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod cake_callback;
#[path = "../../crates/simul-coro/examples/cake_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod cake_coro;
#[path = "../../crates/simul-future/examples/cake_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod cake_future;
#[path = "../../crates/simul-green/examples/cake_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod cake_green;
#[path = "../../crates/simul-future/examples/chess_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod chess_async;
#[path = "../../crates/simul-callback/examples/chess_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod chess_callback;
#[path = "../../crates/simul-coro/examples/chess_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod chess_coro;
#[path = "../../crates/simul-future/examples/chess_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod chess_future;
#[path = "../../crates/simul-green/examples/chess_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod chess_green;
#[path = "../../crates/simul-future/examples/count_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod count_async;
#[path = "../../crates/simul-callback/examples/count_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod count_callback;
#[path = "../../crates/simul-coro/examples/count_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod count_coro;
#[path = "../../crates/simul-future/examples/count_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod count_future;
#[path = "../../crates/simul-green/examples/count_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod count_green;
#[path = "../../crates/simul-future/examples/cpu_bound_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod cpu_bound_async;
#[path = "../../crates/simul-callback/examples/cpu_bound_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod cpu_bound_callback;
#[path = "../../crates/simul-coro/examples/cpu_bound_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod cpu_bound_coro;
#[path = "../../crates/simul-future/examples/cpu_bound_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod cpu_bound_future;
#[path = "../../crates/simul-green/examples/cpu_bound_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod cpu_bound_green;
#[path = "../../crates/simul-future/examples/echo_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod echo_async;
#[path = "../../crates/simul-callback/examples/echo_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod echo_callback;
#[path = "../../crates/simul-coro/examples/echo_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod echo_coro;
#[path = "../../crates/simul-future/examples/echo_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod echo_future;
#[path = "../../crates/simul-green/examples/echo_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod echo_green;
#[path = "../../crates/simul-future/examples/five_waits_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod five_waits_async;
#[path = "../../crates/simul-callback/examples/five_waits_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod five_waits_callback;
#[path = "../../crates/simul-coro/examples/five_waits_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod five_waits_coro;
#[path = "../../crates/simul-future/examples/five_waits_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod five_waits_future;
#[path = "../../crates/simul-green/examples/five_waits_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod five_waits_green;
#[path = "../../crates/simul-future/examples/nap_async.rs"]
#[allow(dead_code, unreachable_pub)]
mod nap_async;
#[path = "../../crates/simul-callback/examples/nap_callback.rs"]
#[allow(dead_code, unreachable_pub)]
mod nap_callback;
#[path = "../../crates/simul-coro/examples/nap_coro.rs"]
#[allow(dead_code, unreachable_pub)]
mod nap_coro;
#[path = "../../crates/simul-future/examples/nap_future.rs"]
#[allow(dead_code, unreachable_pub)]
mod nap_future;
#[path = "../../crates/simul-green/examples/nap_green.rs"]
#[allow(dead_code, unreachable_pub)]
mod nap_green;

/// What every example exports: its scenario, run as `opts` says.
pub type ScenarioFn = fn(&Options) -> Result<Outcome, Box<dyn Error>>;

/// The example `<scenario>_<style>.rs`'s `scenario` function, or `None`
/// while that example does not export one.
pub fn lookup(scenario: Scenario, style: Style) -> Option<ScenarioFn> {
    match (scenario, style) {
        (Scenario::Count, Style::Callback) => Some(count_callback::scenario),
        (Scenario::Count, Style::Coro) => Some(count_coro::scenario),
        (Scenario::Count, Style::Future) => Some(count_future::scenario),
        (Scenario::Count, Style::Async) => Some(count_async::scenario),
        (Scenario::Count, Style::Green) => Some(count_green::scenario),
        (Scenario::FiveWaits, Style::Callback) => Some(five_waits_callback::scenario),
        (Scenario::FiveWaits, Style::Coro) => Some(five_waits_coro::scenario),
        (Scenario::FiveWaits, Style::Future) => Some(five_waits_future::scenario),
        (Scenario::FiveWaits, Style::Async) => Some(five_waits_async::scenario),
        (Scenario::FiveWaits, Style::Green) => Some(five_waits_green::scenario),
        (Scenario::Nap, Style::Callback) => Some(nap_callback::scenario),
        (Scenario::Nap, Style::Coro) => Some(nap_coro::scenario),
        (Scenario::Nap, Style::Future) => Some(nap_future::scenario),
        (Scenario::Nap, Style::Async) => Some(nap_async::scenario),
        (Scenario::Nap, Style::Green) => Some(nap_green::scenario),
        (Scenario::Cake, Style::Callback) => Some(cake_callback::scenario),
        (Scenario::Cake, Style::Coro) => Some(cake_coro::scenario),
        (Scenario::Cake, Style::Future) => Some(cake_future::scenario),
        (Scenario::Cake, Style::Async) => Some(cake_async::scenario),
        (Scenario::Cake, Style::Green) => Some(cake_green::scenario),
        (Scenario::Chess, Style::Callback) => Some(chess_callback::scenario),
        (Scenario::Chess, Style::Coro) => Some(chess_coro::scenario),
        (Scenario::Chess, Style::Future) => Some(chess_future::scenario),
        (Scenario::Chess, Style::Async) => Some(chess_async::scenario),
        (Scenario::Chess, Style::Green) => Some(chess_green::scenario),
        (Scenario::CpuBound, Style::Callback) => Some(cpu_bound_callback::scenario),
        (Scenario::CpuBound, Style::Coro) => Some(cpu_bound_coro::scenario),
        (Scenario::CpuBound, Style::Future) => Some(cpu_bound_future::scenario),
        (Scenario::CpuBound, Style::Async) => Some(cpu_bound_async::scenario),
        (Scenario::CpuBound, Style::Green) => Some(cpu_bound_green::scenario),
        (Scenario::BlockingIo, Style::Callback) => Some(blocking_io_callback::scenario),
        (Scenario::BlockingIo, Style::Coro) => Some(blocking_io_coro::scenario),
        (Scenario::BlockingIo, Style::Future) => Some(blocking_io_future::scenario),
        (Scenario::BlockingIo, Style::Async) => Some(blocking_io_async::scenario),
        (Scenario::BlockingIo, Style::Green) => Some(blocking_io_green::scenario),
        (Scenario::Echo, Style::Callback) => Some(echo_callback::scenario),
        (Scenario::Echo, Style::Coro) => Some(echo_coro::scenario),
        (Scenario::Echo, Style::Future) => Some(echo_future::scenario),
        (Scenario::Echo, Style::Async) => Some(echo_async::scenario),
        (Scenario::Echo, Style::Green) => Some(echo_green::scenario),
    }
}
