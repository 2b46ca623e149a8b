#!/usr/bin/env bash
# Runs the loom model checks: the crates' real cross-thread code under
# every interleaving of a small model, which a stress test only samples.
#
#   scripts/loom.sh
#
# What runs:
# - simul-reactor's tests/loom_notifier.rs: the notifier's `pending` flag
#   over the OS waker (eventfd and kqueue flavours) never loses a wake;
#   the wrong order, clear then drain, is shown to lose one.
# - simul-future's tests/loom_wakers.rs: the real runtime, wakers and
#   injection queue; a task is freed exactly once (loom's Arc leak check
#   on the header's Arc<Shared>) whatever another thread does with its
#   waker while the runtime drains its wakes or drops its holders; a
#   wake after a drain is not coalesced away, and two threads injecting
#   while the loop drains lose nothing.
#
# How: `--cfg loom` switches the crates' `sync` shims (src/sync.rs) from
# std's atomics to loom's, and in simul-reactor swaps the OS waker for an
# atomic fake (src/model.rs); a normal build never sees any of it. The
# build goes to its own target directory (target/loom), so the main build
# cache is untouched, in
# release (loom explores ~210,000 executions here; a debug build takes
# several times longer) without debug info (a fifth less compile time).
# LOOM_MAX_PREEMPTIONS is left unset: the models with one other thread
# are explored exhaustively, and the one with two bounds itself to 4
# preemptions (setting the variable would bound them all). To see the
# execution counts (loom_wakers prints its own; LOOM_LOG for the rest):
#
#   LOOM_LOG=info scripts/loom.sh -- --nocapture --test-threads=1
#
# Time on the 2-core CI machine, from a cold target/loom: 1 min 21 s
# wall-clock on a quiet machine (about a minute compiling loom, tokio and
# criterion, which are dev-dependencies, then 20 s of model checking);
# up to about 3 minutes when other builds share the cores.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR=target/loom
export CARGO_PROFILE_RELEASE_DEBUG=0
export RUST_BACKTRACE=0

cargo test -p simul-reactor -p simul-future --release --test loom_notifier --test loom_wakers "$@"
