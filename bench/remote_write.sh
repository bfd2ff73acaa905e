#!/usr/bin/env bash
# Side by side: Vigil and Debian's Prometheus 2.42 scraping the same synthetic targets (default 50 targets x
# 1,000 series every second) and remote-writing everything, each to its own Debian VictoriaMetrics. Runs
# twice, without and with remote_write, and prints each server's CPU seconds, peak RSS, samples forwarded,
# CPU seconds per million samples forwarded, and the extra CPU remote write costs.
#
#   bench/remote_write.sh [seconds] [targets] [series]      (default 120 50 1000)
#
# Then a catch-up run (CATCHUP=seconds, default 60; 0 skips it): both servers scrape with their receivers down for
# that long, the receivers start, and the script polls each server until its queue sends samples under 3 s old,
# printing the forwarding rate while it drained the backlog and the CPU seconds per million it cost.
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

catchup=${CATCHUP:-60}
python3 bench/targets.py --targets "$targets" --series "$series" --seconds $((2 * seconds + 2 * catchup + 360)) &
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

# catchup: both servers scrape for $catchup seconds while their receivers are down, then the receivers start;
# prints each server's forwarding rate while it drains the backlog.
catchup_run() {
  local dir="$out/catchup"
  mkdir -p "$dir"
  cp "$out/remote/vigil.yml" "$dir/vigil.yml"
  cp "$out/remote/prometheus.yml" "$dir/prometheus.yml"
  "$vigil" serve --config.file "$dir/vigil.yml" --storage.path "$dir/vigil/vigil.db" \
    --web.listen-address 127.0.0.1:19190 --api.listen-address 127.0.0.1:19191 --log.level error 2> "$dir/vigil.log" &
  local vigil_pid=$!; pids+=("$vigil_pid")
  prometheus --config.file "$dir/prometheus.yml" --storage.tsdb.path "$dir/prometheus" \
    --web.listen-address 127.0.0.1:19290 --log.level error 2> "$dir/prometheus.log" &
  local prom_pid=$!; pids+=("$prom_pid")
  sleep "$catchup"
  victoria-metrics -httpListenAddr 127.0.0.1:19391 -storageDataPath "$dir/vm-vigil" -loggerLevel ERROR > "$dir/vm-vigil.log" 2>&1 &
  local vm1=$!; pids+=("$vm1")
  victoria-metrics -httpListenAddr 127.0.0.1:19392 -storageDataPath "$dir/vm-prometheus" -loggerLevel ERROR > "$dir/vm-prometheus.log" 2>&1 &
  local vm2=$!; pids+=("$vm2")
  CLK_TCK=$(getconf CLK_TCK) python3 - "$vigil_pid" "$prom_pid" <<'PY'
import os, sys, time, urllib.request
tick = 1 / float(os.environ["CLK_TCK"])
servers = {"vigil": (int(sys.argv[1]), "http://127.0.0.1:19190/metrics"), "prometheus": (int(sys.argv[2]), "http://127.0.0.1:19290/metrics")}
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * tick
def read(url):
    sent = highest = sent_ts = 0.0
    for line in urllib.request.urlopen(url, timeout=5).read().decode().splitlines():
        if line.startswith("prometheus_remote_storage_samples_total"): sent += float(line.split()[-1])
        elif line.startswith("prometheus_remote_storage_highest_timestamp_in_seconds"): highest = float(line.split()[-1])
        elif line.startswith("prometheus_remote_storage_queue_highest_sent_timestamp_seconds"): sent_ts = float(line.split()[-1])
    return sent, highest, sent_ts
start = {name: (time.monotonic(), cpu(pid), read(url)[0]) for name, (pid, url) in servers.items()}
done = {}
deadline = time.monotonic() + 600
while len(done) < len(servers) and time.monotonic() < deadline:
    time.sleep(0.25)
    for name, (pid, url) in servers.items():
        if name in done: continue
        sent, highest, sent_ts = read(url)
        # Caught up: the queue has sent samples scraped within the last 3 s (scrapes carry wall-clock timestamps).
        if sent_ts > 0 and time.time() - sent_ts <= 3:
            t0, c0, s0 = start[name]
            done[name] = (time.monotonic() - t0, cpu(pid) - c0, sent - s0)
print(f"catch-up after the receivers were down (from their start until the queue sends samples under 3 s old):")
print(f"{'':12}{'seconds':>9}{'forwarded':>11}{'samples/s':>11}{'CPU s':>8}{'CPU s/M':>9}")
for name in servers:
    if name not in done:
        print(f"{name:12} did not catch up within 600 s"); continue
    seconds, cpu_s, sent = done[name]
    print(f"{name:12}{seconds:9.1f}{sent:11.0f}{sent / seconds:11,.0f}{cpu_s:8.1f}{cpu_s / (sent / 1e6):9.2f}")
PY
  kill "$vigil_pid" "$prom_pid" "$vm1" "$vm2" 2>/dev/null || true
  wait "$vigil_pid" "$prom_pid" "$vm1" "$vm2" 2>/dev/null || true
}

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

if [ "$catchup" -gt 0 ]; then catchup_run; fi
