#!/usr/bin/env bash
# Rule unit-test benchmark: `vigil test rules` against `promtool test rules` on config/alerts_test.yml,
# whole-process wall time, measured in the same run on this machine.
#
#   bench/test-rules.sh [runs]      (default 20)
#
# Uses hyperfine (Debian's package, installed if missing and possible) with 2 warm-up runs; otherwise a bash
# loop timing each run with date +%s%N. Prints the mean time of both and the ratio vigil/promtool.
# VIGIL_BINARY overrides .build/release/vigil, which is built if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
file=config/alerts_test.yml
out=bench/out
mkdir -p "$out"

vigil=${VIGIL_BINARY:-.build/release/vigil}
if [ ! -x "$vigil" ]; then
  [ -n "${VIGIL_BINARY:-}" ] && { echo "VIGIL_BINARY=$vigil is not executable" >&2; exit 1; }
  swift build -c release --product vigil >/dev/null
fi
command -v promtool >/dev/null || { echo "promtool not found (Debian: apt-get install prometheus)" >&2; exit 1; }

# Both must pass, or the timings compare a failure with a success.
"$vigil" test rules "$file" >/dev/null
promtool test rules "$file" >/dev/null

if ! command -v hyperfine >/dev/null && [ "${NO_HYPERFINE:-}" = "" ]; then
  { apt-get update && apt-get install -y hyperfine; } >/dev/null 2>&1 || true
fi

if command -v hyperfine >/dev/null && [ "${NO_HYPERFINE:-}" = "" ]; then
  hyperfine --warmup 2 --runs "$runs" --export-json "$out/test-rules.json" \
    -n vigil "$vigil test rules $file" -n promtool "promtool test rules $file"
  read -r vigil_ms promtool_ms < <(python3 -c '
import json, sys
r = {x["command"]: x["mean"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print("%.1f %.1f" % (r["vigil"], r["promtool"]))' "$out/test-rules.json")
else
  # time_runs CMD...: mean wall time of $runs runs after 2 warm-up runs, in milliseconds.
  time_runs() {
    for _ in 1 2; do "$@" >/dev/null; done
    local total=0 start end
    for _ in $(seq "$runs"); do
      start=$(date +%s%N)
      "$@" >/dev/null
      end=$(date +%s%N)
      total=$((total + end - start))
    done
    awk -v ns="$total" -v n="$runs" 'BEGIN { printf "%.1f", ns / n / 1e6 }'
  }
  vigil_ms=$(time_runs "$vigil" test rules "$file")
  promtool_ms=$(time_runs promtool test rules "$file")
fi

ratio=$(awk -v a="$vigil_ms" -v b="$promtool_ms" 'BEGIN { printf "%.2f", a / b }')
printf '%-28s %10s\n' "test rules $file" "mean (ms)"
printf '%-28s %10s\n' "vigil" "$vigil_ms"
printf '%-28s %10s\n' "promtool" "$promtool_ms"
printf 'vigil/promtool: %sx (%d runs each)\n' "$ratio" "$runs"
