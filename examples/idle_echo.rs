//! Reliability item 18's figure: one connection's echo round trip with no
//! idle connections beside it and with 10,000, in every style, on the
//! bare reactor, and for reference on tokio and the raw epoll floor.
//!
//! ```text
//! cargo run --release --example idle_echo
//! cargo run --release --example idle_echo -- --idle 10000 --rounds 10000 --only green
//! ```
//!
//! For each server (`benches/workloads/idle_conns.rs`): it starts on a
//! thread pinned to one CPU, and the active connection, driven from this
//! thread pinned to the same CPU (so a round trip is two context switches
//! on one core, not two cross-core wake-ups whose cost swings tenfold on
//! a virtual machine; see `benches/workloads/echo.rs`), makes `--rounds`
//! verified 64-byte round trips after a warm-up. Then a child process
//! (this example again, `--hold`) opens `--idle` connections to the same
//! server and leaves them idle; once the server holds them all (this
//! process's socket count says so) the active connection does the same
//! again. The table gives the median and p99 of each run and their
//! ratios, with the catalogue's target, at most 2x, marked ✓ or ✗.
//!
//! The child holds the idle ends because 10,000 connections with both
//! ends in one process need 20,000 descriptors, the usual hard limit.
//! The correctness side of the item (every byte back, no idle connection
//! lost, no CPU spent on idle ones, descriptors back to where they were)
//! is `tests/idle_connections.rs`; this example only measures.

#[path = "../benches/workloads/mod.rs"]
mod workloads;

#[cfg(target_os = "linux")]
mod imp {
    use std::net::SocketAddr;
    use std::process::{Command, ExitCode};
    use std::time::Duration;

    use crate::workloads::Style;
    use crate::workloads::echo::one_cpu;
    use crate::workloads::idle_conns::{
        Active, IdleClients, Server, Target, hold, pin, quantile, raise_nofile, socket_count,
        unpin, wait_for_sockets,
    };

    /// Round trips before each measured run, not counted.
    const WARM_UP: usize = 1_000;

    struct Args {
        idle: usize,
        rounds: usize,
        targets: Vec<Target>,
    }

    fn usage() -> ExitCode {
        eprintln!(
            "usage: idle_echo [--idle N] [--rounds N] [--only reactor|callback|coro|future|async|green|tokio|floor]"
        );
        ExitCode::from(2)
    }

    fn parse() -> Result<Args, ExitCode> {
        let mut args = Args {
            idle: 10_000,
            rounds: 10_000,
            targets: Target::SIMUL
                .into_iter()
                .chain([Target::Style(Style::Tokio), Target::Style(Style::Floor)])
                .collect(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or_else(usage);
            match a.as_str() {
                "--idle" => args.idle = value()?.parse().map_err(|_| usage())?,
                "--rounds" => args.rounds = value()?.parse().map_err(|_| usage())?,
                "--only" => args.targets = vec![Target::parse(&value()?).ok_or_else(usage)?],
                _ => return Err(usage()),
            }
        }
        if args.rounds == 0 {
            return Err(usage());
        }
        Ok(args)
    }

    /// Median and p99 of one run.
    struct Figures {
        median: Duration,
        p99: Duration,
    }

    fn measure(active: &mut Active, rounds: usize, cpu: usize) -> std::io::Result<Figures> {
        let saved = pin(cpu)?;
        let run = active.run(WARM_UP).and_then(|_| active.run(rounds));
        unpin(&saved)?;
        let mut times = run?;
        Ok(Figures { median: quantile(&mut times, 0.5), p99: quantile(&mut times, 0.99) })
    }

    /// Both runs of one server.
    fn one(target: Target, idle: usize, rounds: usize) -> std::io::Result<(Figures, Figures)> {
        let cpu = one_cpu()?;
        let server = Server::start_on(target, Some(cpu))?;
        let mut active = Active::connect(server.addr())?;
        let base = measure(&mut active, rounds, cpu)?;
        let sockets = socket_count()?;
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args(["--hold", &server.addr().to_string(), &idle.to_string()]);
        let clients = IdleClients::spawn(cmd, idle, Duration::from_secs(120))?;
        wait_for_sockets(sockets + idle, Duration::from_secs(120))?;
        let loaded = measure(&mut active, rounds, cpu)?;
        clients.finish(Duration::from_secs(120))?;
        drop(active);
        server.stop()?;
        Ok((base, loaded))
    }

    fn us(d: Duration) -> String {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    }

    fn ratio(loaded: Duration, base: Duration) -> String {
        let r = loaded.as_secs_f64() / base.as_secs_f64().max(1e-9);
        format!("{r:.2}x {}", if r <= 2.0 { "✓" } else { "✗" })
    }

    pub(crate) fn main() -> ExitCode {
        let mut argv = std::env::args().skip(1);
        if argv.next().as_deref() == Some("--hold") {
            // The child: hold the idle connections (see `idle_conns::hold`).
            let addr: Option<SocketAddr> = argv.next().and_then(|a| a.parse().ok());
            let n: Option<usize> = argv.next().and_then(|n| n.parse().ok());
            let (Some(addr), Some(n)) = (addr, n) else { return usage() };
            return match hold(addr, n) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("idle_echo --hold: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        let args = match parse() {
            Ok(a) => a,
            Err(code) => return code,
        };
        if let Err(why) = raise_nofile(args.idle as u64 + 256) {
            println!("SKIP: {why}");
            return ExitCode::SUCCESS;
        }
        if cfg!(debug_assertions) {
            println!("(a debug build: run with --release for figures worth quoting)");
        }
        println!(
            "64-byte echo round trips on one connection, {} after {WARM_UP} warm-up, \
             with 0 and {} idle connections beside it;\nserver thread and client pinned \
             to one CPU; target (catalogue item 18): within 2x of the 0-idle figure.\n",
            args.rounds, args.idle
        );
        let idle_head = format!("{} idle", args.idle);
        println!("{:<9} | {:^21} | {:^21} | {:^25}", "", "0 idle", idle_head, "ratio (≤ 2x)");
        println!(
            "{:<9} | {:>10} {:>10} | {:>10} {:>10} | {:>12} {:>12}",
            "style", "median", "p99", "median", "p99", "median", "p99"
        );
        println!("{}", "-".repeat(86));
        let mut failed = false;
        for target in &args.targets {
            match one(*target, args.idle, args.rounds) {
                Ok((base, loaded)) => println!(
                    "{:<9} | {:>10} {:>10} | {:>10} {:>10} | {:>12} {:>12}",
                    target.name(),
                    us(base.median),
                    us(base.p99),
                    us(loaded.median),
                    us(loaded.p99),
                    ratio(loaded.median, base.median),
                    ratio(loaded.p99, base.p99),
                ),
                Err(e) => {
                    println!("{:<9} | error: {e}", target.name());
                    failed = true;
                }
            }
        }
        if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }
}

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    imp::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("SKIP: idle_echo needs Linux (/proc, epoll)");
}
