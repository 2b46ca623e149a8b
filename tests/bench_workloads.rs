//! The benchmark workloads (`benches/workloads/`) do the work they claim,
//! in every style: each run checks its own checksum (and, for the chess
//! simul under simul, the virtual clock's exact figure), so a style that
//! skipped or repeated work fails here rather than posting a flattering
//! figure in the report.
#![allow(missing_docs)]

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use std::io::ErrorKind;

use workloads::{Style, Workload};

/// Small sizes: the tests check work, not speed.
fn small(w: Workload) -> u64 {
    match w {
        Workload::Dispatch => 5_000,
        Workload::Suspend => 5_000,
        Workload::Handoff => 5_001, // odd: the last pass is side 0's
        Workload::Timers => 3_000,
        Workload::Chess => 40,
        Workload::Echo1 => 200,
        Workload::Echo100 => 5,
    }
}

#[test]
fn every_cell_that_applies_does_its_work() {
    for w in Workload::ALL {
        for s in Style::ALL {
            match workloads::run(s, w, small(w)) {
                Ok(run) => {
                    let conns = if w == Workload::Echo100 { 100 } else { 1 };
                    let want = match w {
                        Workload::Chess => small(w) * 30,
                        _ => small(w) * conns,
                    };
                    assert_eq!(run.ops, want, "{w}/{s}: operations");
                    assert!(run.figure(w) > 0.0, "{w}/{s}: a figure");
                }
                Err(e) if e.kind() == ErrorKind::Unsupported => {
                    assert!(workloads::applies(s, w).is_err(), "{w}/{s}: {e}");
                }
                Err(e) => panic!("{w}/{s}: {e}"),
            }
        }
    }
}

#[test]
fn sizes_zero_and_one_are_handled() {
    for w in [Workload::Dispatch, Workload::Suspend, Workload::Handoff, Workload::Timers] {
        for s in Style::ALL {
            if workloads::applies(s, w).is_err() {
                continue;
            }
            for n in [0, 1, 2] {
                let run = workloads::run(s, w, n).unwrap_or_else(|e| panic!("{w}/{s} n={n}: {e}"));
                assert_eq!(run.ops, n, "{w}/{s} n={n}");
            }
        }
    }
}

#[test]
fn cells_that_do_not_apply_say_why() {
    for (s, w) in [
        (Style::Floor, Workload::Suspend),
        (Style::Floor, Workload::Handoff),
        (Style::Floor, Workload::Chess),
    ] {
        let e = workloads::run(s, w, 10).expect_err("no such cell");
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains(w.name()), "{e}");
    }
}

#[test]
fn names_round_trip() {
    for s in Style::ALL {
        assert_eq!(Style::parse(s.name()), Some(s));
    }
    for w in Workload::ALL {
        assert_eq!(Workload::parse(w.name()), Some(w));
    }
    assert_eq!(Style::parse("nope"), None);
}

#[cfg(target_os = "linux")]
#[test]
fn idle_memory_is_measured_for_every_style() {
    for s in Style::ALL {
        let bytes = workloads::idle::measure(s, 2_000).unwrap_or_else(|e| panic!("{s}: {e}"));
        if s == Style::Green {
            // A parked green thread has touched at least one stack page.
            assert!(bytes >= 4096, "green: {bytes} bytes per parked thread");
        }
    }
    assert_eq!(
        workloads::idle::measure(Style::Tokio, 0).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[cfg(target_os = "linux")]
#[test]
fn echo_servers_stop_with_clients_still_connected() {
    use workloads::echo::{Client, Server};
    for s in Style::ALL {
        let server = Server::start(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let mut client = Client::connect(server.addr(), 3).unwrap();
        client.run(4).unwrap_or_else(|e| panic!("{s}: {e}"));
        server.stop().unwrap_or_else(|e| panic!("{s}: stop: {e}"));
        // The server is gone: the client's next round fails, it does not hang.
        assert!(client.run(1).is_err(), "{s}: a stopped server still echoes");
    }
}
