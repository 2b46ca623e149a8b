//! How late does a timer fire? The reactor against `std::thread::sleep`
//! (the machine's floor) and tokio, measured in the same run.
//!
//! ```sh
//! cargo run --release --example timer_lateness [-- --samples N]
//! ```
//!
//! For each requested sleep (1 ms, 100 µs) every contender sleeps N times
//! and we print the median and 90th-percentile lateness (time past the
//! deadline). The reactor waits with `epoll_pwait2`'s nanosecond timeout;
//! tokio rounds timers to whole milliseconds; `thread::sleep` is
//! `nanosleep`, the best a sleeping thread can do.

use simul::reactor::{Events, Reactor};
use std::time::{Duration, Instant};

fn main() {
    let samples = parse_samples();
    println!("timer lateness, {samples} samples each (median / p90 past the deadline)\n");
    println!(
        "| sleep | std::thread::sleep | simul Reactor::poll | ratio | tokio current-thread | ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for want in [Duration::from_millis(1), Duration::from_micros(100)] {
        let floor = measure(samples, want, std::thread::sleep);
        let mut reactor = Reactor::new().expect("reactor");
        let mut events = Events::with_capacity(8);
        let simul = measure(samples, want, |d| {
            let deadline = reactor.now() + d;
            reactor.poll(&mut events, Some(deadline)).expect("poll");
        });
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
        // Measured inside the runtime: creating the sleep needs its context.
        let tokio = rt.block_on(async {
            let mut late = Vec::with_capacity(samples);
            for _ in 0..samples {
                let start = Instant::now();
                tokio::time::sleep(want).await;
                late.push(start.elapsed().saturating_sub(want));
            }
            percentiles(late)
        });
        println!(
            "| {:?} | {} | {} | {:.2}x | {} | {:.2}x |",
            want,
            fmt(floor),
            fmt(simul),
            simul.0.as_secs_f64() / floor.0.as_secs_f64(),
            fmt(tokio),
            tokio.0.as_secs_f64() / floor.0.as_secs_f64(),
        );
    }
    println!(
        "\nratio: median lateness divided by std::thread::sleep's (1.00x = the machine's floor)"
    );
}

/// Median and 90th percentile of how late `sleep(want)` returns.
fn measure(
    samples: usize,
    want: Duration,
    mut sleep: impl FnMut(Duration),
) -> (Duration, Duration) {
    let late: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            sleep(want);
            start.elapsed().saturating_sub(want)
        })
        .collect();
    percentiles(late)
}

fn percentiles(mut late: Vec<Duration>) -> (Duration, Duration) {
    late.sort();
    (late[late.len() / 2], late[late.len() * 9 / 10])
}

fn fmt((median, p90): (Duration, Duration)) -> String {
    format!("{:.1} µs / {:.1} µs", median.as_secs_f64() * 1e6, p90.as_secs_f64() * 1e6)
}

fn parse_samples() -> usize {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => 300,
        [flag, n] if flag == "--samples" => match n.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => usage(&format!("--samples needs a positive whole number, got {n:?}")),
        },
        _ => usage(&format!("unexpected arguments {args:?}")),
    }
}

fn usage(why: &str) -> ! {
    eprintln!("timer_lateness: {why}\nusage: timer_lateness [--samples N]");
    std::process::exit(2)
}
