//! The `blocking_io` scenario: blocking std calls fetch one server after
//! another and stall the loop; the coroutine sockets fetch them together.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/blocking_io_coro.rs"]
mod blocking_io_coro;

use std::time::Duration;

use blocking_io_coro::{run, start_servers};
use simul_scenario::params::blocking_io::REPLY;

const K: usize = 4;
const D: Duration = Duration::from_millis(250);

#[test]
fn blocking_calls_take_k_times_d_and_the_loop_stalls_for_d_at_a_time() {
    let addrs = start_servers(K, D).unwrap();
    let (sh, elapsed) = run(&addrs, true).unwrap();
    assert!(sh.errors.borrow().is_empty(), "{:?}", sh.errors.borrow());
    assert_eq!(*sh.replies.borrow(), vec![REPLY.to_vec(); K]);
    // Lower bounds only: one reply after another can never be quicker.
    assert!(elapsed >= D * K as u32, "{elapsed:?}");
    assert!(sh.worst_gap.get() >= D, "{:?}", sh.worst_gap.get());
}

#[test]
fn non_blocking_sockets_have_all_requests_in_flight_together() {
    let addrs = start_servers(K, D).unwrap();
    let (sh, elapsed) = run(&addrs, false).unwrap();
    assert!(sh.errors.borrow().is_empty(), "{:?}", sh.errors.borrow());
    assert_eq!(*sh.replies.borrow(), vec![REPLY.to_vec(); K]);
    assert!(elapsed >= D, "{elapsed:?}");
    // About d; K x d would mean the fetches were serialised. The margin
    // (3 d) is for a loaded machine.
    assert!(elapsed < D * K as u32, "{elapsed:?}");
}
