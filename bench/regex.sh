#!/usr/bin/env bash
# RE2 (GoRegex) against Swift Regex on selector-shaped patterns (`a|b|c`, `.*foo.*`, `prefix.+`, …) over 2,000
# label-shaped values. Prints nanoseconds per anchored match for each engine.
#
#   bench/regex.sh [release|debug] [rounds]      (default release 200)
# Both engines are compiled ahead (libre2, the toolchain's _StringProcessing); only Vigil's glue changes with -c.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
rounds=${2:-200}
swift build --build-tests -c "$config" >/dev/null
VIGIL_REGEX_BENCH=1 VIGIL_REGEX_BENCH_ROUNDS="$rounds" \
    swift test --skip-build -c "$config" --filter RegexBenchmark 2>&1 | grep -E "regex-bench|passed|failed"
