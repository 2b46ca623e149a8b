//! The measurements that need a process of their own: memory per idle
//! unit (a fresh heap per style) and instruction counts (valgrind's
//! callgrind runs the child and counts every instruction it executes).
//!
//! The report runs itself as the child, with `--child-idle STYLE N` or
//! `--child-ops STYLE WORKLOAD N`; the child prints one number.

use std::io;
use std::process::Command;

use crate::workloads::{self, Style, Workload};

/// What a child run was asked to do, from its command line.
pub(crate) enum Child {
    /// Print the bytes per idle unit of a style.
    Idle(Style, u64),
    /// Run a workload once (under callgrind, from the parent).
    Ops(Style, Workload, u64),
}

/// Runs the child's job and prints its figure on stdout.
pub(crate) fn run(child: Child) -> io::Result<()> {
    match child {
        Child::Idle(style, n) => {
            println!("{}", workloads::idle::measure(style, n)?);
        }
        Child::Ops(style, workload, n) => {
            let run = workloads::run(style, workload, n)?;
            println!("{}", run.ops);
        }
    }
    Ok(())
}

/// The bytes per idle unit of `style`, measured in a fresh process.
pub(crate) fn idle_bytes(style: Style, n: u64) -> io::Result<u64> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe).args(["--child-idle", style.name(), &n.to_string()]).output()?;
    parse_number(&out, &format!("memory/{style}"))
}

/// Reads the one number a child printed, or its error.
fn parse_number(out: &std::process::Output, what: &str) -> io::Result<u64> {
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(io::Error::other(format!(
            "{what}: child failed ({}): {}",
            out.status,
            err.trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().map_err(|_| io::Error::other(format!("{what}: child printed {text:?}")))
}

/// Whether valgrind can be run here.
pub(crate) fn have_valgrind() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Instructions the child executes running `workload` in `style` with
/// `n` operations (everything: start-up, runtime, the work).
fn instructions(style: Style, workload: Workload, n: u64) -> io::Result<u64> {
    let exe = std::env::current_exe()?;
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["--child-ops", style.name(), workload.name(), &n.to_string()])
        .output()?;
    let what = format!("callgrind {workload}/{style}");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        return Err(io::Error::other(format!("{what}: {}: {}", out.status, tail.join(" | "))));
    }
    // callgrind ends with "==pid== Collected : 123456" on stderr.
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| io::Error::other(format!("{what}: no 'Collected' line from callgrind")))
}

/// Instructions per operation: the difference between a run of 2n and a
/// run of n operations, over n, so that start-up and set-up cancel out.
pub(crate) fn instructions_per_op(style: Style, workload: Workload, n: u64) -> io::Result<f64> {
    let one = instructions(style, workload, n)?;
    let two = instructions(style, workload, 2 * n)?;
    Ok(two.saturating_sub(one) as f64 / n as f64)
}
