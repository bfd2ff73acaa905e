#!/usr/bin/env bash
# Builds the libFuzzer executable (release, -sanitize=fuzzer,address, scratch path .build-fuzz) and runs every
# fuzz target for a while, one at a time on one core. Seeds are written at run time from the repository's fixtures
# and ../shared (never copied into the repository); new corpus entries and crash files go to bench/out/fuzz.
# One process, no -jobs: with -jobs libFuzzer forks and logs to fuzz-N.log in the working directory.
# Prints executions per target and any crash file, and exits 1 when a target crashed.
#
#   bench/fuzz.sh [seconds-per-target] [target...]      (default 120, all targets)
#   replay a crash: swift run VigilFuzz run <target> <crash-file>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
shift || true
out=bench/out/fuzz
mkdir -p "$out"

swift build -c release --product VigilFuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library -Xswiftc -use-ld=lld
binary=.build-fuzz/release/VigilFuzz

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(promql-parse promql-eval api-params exposition-text exposition-openmetrics config rule-file
             alert-template predict-body predict-batch-body predict-body-schema rule-tests)
fi

export VIGIL_REPO="$PWD" VIGIL_SHARED="${VIGIL_SHARED:-$PWD/../shared}"
# Swift traps are what we hunt; leaks in a process that keeps a store for its whole life are not.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:handle_abort=1}"
failed=0
summary=()
for target in "${targets[@]}"; do
    dir="$out/$target"
    rm -rf "$dir/seeds" && mkdir -p "$dir/corpus" "$dir/crashes"
    VIGIL_FUZZ_TARGET="$target" VIGIL_FUZZ_WRITE_SEEDS="$dir/seeds" "$binary" >/dev/null
    log="$dir/fuzz.log"
    set +e
    VIGIL_FUZZ_TARGET="$target" "$binary" "$dir/corpus" "$dir/seeds" \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 -workers=1 \
        -artifact_prefix="$dir/crashes/" -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    crashes=$(ls "$dir/crashes" 2>/dev/null | wc -l)
    line="$target: ${runs:-?} executions in ${seconds}s, exit $status, $crashes crash files"
    summary+=("$line")
    echo "$line"
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        ls "$dir/crashes" | sed "s|^|    $dir/crashes/|"
        grep -m3 -E 'Fatal error|ERROR: |SUMMARY|deadly signal|timeout' "$log" | sed 's/^/    /' || true
    fi
done
echo
printf '%s\n' "${summary[@]}"
exit $failed
