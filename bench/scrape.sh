#!/usr/bin/env bash
# Side by side: Vigil and Debian's Prometheus 2.42 scraping the same synthetic targets
# (default 50 targets x 1,000 series every second) for a few minutes. Prints CPU seconds,
# peak resident memory and bytes on disk per sample of each, and the ratios.
#
#   bench/scrape.sh [seconds] [targets] [series]      (default 180 50 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
targets=${2:-50}
series=${3:-1000}
out=bench/out/scrape
rm -rf "$out" && mkdir -p "$out"
command -v prometheus >/dev/null || { apt-get update && apt-get install -y prometheus; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null

python3 bench/targets.py --targets "$targets" --series "$series" --seconds $((seconds + 60)) &
targets_pid=$!
pids=("$targets_pid")
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

list=$(python3 -c "print(', '.join('\"127.0.0.1:%d\"' % (19100 + i) for i in range($targets)))")
cat > "$out/config.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: synthetic
    static_configs: [{targets: [$list]}]
YML
sleep 2

"${VIGIL_BINARY:-.build/release/vigil}" serve --config.file "$out/config.yml" --storage.path "$out/vigil/vigil.db" \
  --web.listen-address 127.0.0.1:19190 --api.listen-address 127.0.0.1:19191 --log.level warning &
vigil_pid=$!; pids+=("$vigil_pid")
prometheus --config.file "$out/config.yml" --storage.tsdb.path "$out/prometheus" \
  --web.listen-address 127.0.0.1:19290 --log.level warn 2> "$out/prometheus.log" &
prom_pid=$!; pids+=("$prom_pid")

sleep "$seconds"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
vigil_ticks=$(ticks "$vigil_pid"); prom_ticks=$(ticks "$prom_pid")
vigil_hwm=$(hwm "$vigil_pid"); prom_hwm=$(hwm "$prom_pid")
# Samples each stored, from their own counters.
vigil_samples=$(curl -s 127.0.0.1:19190/metrics | awk '/^vigil_tsdb_head_samples_appended_total/ {print $2}')
prom_samples=$(curl -s 127.0.0.1:19290/metrics | awk '/^prometheus_tsdb_head_samples_appended_total/ {s += $2} END {print s}')
kill "$vigil_pid" "$prom_pid"; wait "$vigil_pid" "$prom_pid" 2>/dev/null || true
vigil_bytes=$(du -sb "$out/vigil" | awk '{print $1}')
prom_bytes=$(du -sb "$out/prometheus" | awk '{print $1}')

CLK_TCK=$(getconf CLK_TCK) python3 - "$seconds" "$vigil_ticks" "$prom_ticks" "$vigil_hwm" "$prom_hwm" \
  "$vigil_samples" "$prom_samples" "$vigil_bytes" "$prom_bytes" <<'PY'
import os, sys
seconds, vt, pt, vh, ph, vs, ps, vb, pb = sys.argv[1:]
tick = 1 / float(os.environ["CLK_TCK"])
vt, pt = float(vt) * tick, float(pt) * tick
vh, ph = float(vh) / 1024, float(ph) / 1024
vs, ps, vb, pb = float(vs), float(ps), float(vb), float(pb)
print(f"{'':12}{'CPU s':>9}{'peak RSS MiB':>14}{'samples':>12}{'disk bytes':>12}{'bytes/sample':>14}")
print(f"{'vigil':12}{vt:9.1f}{vh:14.1f}{vs:12.0f}{vb:12.0f}{vb / vs:14.2f}")
print(f"{'prometheus':12}{pt:9.1f}{ph:14.1f}{ps:12.0f}{pb:12.0f}{pb / ps:14.2f}")
print(f"CPU: vigil uses {vt / pt:.2f}x of prometheus; peak RSS {vh / ph:.2f}x; disk per sample {vb / vs / (pb / ps):.2f}x"
      f" (after {seconds} s; prometheus's is still its WAL, not compacted blocks)")
PY
