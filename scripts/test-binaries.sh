#!/usr/bin/env bash
# Builds the workspace's test binaries and prints one line per binary:
#
#     <crate>/<test>	<path to the executable>
#
# where <crate> is the directory under crates/ and <test> is the file stem
# under tests/ (or `lib` for a crate's unit tests). The root package's own
# tests (tests/tour.rs, tests/bench_workloads.rs) are listed as `simul/<test>`.
# Shared by valgrind.sh and eintr.sh. Parses cargo's JSON with sed so CI needs nothing beyond bash.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

cargo test --workspace --no-run --message-format=json 2>/dev/null |
    grep '"reason":"compiler-artifact"' |
    grep '"test":true},"features"' |
    grep '"executable":"' |
    sed -n -e 's|.*"src_path":"[^"]*/crates/\([^/"]*\)/tests/\([^/"]*\)\.rs".*"executable":"\([^"]*\)".*|\1/\2\t\3|p' \
        -e 's|.*"src_path":"[^"]*/crates/\([^/"]*\)/src/lib\.rs".*"executable":"\([^"]*\)".*|\1/lib\t\2|p' \
        -e "s|.*\"src_path\":\"$root/tests/\([^/\"]*\)\\.rs\".*\"executable\":\"\([^\"]*\)\".*|simul/\1\t\2|p" |
    sort
