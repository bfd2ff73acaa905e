#!/usr/bin/env bash
# Storage benchmark: append throughput and bytes per sample of Vigil's store, against Debian's
# Prometheus 2.42 storing the same samples (`promtool tsdb create-blocks-from openmetrics`), in one run.
#
#   bench/tsdb.sh [series] [duration]     (default 1000 series, 24h at 15 s = 5.76 M samples)
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-1000}
duration=${2:-24h}
out=bench/out/tsdb
rm -rf "$out" && mkdir -p "$out"
command -v promtool >/dev/null || { apt-get update && apt-get install -y prometheus; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null

echo "== Vigil: $series series, $duration at 15 s, one commit per scrape"
"${VIGIL_BINARY:-.build/release/vigil}" tsdb append-synthetic --storage.path "$out/vigil.db" --series "$series" --interval 15s \
  --duration "$duration" --openmetrics "$out/samples.om" | tee "$out/vigil.txt"

echo "== Prometheus 2.42 (promtool tsdb create-blocks-from openmetrics) on the same samples"
start=$(date +%s.%N)
promtool tsdb create-blocks-from openmetrics "$out/samples.om" "$out/prometheus" > "$out/promtool.txt" 2>&1
end=$(date +%s.%N)
prom_bytes=$(du -sb "$out/prometheus" | awk '{print $1}')
samples=$(awk '/^samples/ {print $2}' "$out/vigil.txt")
vigil_bytes=$(awk '/^bytes on disk/ {print $4}' "$out/vigil.txt")
python3 - "$samples" "$vigil_bytes" "$prom_bytes" "$start" "$end" <<'PY'
import sys
samples, vigil, prom, start, end = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print(f"prometheus blocks: {prom} bytes, {prom / samples:.3f} bytes/sample (backfill took {end - start:.1f} s)")
print(f"vigil:             {vigil} bytes, {vigil / samples:.3f} bytes/sample")
print(f"vigil / prometheus bytes per sample: {vigil / prom:.2f}")
PY
