//! Reliability item 18: many idle connections beside one active echo, in
//! every style and on the bare reactor.
//!
//! For each server (`benches/workloads/idle_conns.rs`: the echo workload's
//! servers and one on the reactor alone), a child process (this test
//! binary again, running [`idle_child`]) opens N idle connections: CI
//! size 2,000, `SIMUL_FULL=1` 10,000. Both ends of 10,000 connections in
//! one process would need 20,000 descriptors, the hard limit here, so the
//! server's process holds one end and the child the other. Then:
//!
//! * the server holds N + 1 accepted connections (this process's socket
//!   count grows by exactly N beside the active one);
//! * the active connection makes 200 round trips, every byte checked;
//! * during a quiet second with the N idle connections the whole process
//!   uses little CPU: nothing loops over idle descriptors;
//! * the child then finds every idle connection still open (no end of
//!   file, no reset), and when it exits the server closes its ends;
//! * after the server stops, the descriptor count is back where it began.
//!
//! The round trip's time is not asserted (tests never check speed, the
//! machine is shared): `cargo run --release --example idle_echo` prints
//! it with 0 and 10,000 idle connections and marks the catalogue's ≤ 2x.
//!
//! Skipped, saying so, when the hard descriptor limit is below what N
//! needs. Linux only (`/proc`).
#![cfg(target_os = "linux")]
#![allow(missing_docs)]

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use workloads::Style;
use workloads::idle_conns::{
    Active, IdleClients, Server, Target, cpu_ticks, raise_nofile, socket_count, wait_for_sockets,
};

/// Set in the child's environment: "ADDR N".
const CHILD_ENV: &str = "SIMUL_IDLE_CHILD";

/// Idle connections: 2,000 in CI, the catalogue's 10,000 with SIMUL_FULL=1.
fn idle_count() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 10_000 } else { 2_000 }
}

/// Verified round trips on the active connection.
const ROUNDS: usize = 200;

/// The quiet stretch, and the CPU it may cost: a thread looping over the
/// idle descriptors would burn about 100 ticks a second (at least 50 on a
/// machine whose other core is busy); an idle server, about none.
const QUIET: Duration = Duration::from_secs(1);
const QUIET_TICKS: u64 = 25;

/// One server at a time: the descriptor and CPU counts are the process's.
static SERIAL: Mutex<()> = Mutex::new(());

/// Not a test of its own: the child's body. With `SIMUL_IDLE_CHILD` set
/// (only in the child this file spawns) it holds the idle connections;
/// otherwise it does nothing.
#[test]
fn idle_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let (addr, n) = spec.split_once(' ').expect("SIMUL_IDLE_CHILD is \"ADDR N\"");
    let addr: SocketAddr = addr.parse().expect("an address");
    workloads::idle_conns::hold(addr, n.parse().expect("a count")).expect("the idle child");
}

/// The child process: this binary, running only [`idle_child`].
fn child_command(addr: SocketAddr, n: usize) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args(["idle_child", "--exact", "--nocapture", "--test-threads=1", "-q"]);
    cmd.env(CHILD_ENV, format!("{addr} {n}"));
    cmd
}

fn echo_beside_idle_connections(target: Target) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let n = idle_count();
    let name = target.name();
    // This process: N server ends, the active connection's two, the
    // runtime's own; the child inherits the raised limit.
    if let Err(why) = raise_nofile(n as u64 + 256) {
        println!("SKIP {name}: {why}");
        return;
    }
    let start = Instant::now();
    let fds = FdSnapshot::take();

    let server = Server::start_on(target, None).unwrap_or_else(|e| panic!("{name}: start: {e}"));
    let mut active = Active::connect(server.addr()).unwrap();
    active.round_trip().unwrap_or_else(|e| panic!("{name}: the first round trip: {e}"));
    // The listener, the active connection's two ends, and whatever else
    // the server holds; from here on, only the idle connections add any.
    let sockets = socket_count().unwrap();

    let idle = IdleClients::spawn(child_command(server.addr(), n), n, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    wait_for_sockets(sockets + n, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{name}: the server did not accept all {n} idle: {e}"));

    let trips = active.run(ROUNDS).unwrap_or_else(|e| panic!("{name}: beside {n} idle: {e}"));
    assert_eq!(trips.len(), ROUNDS);

    let before = cpu_ticks().unwrap();
    thread::sleep(QUIET);
    let ticks = cpu_ticks().unwrap() - before;
    assert!(
        ticks < QUIET_TICKS,
        "{name}: {ticks} CPU ticks in {QUIET:?} with {n} idle connections and nothing to do \
         (a loop over idle descriptors?)"
    );
    // Still served after the quiet stretch.
    active.run(10).unwrap_or_else(|e| panic!("{name}: after the quiet stretch: {e}"));

    let open = idle.finish(Duration::from_secs(60)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(open, n, "{name}: idle connections still open");
    // The child is gone: the server closes every idle connection's end.
    wait_for_sockets(sockets, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{name}: the server kept departed connections: {e}"));
    active.run(10).unwrap_or_else(|e| panic!("{name}: after the idle ones left: {e}"));

    drop(active);
    server.stop().unwrap_or_else(|e| panic!("{name}: stop: {e}"));
    // The server stopped: every descriptor it and the connections opened
    // is closed (the failing test's name says which server).
    assert_no_leaks(&fds);
    println!(
        "{name}: {n} idle + 1 active, {ticks} CPU ticks in the quiet {QUIET:?}, {:?} in all",
        start.elapsed()
    );
}

#[test]
fn reactor_serves_an_echo_beside_idle_connections() {
    echo_beside_idle_connections(Target::Reactor);
}

#[test]
fn callback_serves_an_echo_beside_idle_connections() {
    echo_beside_idle_connections(Target::Style(Style::Callback));
}

#[test]
fn coro_serves_an_echo_beside_idle_connections() {
    echo_beside_idle_connections(Target::Style(Style::Coro));
}

#[test]
fn future_serves_an_echo_beside_idle_connections() {
    echo_beside_idle_connections(Target::Style(Style::Future));
}

#[test]
fn async_serves_an_echo_beside_idle_connections() {
    echo_beside_idle_connections(Target::Style(Style::Async));
}

#[test]
fn green_serves_an_echo_beside_idle_connections() {
    echo_beside_idle_connections(Target::Style(Style::Green));
}
