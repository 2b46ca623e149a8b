#!/usr/bin/env bash
# Runs simul-green's and simul-reactor's test binaries built for
# aarch64-unknown-linux-gnu under qemu user-mode emulation, so the aarch64
# context switch (crates/simul-green/src/arch/aarch64.rs) is executed, not
# only compiled: CI's other aarch64 step is a `cargo check` for macOS.
#
#   scripts/aarch64-qemu.sh                 both crates' test binaries
#   scripts/aarch64-qemu.sh simul-green     only the named crates' binaries
#
# How: the tests are cross-built with Debian's aarch64 gcc as the linker
# and run with `qemu-aarch64 -L /usr/aarch64-linux-gnu` (the aarch64 glibc
# of libc6-dev-arm64-cross). Everything is set through environment
# variables for this script alone, and the build goes to its own target
# directory (target/aarch64-qemu), so neither the committed Cargo
# configuration nor the main target directory is touched. The same
# variables let a developer run one test by hand:
#
#   CARGO_TARGET_DIR=target/aarch64-qemu \
#   CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
#   CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
#   cargo test -p simul-green --target aarch64-unknown-linux-gnu --test switching
#
# What it proves: that the hand-written switch is the default backend on
# aarch64 (switching's `the_default_backend_is_the_assembly_switch` prints
# it and the script checks the line), that it keeps every callee-saved
# register and FPCR (`every_callee_saved_register_survives_a_switch` and
# `the_fp_rounding_mode_is_per_green_thread` run both backends, asm and
# ucontext), that the guard page catches an overflow on an aarch64 green
# stack, and that the whole green and reactor suites pass there. qemu 7.2
# (Debian 12) does not implement `epoll_pwait2` (syscall 441): the reactor
# then falls back to `epoll_pwait` after the first ENOSYS, as on a kernel
# older than 5.11; the script says which one it saw.
#
# Missing tools are installed with apt-get (CI runs as root on Debian) and
# the target with rustup; when that is not possible the script prints SKIP
# and exits 0. Environment: AARCH64_QEMU_TIMEOUT (default 300) bounds each
# binary's run in seconds.
set -uo pipefail
cd "$(dirname "$0")/.."
export RUST_BACKTRACE=0

TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu
LIMIT=${AARCH64_QEMU_TIMEOUT:-300}
CRATES=(simul-green simul-reactor)

# --- tools ---------------------------------------------------------------
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
need=()
[ -n "$qemu" ] || need+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || need+=(libc6-dev-arm64-cross)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "SKIP aarch64-qemu.sh: missing ${need[*]} (apt-get install them as root)"
        exit 0
    fi
    # `apt-get update` only when the plain install fails (stale lists).
    { apt-get install -y "${need[@]}" || { apt-get update && apt-get install -y "${need[@]}"; }; } \
        >/dev/null 2>&1 || {
        echo "SKIP aarch64-qemu.sh: apt-get could not install ${need[*]}"
        exit 0
    }
    qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
fi
if ! grep -qx "$TARGET" <<<"$(rustup target list --installed 2>/dev/null)"; then
    rustup target add "$TARGET" >/dev/null 2>&1 || {
        echo "SKIP aarch64-qemu.sh: rustup could not add the $TARGET target"
        exit 0
    }
fi
echo "using $("$qemu" --version | head -1), $(aarch64-linux-gnu-gcc --version | head -1)"

export CARGO_TARGET_DIR=target/aarch64-qemu
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$qemu -L $SYSROOT"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
run() { timeout "$LIMIT" "$qemu" -L "$SYSROOT" "$@"; }

# Tests not run under qemu, as `crate/binary test-name-filter`. Each entry
# says why it is an artifact of user-mode emulation and not a simul bug.
SKIPS=(
    # qemu-user emulates the CLONE_VM|CLONE_VFORK clone of glibc's
    # posix_spawn with a plain fork, so the child's exec error never reaches
    # the parent: spawning a missing program "succeeds" and the child exits
    # 127 (rust-lang/rust#90825). std's Command::spawn is what reports it.
    "simul-reactor/process a_missing_program_is_not_found"
    "simul-green/process a_missing_program_is_not_found"
    # These re-run the test binary as a child (current_exe), and an aarch64
    # executable cannot be exec'd on this x86-64 host without binfmt_misc,
    # which a container cannot register. The children are run below through
    # qemu instead, with the same expectations ("overflow checks").
    "simul-green/overflow overflow_is_reported_and_aborts"
    "simul-green/overflow other_faults_keep_their_default_action"
    # Re-runs itself as a child to watch it abort, the same way; the
    # abort path is not aarch64-specific (Rust's panic-in-unwind rule).
    "simul-green/kill a_destructor_that_panics_during_a_kill_aborts_as_any_panic_during_unwinding_does"
    # Resident pages here are qemu's, not the guest's: its translation
    # cache grows as new code runs, so "the second burst ends no higher
    # than the first" measures the emulator. The mapping and heap checks
    # of this test are not arch-specific and run natively.
    "simul-green/memory_returns sleeping_green_threads_all_finish_and_memory_returns_to_baseline"
)

# --- build -----------------------------------------------------------------
pkgs=()
for c in "${CRATES[@]}"; do
    if [ "$#" -gt 0 ]; then
        case " $* " in *" $c "*) ;; *) continue ;; esac
    fi
    pkgs+=(-p "$c")
done
[ "${#pkgs[@]}" -gt 0 ] || { echo "aarch64-qemu.sh: no crate of ${CRATES[*]} named in: $*"; exit 2; }
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
start=$(date +%s)
# The parsing is scripts/test-binaries.sh's: <crate>/<test> <executable>.
if ! cargo test "${pkgs[@]}" --target "$TARGET" --no-run --message-format=json \
    >"$log/build.json" 2>"$log/build.err"; then
    echo "FAIL: cross-building the test binaries for $TARGET"
    tail -20 "$log/build.err" | sed 's/^/     /'
    echo "aarch64-qemu.sh: 0 passed, 1 failed"
    exit 1
fi
bins=$(grep '"reason":"compiler-artifact"' "$log/build.json" |
    grep '"test":true},"features"' |
    grep '"executable":"' |
    sed -n -e 's|.*"src_path":"[^"]*/crates/\([^/"]*\)/tests/\([^/"]*\)\.rs".*"executable":"\([^"]*\)".*|\1/\2\t\3|p' \
        -e 's|.*"src_path":"[^"]*/crates/\([^/"]*\)/src/lib\.rs".*"executable":"\([^"]*\)".*|\1/lib\t\2|p' |
    sort)
echo "built $(echo "$bins" | wc -l) test binaries for $TARGET in $(($(date +%s) - start)) s"

passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
exe_of() { echo "$bins" | awk -F'\t' -v n="$1" '$1 == n { print $2 }'; }

# --- which switch --------------------------------------------------------
switching=$(exe_of simul-green/switching)
if [ -n "$switching" ]; then
    line=$(run "$switching" --exact the_default_backend_is_the_assembly_switch --nocapture 2>&1 |
        grep -a 'default backend on')
    if [ "$line" = "simul-green default backend on aarch64: Asm" ]; then
        ok "backend: $line"
    else
        fail "backend: expected 'simul-green default backend on aarch64: Asm', got '$line'"
    fi
fi

# --- the test binaries -----------------------------------------------------
summary() { grep -a '^test result:' "$1" | sed 's/; finished in .*//' | tail -1; }
for crate_test_exe in $(echo "$bins" | tr '\t' '='); do
    name=${crate_test_exe%%=*}
    exe=${crate_test_exe#*=}
    skip_args=()
    for entry in "${SKIPS[@]}"; do
        if [ "${entry%% *}" = "$name" ]; then
            echo "SKIP $name: ${entry#* } (not run under qemu, see SKIPS in $0)"
            skip_args+=(--skip "${entry#* }")
        fi
    done
    slug=${name//\//_}
    run "$exe" --test-threads=2 "${skip_args[@]}" >"$log/$slug" 2>&1
    rc=$?
    result=$(summary "$log/$slug")
    if [ "$rc" -eq 0 ] && [ -n "$result" ]; then
        ok "$name: $result"
    else
        fail "$name (rc $rc): ${result:-no test result line}"
        grep -a -A3 'panicked at' "$log/$slug" | grep -av '^--$' | head -20 | sed 's/^/     /'
    fi
done

# --- overflow checks: overflow.rs's children, run through qemu -------------
overflow=$(exe_of simul-green/overflow)
if [ -n "$overflow" ]; then
    # mode, expected exit status (qemu re-raises the guest's fatal signal on
    # itself: 134 = SIGABRT, 139 = SIGSEGV), whether the report is expected.
    for check in "overflow-asm 134 yes" "overflow-ucontext 134 yes" "null-write-asm 139 no"; do
        read -r mode want report <<<"$check"
        (
            ulimit -c 0
            SIMUL_GREEN_OVERFLOW_CHILD=$mode run "$overflow" --exact dispatch --nocapture --test-threads=1
        ) >"$log/child.out" 2>"$log/child.err"
        rc=$?
        reported=no
        grep -aq 'green thread stack overflow: the fault address 0x.*guard page' "$log/child.err" && reported=yes
        if [ "$rc" -eq "$want" ] && [ "$reported" = "$report" ] && ! grep -aq 'child survived' "$log/child.err"; then
            ok "simul-green/overflow child $mode: exit $rc, overflow report: $reported"
        else
            fail "simul-green/overflow child $mode: exit $rc (want $want), overflow report: $reported (want $report)"
            head -5 "$log/child.err" | sed 's/^/     /'
        fi
    done
fi

# --- epoll_pwait2 under this qemu (information, not counted) ----------------
precise=$(exe_of simul-reactor/precise_wait)
if [ -n "$precise" ]; then
    strace=$(QEMU_STRACE=1 run "$precise" --test-threads=1 2>&1 >/dev/null)
    # Here-strings, not `echo | grep -q`: with pipefail, grep -q quitting
    # early makes echo's SIGPIPE fail the pipeline.
    if grep -aq 'Unknown syscall 441' <<<"$strace"; then
        echo "info: this qemu fails epoll_pwait2 (syscall 441) with ENOSYS; the reactor fell back to epoll_pwait"
    elif grep -aq 'epoll_pwait2' <<<"$strace"; then
        echo "info: this qemu implements epoll_pwait2, which the reactor used"
    fi
fi

echo "aarch64-qemu.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
