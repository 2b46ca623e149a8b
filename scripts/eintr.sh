#!/usr/bin/env bash
# Runs the workspace's test binaries twice, normally and under strace with
# EINTR injected into the syscalls the reactor makes, and asserts that the
# results match. Reliability test 10 in ../shared/RELIABILITY.md: users of
# simul must never see `Interrupted`, so every interrupted call has to be
# retried inside the library.
#
#   scripts/eintr.sh                 every test binary of every crate
#   scripts/eintr.sh simul-reactor   only the binaries of the named crates
#
# Injection: strace fails invocation 3, 6, 9, ... of each listed syscall, per
# syscall and per thread (strace counts per tracee), with EINTR. The first
# two are left alone because they are the dynamic loader's `read`s of
# libgcc_s and libc, which ld.so does not retry. A step of 3 means a retry
# right after an injected failure always succeeds, so every call eventually
# goes through, while a third of all calls are interrupted.
#
# Environment: EINTR_WHEN (default 3+3) overrides the strace `when=`
# expression; EINTR_TIMEOUT (default 120) bounds each binary's run in seconds.
set -uo pipefail
cd "$(dirname "$0")/.."
export RUST_BACKTRACE=0

# `readv` is what `read_vectored` makes; `epoll_pwait` is what glibc's
# `epoll_wait` becomes on arches without the old call (aarch64, riscv64).
SYSCALLS=epoll_wait,epoll_pwait,epoll_pwait2,epoll_ctl,read,readv,write,recvfrom,sendto,sendmsg,accept4,connect
WHEN=${EINTR_WHEN:-3+3}
LIMIT=${EINTR_TIMEOUT:-120}

if ! command -v strace >/dev/null; then
    echo "SKIP eintr.sh: strace is not installed (apt-get install strace)"
    exit 0
fi
# strace needs ptrace; some containers forbid it.
if ! strace -f -qq -o /dev/null true 2>/dev/null; then
    echo "SKIP eintr.sh: strace cannot trace here (ptrace not permitted)"
    exit 0
fi

# Tests excluded from the injected run, as `crate/binary test-name-filter`.
# Each entry says why it is an artifact of injection and not a simul bug.
SKIPS=(
    # `head -c 300000 /dev/zero | tr` runs traced too (-f is needed to
    # reach the test threads, and strace cannot stop following at execve):
    # coreutils' head gives up on an EINTR from write(2) ("head: error
    # writing 'standard output'"), so the child, not simul, loses the bytes.
    "simul-reactor/process stdout_is_read_to_eof_through_the_reactor"
    # These tests drive simul from the other side with std's own sockets
    # (std::net::TcpStream, UdpSocket, std's UnixStream), whose read/write
    # hand EINTR back by design and which the tests, as plain peers, do not
    # retry: the `Interrupted` comes from std in the test, not from simul.
    "simul-callback/accept_emfile emfile_on_accept_backs_off_and_recovers"
    "simul-callback/add_reader a_reader_is_called_while_the_fd_stays_readable"
    "simul-callback/flow_control sixty_four_mebibytes_through_a_slow_reader"
    "simul-callback/udp datagrams_arrive_whole_and_in_order_including_empty_ones"
    "simul-coro/io a_reader_waits_for_data_written_by_another_thread_on_both_clocks"
    # glibc's resolver reads /etc/hosts and nsswitch.conf with plain stdio,
    # which gives up on an injected EINTR and answers "Name or service not
    # known": the failure is inside getaddrinfo(3) on the executor thread,
    # and the loop reports it faithfully as the lookup's error.
    "simul-callback/getaddrinfo localhost_resolves_to_loopback_and_the_answer_arrives_on_the_loop"
    # The root package's style comparison runs tokio beside simul's styles,
    # and tokio does not retry EINTR everywhere ("failed to wake I/O
    # driver", or building its runtime fails); the echo workload's client
    # is a plain std/epoll driver of its own. Both are outside simul.
    "simul/bench_workloads every_cell_that_applies_does_its_work"
    "simul/bench_workloads sizes_zero_and_one_are_handled"
    "simul/bench_workloads echo_servers_stop_with_clients_still_connected"
)

# The `test result:` line of a libtest run, without its timing.
summary() { grep -a '^test result:' "$1" | sed 's/; finished in .*//' | tail -1; }

bins=$(scripts/test-binaries.sh) || { echo "FAIL: building the test binaries"; exit 1; }
log=$(mktemp -d)
passed=0
failed=0
for crate_test_exe in $(echo "$bins" | tr '\t' '='); do
    name=${crate_test_exe%%=*}
    exe=${crate_test_exe#*=}
    if [ "$#" -gt 0 ]; then
        case " $* " in *" ${name%%/*} "*) ;; *) continue ;; esac
    fi
    skip_args=()
    for entry in "${SKIPS[@]}"; do
        if [ "${entry%% *}" = "$name" ]; then
            echo "SKIP $name: ${entry#* } (not run under injection, see SKIPS in $0)"
            skip_args+=(--skip "${entry#* }")
        fi
    done
    slug=${name//\//_}
    timeout "$LIMIT" "$exe" --test-threads=2 "${skip_args[@]}" >"$log/$slug.plain" 2>&1
    plain_rc=$?
    timeout "$LIMIT" strace -f -qq -o /dev/null \
        -e trace="$SYSCALLS" -e inject="$SYSCALLS:error=EINTR:when=$WHEN" \
        "$exe" --test-threads=2 "${skip_args[@]}" >"$log/$slug.eintr" 2>&1
    eintr_rc=$?
    plain=$(summary "$log/$slug.plain")
    eintr=$(summary "$log/$slug.eintr")
    if [ "$plain_rc" -eq 0 ] && [ "$eintr_rc" -eq 0 ] && [ "$plain" = "$eintr" ]; then
        echo "ok   $name: $eintr"
        passed=$((passed + 1))
    else
        echo "FAIL $name: normal (rc $plain_rc) '$plain', under EINTR (rc $eintr_rc) '$eintr'"
        grep -a -A1 'panicked at' "$log/$slug.eintr" | grep -av '^--$' | head -20 | sed 's/^/     /'
        failed=$((failed + 1))
    fi
done
rm -rf "$log"
echo "eintr.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
