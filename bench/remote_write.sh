#!/usr/bin/env bash
# Side by side: Vigil and Debian's Prometheus 2.42 scraping the same synthetic targets (default 50 targets x
# 1,000 series every second) and remote-writing everything, each to its own Debian VictoriaMetrics. Runs
# twice, without and with remote_write, and prints each server's CPU seconds, peak RSS, samples forwarded,
# CPU seconds per million samples forwarded, and the extra CPU remote write costs.
#
#   bench/remote_write.sh [seconds] [targets] [series]      (default 120 50 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
targets=${2:-50}
series=${3:-1000}
out=bench/out/remote_write
rm -rf "$out" && mkdir -p "$out"
command -v prometheus >/dev/null || { apt-get update && apt-get install -y prometheus; }
command -v victoria-metrics >/dev/null || { apt-get update && apt-get install -y victoria-metrics; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null
vigil=${VIGIL_BINARY:-.build/release/vigil}

python3 bench/targets.py --targets "$targets" --series "$series" --seconds $((2 * seconds + 120)) &
pids=("$!")
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
list=$(python3 -c "print(', '.join('\"127.0.0.1:%d\"' % (19100 + i) for i in range($targets)))")
sleep 2

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# run NAME REMOTE(0|1): both servers for $seconds; appends "name vigil_ticks prom_ticks vigil_hwm prom_hwm vigil_sent prom_sent vigil_pending_s prom_pending_s" to $out/results.
run() {
  local name=$1 remote=$2 dir="$out/$1"
  mkdir -p "$dir"
  for who in vigil prometheus; do
    local port; port=$([ "$who" = vigil ] && echo 19391 || echo 19392)
    {
      echo "global: {scrape_interval: 1s, scrape_timeout: 1s}"
      echo "scrape_configs:"
      echo "  - job_name: synthetic"
      echo "    static_configs: [{targets: [$list]}]"
      if [ "$remote" = 1 ]; then
        echo "remote_write:"
        echo "  - url: http://127.0.0.1:$port/api/v1/write"
        echo "    name: victoria"
      fi
    } > "$dir/$who.yml"
  done
  local vm_pids=()
  if [ "$remote" = 1 ]; then
    victoria-metrics -httpListenAddr 127.0.0.1:19391 -storageDataPath "$dir/vm-vigil" -loggerLevel ERROR > "$dir/vm-vigil.log" 2>&1 &
    vm_pids+=("$!"); pids+=("$!")
    victoria-metrics -httpListenAddr 127.0.0.1:19392 -storageDataPath "$dir/vm-prometheus" -loggerLevel ERROR > "$dir/vm-prometheus.log" 2>&1 &
    vm_pids+=("$!"); pids+=("$!")
  fi
  "$vigil" serve --config.file "$dir/vigil.yml" --storage.path "$dir/vigil/vigil.db" \
    --web.listen-address 127.0.0.1:19190 --api.listen-address 127.0.0.1:19191 --log.level warning 2> "$dir/vigil.log" &
  local vigil_pid=$!; pids+=("$vigil_pid")
  prometheus --config.file "$dir/prometheus.yml" --storage.tsdb.path "$dir/prometheus" \
    --web.listen-address 127.0.0.1:19290 --log.level warn 2> "$dir/prometheus.log" &
  local prom_pid=$!; pids+=("$prom_pid")
  sleep "$seconds"
  local vt pt vh ph
  vt=$(ticks "$vigil_pid"); pt=$(ticks "$prom_pid"); vh=$(hwm "$vigil_pid"); ph=$(hwm "$prom_pid")
  local vm pm
  vm=$(curl -s 127.0.0.1:19190/metrics); pm=$(curl -s 127.0.0.1:19290/metrics)
  local vs ps va pa vlag plag
  vs=$(echo "$vm" | awk '/^prometheus_remote_storage_samples_total/ {s += $2} END {print s + 0}')
  ps=$(echo "$pm" | awk '/^prometheus_remote_storage_samples_total/ {s += $2} END {print s + 0}')
  va=$(echo "$vm" | awk '/^vigil_tsdb_head_samples_appended_total/ {print $2}')
  pa=$(echo "$pm" | awk '/^prometheus_tsdb_head_samples_appended_total/ {s += $2} END {print s}')
  # How far behind the newest sample each queue is, in seconds (0 without remote write).
  vlag=$(echo "$vm" | awk '/^prometheus_remote_storage_highest_timestamp_in_seconds/ {h = $2} /^prometheus_remote_storage_queue_highest_sent_timestamp_seconds/ {s = $2} END {print (h && s) ? h - s : 0}')
  plag=$(echo "$pm" | awk '/^prometheus_remote_storage_highest_timestamp_in_seconds/ {h = $2} /^prometheus_remote_storage_queue_highest_sent_timestamp_seconds/ {s = $2} END {print (h && s) ? h - s : 0}')
  kill "$vigil_pid" "$prom_pid" "${vm_pids[@]}" 2>/dev/null || true
  wait "$vigil_pid" "$prom_pid" "${vm_pids[@]}" 2>/dev/null || true
  echo "$name $vt $pt $vh $ph $vs $ps $va $pa $vlag $plag" >> "$out/results"
}

run local 0
run remote 1

CLK_TCK=$(getconf CLK_TCK) python3 - "$seconds" "$out/results" <<'PY'
import os, sys
seconds, path = sys.argv[1], sys.argv[2]
tick = 1 / float(os.environ["CLK_TCK"])
rows = {}
for line in open(path):
    name, *values = line.split()
    rows[name] = [float(v) for v in values]
(vl, pl, vhl, phl, *_rest_l), r = rows["local"], rows["remote"]
vt, pt, vh, ph, vs, ps, va, pa, vlag, plag = r
print(f"{seconds} s per run; CPU seconds and peak RSS of the whole server (scrape + store + remote write)")
print(f"{'':12}{'CPU s local':>12}{'CPU s +rw':>11}{'extra':>8}{'RSS MiB +rw':>13}{'appended':>11}{'forwarded':>11}{'CPU s/M fwd':>13}{'extra/M':>9}{'lag s':>7}")
for who, local, cpu, rss, appended, sent, lag in (("vigil", vl, vt, vh, va, vs, vlag), ("prometheus", pl, pt, ph, pa, ps, plag)):
    local_s, cpu_s = local * tick, cpu * tick
    per_m = cpu_s / (sent / 1e6) if sent else float("nan")
    extra_m = (cpu_s - local_s) / (sent / 1e6) if sent else float("nan")
    print(f"{who:12}{local_s:12.1f}{cpu_s:11.1f}{cpu_s - local_s:8.1f}{rss / 1024:13.1f}{appended:11.0f}{sent:11.0f}{per_m:13.2f}{extra_m:9.2f}{lag:7.1f}")
print(f"forwarding rate: vigil {vs / float(seconds):,.0f} samples/s, prometheus {ps / float(seconds):,.0f} samples/s")
PY
