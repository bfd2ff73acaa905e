#!/usr/bin/env bash
# Side by side: Vigil, Debian's Prometheus 2.42 and VictoriaMetrics 1.79 (single-node, its own
# `-promscrape.config`) scraping the same synthetic targets (default 50 targets x 1,000 series every
# second) at the same time, `runs` times. Per run and as medians over the runs it prints CPU µs per
# stored sample, peak resident memory and bytes on disk per sample of each, and the ratios
# Vigil/Prometheus and Vigil/VictoriaMetrics.
#
#   bench/scrape.sh [seconds] [targets] [series] [runs]      (default 60 50 1000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
targets=${2:-50}
series=${3:-1000}
runs=${4:-3}
out=bench/out/scrape
rm -rf "$out" && mkdir -p "$out"
command -v prometheus >/dev/null || { apt-get update && apt-get install -y prometheus; }
command -v victoria-metrics >/dev/null || { apt-get update && apt-get install -y victoria-metrics; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null

python3 bench/targets.py --targets "$targets" --series "$series" --seconds $(((seconds + 30) * runs + 60)) > "$out/targets.log" &
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
until grep -q serving "$out/targets.log"; do sleep 0.1; done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
: > "$out/runs.txt"
for run in $(seq 1 "$runs"); do
  dir="$out/run$run"
  "${VIGIL_BINARY:-.build/release/vigil}" serve --config.file "$out/config.yml" --storage.path "$dir/vigil/vigil.db" \
    --web.listen-address 127.0.0.1:19190 --api.listen-address 127.0.0.1:19191 --log.level warning &
  vigil_pid=$!; pids+=("$vigil_pid")
  prometheus --config.file "$out/config.yml" --storage.tsdb.path "$dir/prometheus" \
    --web.listen-address 127.0.0.1:19290 --log.level warn 2> "$out/prometheus.log" &
  prom_pid=$!; pids+=("$prom_pid")
  victoria-metrics -promscrape.config "$out/config.yml" -storageDataPath "$dir/vm" -retentionPeriod 100y \
    -httpListenAddr 127.0.0.1:19390 -loggerLevel ERROR > "$out/vm.log" 2>&1 &
  vm_pid=$!; pids+=("$vm_pid")

  sleep "$seconds"
  vigil_ticks=$(ticks "$vigil_pid"); prom_ticks=$(ticks "$prom_pid"); vm_ticks=$(ticks "$vm_pid")
  vigil_hwm=$(hwm "$vigil_pid"); prom_hwm=$(hwm "$prom_pid"); vm_hwm=$(hwm "$vm_pid")
  # Samples each stored, from their own counters.
  vigil_samples=$(curl -s 127.0.0.1:19190/metrics | awk '/^vigil_tsdb_head_samples_appended_total/ {print $2}')
  prom_samples=$(curl -s 127.0.0.1:19290/metrics | awk '/^prometheus_tsdb_head_samples_appended_total/ {s += $2} END {print s}')
  vm_samples=$(curl -s 127.0.0.1:19390/metrics | awk '/^vm_rows_added_to_storage_total/ {print $2}')
  kill "$vigil_pid" "$prom_pid" "$vm_pid"; wait "$vigil_pid" "$prom_pid" "$vm_pid" 2>/dev/null || true
  vigil_bytes=$(du -sb "$dir/vigil" | awk '{print $1}')
  prom_bytes=$(du -sb "$dir/prometheus" | awk '{print $1}')
  vm_bytes=$(du -sb "$dir/vm" | awk '{print $1}')
  echo "$vigil_ticks $prom_ticks $vm_ticks $vigil_hwm $prom_hwm $vm_hwm $vigil_samples $prom_samples $vm_samples $vigil_bytes $prom_bytes $vm_bytes" >> "$out/runs.txt"
  rm -rf "$dir"
done

CLK_TCK=$(getconf CLK_TCK) python3 - "$seconds" "$out/runs.txt" <<'PY'
import os, statistics, sys
seconds, path = sys.argv[1], sys.argv[2]
tick = 1 / float(os.environ["CLK_TCK"])
names = ["vigil", "prometheus", "victoria-metrics"]
rows = []
for line in open(path):
    f = [float(x) for x in line.split()]
    rows.append({n: {"cpu": f[i] * tick, "rss": f[3 + i] / 1024, "samples": f[6 + i], "bytes": f[9 + i]} for i, n in enumerate(names)})
for r in rows:
    for n in names:
        r[n]["us"] = r[n]["cpu"] / r[n]["samples"] * 1e6
        r[n]["bps"] = r[n]["bytes"] / r[n]["samples"]
print(f"{'':18}{'CPU s':>8}{'µs/sample':>11}{'peak RSS MiB':>14}{'samples':>12}{'bytes/sample':>14}")
for k, r in enumerate(rows):
    for n in names:
        x = r[n]
        print(f"{'run %d %s' % (k + 1, n):18}{x['cpu']:8.1f}{x['us']:11.3f}{x['rss']:14.1f}{x['samples']:12.0f}{x['bps']:14.2f}")
med = lambda n, key: statistics.median(r[n][key] for r in rows)
ratio = lambda peer, key: [r["vigil"][key] / r[peer][key] for r in rows]
print(f"medians over {len(rows)} runs of {seconds} s:")
for n in names:
    print(f"  {n:16} {med(n, 'us'):.3f} µs CPU/sample, peak RSS {med(n, 'rss'):.1f} MiB, {med(n, 'bps'):.2f} bytes/sample on disk")
for peer in names[1:]:
    cpu, rss = ratio(peer, "us"), ratio(peer, "rss")
    print(f"vigil / {peer}: CPU per sample {statistics.median(cpu):.2f}x (runs {min(cpu):.2f}-{max(cpu):.2f}), "
          f"peak RSS {statistics.median(rss):.2f}x (runs {min(rss):.2f}-{max(rss):.2f})")
print("(disk: prometheus's is still its WAL and VictoriaMetrics's mostly in-memory parts after so short a run)")
PY
