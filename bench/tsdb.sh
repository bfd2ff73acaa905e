#!/usr/bin/env bash
# Storage benchmark: bytes on disk per sample of Vigil's store against Debian's Prometheus 2.42
# (`promtool tsdb create-blocks-from openmetrics`) and VictoriaMetrics 1.79 (`/api/v1/import/prometheus`,
# then `/internal/force_merge`), all three given identical samples, in one run. Two data sets:
#
# - synthetic: `vigil tsdb append-synthetic` (scrape-shaped series, one commit per scrape), which also
#   prints Vigil's append rate;
# - real: a few scrapes of Debian's prometheus-node-exporter and of Prometheus's own /metrics, recorded
#   by bench/record_real.sh and stretched by bench/replay_real.py to the same span at 15 s.
#
#   bench/tsdb.sh [series] [duration] [sets]    (default 1000 series, 24h at 15 s = 5.76 M samples; sets "synthetic real")
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-1000}
duration=${2:-24h}
sets=${3:-synthetic real}
out=bench/out/tsdb
rm -rf "$out" && mkdir -p "$out"
command -v promtool >/dev/null || { apt-get update && apt-get install -y prometheus; }
command -v victoria-metrics >/dev/null || { apt-get update && apt-get install -y victoria-metrics; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null
vigil=${VIGIL_BINARY:-.build/release/vigil}
vm_port=19481
vm_pid=
trap '[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null || true' EXIT

# vm_bytes OM_FILE DIR: imports the samples into a fresh VictoriaMetrics, force-merges, stops it; prints
# "bytes rows" (data and indexdb, without its rebuildable cache; rows as VictoriaMetrics counts them).
vm_bytes() {
  local om=$1 dir=$2
  # The Prometheus text format takes millisecond timestamps where OpenMetrics has seconds.
  sed -E '/^# EOF/d; s/ ([0-9]+)\.([0-9]{3})$/ \1\2/' "$om" > "$dir.prom"
  victoria-metrics -httpListenAddr "127.0.0.1:$vm_port" -storageDataPath "$dir" -retentionPeriod 100y \
    -loggerLevel ERROR > "$dir.log" 2>&1 &
  vm_pid=$!
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$vm_port/health" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -H 'Content-Type: text/plain' -T "$dir.prom" "http://127.0.0.1:$vm_port/api/v1/import/prometheus"
  rm -f "$dir.prom"
  # A restart writes everything buffered in memory to parts; the forced merge then joins the parts.
  kill -INT "$vm_pid"; wait "$vm_pid" || true
  victoria-metrics -httpListenAddr "127.0.0.1:$vm_port" -storageDataPath "$dir" -retentionPeriod 100y \
    -loggerLevel ERROR >> "$dir.log" 2>&1 &
  vm_pid=$!
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$vm_port/health" 2>/dev/null && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$vm_port/internal/force_merge"
  # The merge runs in the background: wait until no merge is active and the size has settled.
  local last=-1 size
  for _ in $(seq 600); do
    sleep 1
    size=$(du -sb "$dir/data" | awk '{print $1}')
    active=$(curl -fsS "http://127.0.0.1:$vm_port/metrics" | awk '/^vm_active_(force_)?merges/ {s += $2} END {print s + 0}')
    [ "$active" = 0 ] && [ "$size" = "$last" ] && break
    last=$size
  done
  local rows
  rows=$(curl -fsS "http://127.0.0.1:$vm_port/metrics" | awk '/^vm_rows\{type="storage\/(big|small|inmemory)"\}/ {s += $2} END {print s + 0}')
  kill -INT "$vm_pid"; wait "$vm_pid" || true
  vm_pid=
  echo "$(du -sb "$dir/data" "$dir/indexdb" | awk '{s += $1} END {print s}') $rows"
}

# compare NAME OM_FILE VIGIL_BYTES SAMPLES: Prometheus and VictoriaMetrics on the same samples, and the ratios.
compare() {
  local name=$1 om=$2 vigil_bytes=$3 samples=$4
  promtool tsdb create-blocks-from openmetrics "$om" "$out/$name-prometheus" > "$out/$name-promtool.txt" 2>&1
  local prom_bytes; prom_bytes=$(du -sb "$out/$name-prometheus" | awk '{print $1}')
  local vm; vm=$(vm_bytes "$om" "$out/$name-vm")
  python3 - "$name" "$samples" "$vigil_bytes" "$prom_bytes" $vm <<'PY' | tee -a "$out/summary.txt"
import sys
name, samples, vigil, prom, vm, vm_rows = sys.argv[1], *map(int, sys.argv[2:])
print(f"== {name}: {samples} samples")
print(f"  vigil:             {vigil:>11} bytes, {vigil / samples:.3f} bytes/sample")
print(f"  prometheus blocks: {prom:>11} bytes, {prom / samples:.3f} bytes/sample")
print(f"  victoria-metrics:  {vm:>11} bytes, {vm / samples:.3f} bytes/sample ({vm_rows} rows stored)")
print(f"  vigil / victoria-metrics: {vigil / vm:.2f}   vigil / prometheus: {vigil / prom:.2f}")
PY
}

if [[ " $sets " == *" synthetic "* ]]; then
  echo "== Vigil: $series synthetic series, $duration at 15 s, one commit per scrape"
  "$vigil" tsdb append-synthetic --storage.path "$out/synthetic-vigil/vigil.db" --series "$series" --interval 15s \
    --duration "$duration" --openmetrics "$out/synthetic.om" | tee "$out/synthetic-vigil.txt"
  "$vigil" tsdb stats --storage.path "$out/synthetic-vigil/vigil.db" > /dev/null
  compare synthetic "$out/synthetic.om" "$(du -sb "$out/synthetic-vigil" | awk '{print $1}')" \
    "$(awk '/^samples/ {print $2}' "$out/synthetic-vigil.txt")"
  rm -f "$out/synthetic.om"
fi

if [[ " $sets " == *" real "* ]]; then
  echo "== real: recording node-exporter and Prometheus, then stretching to $duration at 15 s"
  bench/record_real.sh "$out/recorded"
  hours=$(python3 -c "import re,sys; d='$duration'; m=re.fullmatch(r'(\d+)([hm])', d); print(int(m[1]) / (60 if m[2] == 'm' else 1))")
  python3 bench/replay_real.py "$out/recorded" "$out/real.om" --hours "$hours" --step 15
  "$vigil" tsdb import "$out/real.om" --storage.path "$out/real-vigil/vigil.db"
  "$vigil" tsdb stats --storage.path "$out/real-vigil/vigil.db" | tee "$out/real-vigil.txt"
  compare real "$out/real.om" "$(du -sb "$out/real-vigil" | awk '{print $1}')" \
    "$(awk '/^samples/ {print $2}' "$out/real-vigil.txt")"
  rm -f "$out/real.om"
fi
