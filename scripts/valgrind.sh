#!/usr/bin/env bash
# Runs the unsafe-heavy test binaries under valgrind memcheck: reliability
# test 28 in ../shared/RELIABILITY.md (0 errors, 0 bytes definitely or
# indirectly lost). "Possibly lost" and "still reachable" blocks are not
# counted: threads parked in a pool and statics (the signal table, the
# orphan list) legitimately hold memory at exit.
#
#   scripts/valgrind.sh               the binaries listed in TESTS below
#   scripts/valgrind.sh crate/test..  only those (e.g. simul-reactor/notifier)
#
# Environment: VALGRIND_TIMEOUT (default 300) bounds each binary in seconds.
#
# valgrind 3.19 (Debian 12) does not know `epoll_pwait2` (syscall 441) or
# `pidfd_open` (434): it prints "unhandled amd64-linux syscall" once and
# fails the call with ENOSYS. That exercises simul's fallbacks for kernels
# older than 5.11 / 5.3: the reactor then waits with `epoll_wait` (whole
# milliseconds, rounded up) and child exits are watched through SIGCHLD.
# The precise-wait and timer tests passing here is the check that those
# fallbacks work; the script reports when it saw the warning.
set -uo pipefail
cd "$(dirname "$0")/.."
# Symbolising a backtrace under valgrind takes seconds per panic, and the
# panic tests panic on purpose.
export RUST_BACKTRACE=0

LIMIT=${VALGRIND_TIMEOUT:-300}

# `crate/test threads`: the binaries that own or drive unsafe code (the
# reactor's syscalls and fd ownership, the raw wakers and task cells, the
# coroutine scheduler's panic and cancel paths, the callback loop's
# cross-thread queue and executor, the green threads' stacks and switches).
TESTS=(
    "simul-reactor/readiness 2"
    "simul-reactor/notifier 2"
    "simul-reactor/virtual_clock 2"
    "simul-reactor/hangup 2"
    "simul-reactor/registration 2"
    "simul-reactor/timers 2"
    "simul-reactor/tcp_basic 2"
    # The process tests share SIGCHLD and the orphan list; they take a lock
    # anyway, so one thread costs nothing.
    "simul-reactor/process 1"
    "simul-reactor/signals 1"
    "simul-future/wakers 2"
    "simul-future/abort 2"
    "simul-future/panics 2"
    "simul-future/join_set 2"
    "simul-future/waker_panics 2"
    "simul-future/wake_saturation 1"
    "simul-coro/panics 2"
    "simul-coro/cancellation 2"
    "simul-coro/drop_under_load 1"
    "simul-callback/threadsafe 2"
    "simul-callback/executor 2"
    "simul-callback/panics 2"
    # Transports kept past their loop: a follow-up queued and never run
    # would hold its connection in a cycle, which memcheck reports.
    "simul-callback/after_the_loop 1"
    # The loop dropped holding 20,000 callbacks and timers, readers,
    # connections and executor jobs while another thread posts to it.
    "simul-callback/drop_under_load 1"
    # Values whose destructors panic, dropped by cancel, remove_reader and
    # the loop's own drop, one at a time.
    "simul-callback/drop_panics 2"
    # Green threads switch stacks by hand (asm and ucontext backends); the
    # hub registers every stack with valgrind's client requests, so
    # memcheck follows the switches instead of reporting them as stack
    # overflows. overflow checks the guard page's SIGSEGV handler.
    "simul-green/switching 2"
    "simul-green/kill 2"
    "simul-green/panics 2"
    "simul-green/join 2"
    "simul-green/teardown 2"
    "simul-green/io 2"
    "simul-green/timers 2"
    "simul-green/net 2"
    "simul-green/deadlock 2"
    "simul-green/overflow 2"
    # The cross-thread unpark queue (one entry per slot) and the last
    # Unparker dropped on another thread while the hub polls.
    "simul-green/unpark_during_run 1"
    "simul-green/last_unparker_dropped 1"
)

# `crate/test test-name-filter  reason`: tests not run under valgrind. Each
# still runs in `cargo test`; the reason says why valgrind cannot judge it
# or why it is too slow here (valgrind runs code 20-50x slower, and one
# thread at a time).
SKIPS=(
    # Safe-code stress of the timer queue's slab; the small tests beside
    # them cover the same paths, and together these take two minutes.
    "simul-reactor/timers hundred_thousand_timers_half_cancelled_or_reset  100k timers: too slow under valgrind"
    "simul-reactor/timers timers_changed_while_others_fire  20k timers: too slow under valgrind"
    "simul-reactor/timers memory_is_reused_across_cycles  200k operations: too slow under valgrind"
    # std's Command spawns with posix_spawn, whose CLONE_VFORK valgrind
    # runs as a plain fork: the exec failure no longer reaches the parent,
    # and the pid it reports is not the running child's.
    "simul-reactor/process a_missing_program_is_not_found  valgrind emulates vfork as fork (exec errors are lost)"
    "simul-reactor/process a_dropped_running_child_is_reaped_once_it_exits  valgrind emulates vfork as fork (the pid differs)"
)

if ! command -v valgrind >/dev/null; then
    echo "SKIP valgrind.sh: valgrind is not installed (apt-get install valgrind)"
    exit 0
fi

if [ "$#" -gt 0 ]; then
    wanted=()
    for name in "$@"; do
        threads=2
        for entry in "${TESTS[@]}"; do
            [ "${entry% *}" = "$name" ] && threads=${entry#* }
        done
        wanted+=("$name $threads")
    done
    TESTS=("${wanted[@]}")
fi

bins=$(scripts/test-binaries.sh) || { echo "FAIL: building the test binaries"; exit 1; }
log=$(mktemp -d)
passed=0
failed=0
fallback_seen=0
for entry in "${TESTS[@]}"; do
    name=${entry% *}
    threads=${entry#* }
    exe=$(echo "$bins" | awk -F'\t' -v n="$name" '$1 == n { print $2 }')
    if [ -z "$exe" ]; then
        echo "FAIL $name: no such test binary"
        failed=$((failed + 1))
        continue
    fi
    skip_args=()
    for skip in "${SKIPS[@]}"; do
        read -r skip_bin skip_test skip_why <<<"$skip"
        if [ "$skip_bin" = "$name" ]; then
            echo "SKIP $name::$skip_test: $skip_why"
            skip_args+=(--skip "$skip_test")
        fi
    done
    slug=${name//\//_}
    start=$SECONDS
    timeout "$LIMIT" valgrind -q --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        "$exe" --test-threads="$threads" "${skip_args[@]}" >"$log/$slug" 2>&1
    rc=$?
    took=$((SECONDS - start))
    grep -q 'unhandled amd64-linux syscall: 441' "$log/$slug" && fallback_seen=1
    result=$(grep -a '^test result:' "$log/$slug" | sed 's/; finished in .*//' | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "ok   $name (${took}s): $result"
        passed=$((passed + 1))
    else
        case $rc in
            124) why="timed out after ${LIMIT}s" ;;
            1) why="valgrind reported errors or leaks" ;;
            *) why="exit status $rc" ;;
        esac
        echo "FAIL $name (${took}s): $why; $result"
        grep -a -v -E 'unhandled amd64-linux syscall|own handler|README_MISSING|consider this a bug|bug_reports' \
            "$log/$slug" | grep -a -E '^==|panicked|^---- ' | head -60 | sed 's/^/     /'
        failed=$((failed + 1))
    fi
done
rm -rf "$log"
if [ "$fallback_seen" -eq 1 ]; then
    echo "note: valgrind does not know epoll_pwait2 (syscall 441); the ENOSYS fallback to epoll_wait was used"
fi
echo "valgrind.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
