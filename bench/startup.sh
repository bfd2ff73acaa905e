#!/usr/bin/env bash
# Start-up: how soon `vigil serve` and Debian's Prometheus 2.42 answer `/-/ready` on a day of data
# (default 1,000 series at 15 s for 24 h = 5.76 M samples, the same samples in both).
#
# Vigil's store is written by `vigil tsdb append-synthetic` and closed as `vigil serve` closes it on
# SIGTERM. Prometheus gets the same samples: all but the last two hours as blocks
# (`promtool tsdb create-blocks-from openmetrics`), the last two hours through its remote-write
# receiver into its head, then SIGTERM. That is the state Prometheus is in after any restart: blocks
# on disk plus a head it must rebuild from its WAL (and m-mapped head chunks) before it is ready.
# Each server is then started `runs` times, alternating, and timed from exec to the first 200 from
# `/-/ready`; medians and the ratio are printed.
#
#   bench/startup.sh [runs] [series] [duration]      (default 5 1000 24h)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
series=${2:-1000}
duration=${3:-24h}
out=bench/out/startup
rm -rf "$out" && mkdir -p "$out"
command -v prometheus >/dev/null || { apt-get update && apt-get install -y prometheus; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null
vigil=${VIGIL_BINARY:-.build/release/vigil}

span_ms=$(python3 -c "import re,sys; m=re.fullmatch(r'(\d+)h', '$duration'); print(int(m.group(1))*3600000)")
two_hours=7200000
now_ms=$(($(date +%s) * 1000))
end=$((now_ms / two_hours * two_hours))
start=$((end - span_ms))
boundary=$((end - two_hours))

echo "== Vigil: $series series, $duration at 15 s"
"$vigil" tsdb append-synthetic --storage.path "$out/vigil/vigil.db" --series "$series" --interval 15s \
  --duration "$duration" --start "$start" --openmetrics "$out/samples.om" | tail -n 6

echo "== Prometheus: blocks before the last 2 h, the last 2 h through remote write into its head"
awk -v b="$((boundary / 1000))" '/^#/ || $NF < b' "$out/samples.om" > "$out/blocks.om"
promtool tsdb create-blocks-from openmetrics "$out/blocks.om" "$out/prometheus" > "$out/promtool.txt" 2>&1
echo "global: {scrape_interval: 15s}" > "$out/config.yml"
prom_args=(--config.file "$out/config.yml" --storage.tsdb.path "$out/prometheus" --storage.tsdb.retention.time 30d
  --web.listen-address 127.0.0.1:19490 --log.level warn)
vigil_args=(serve --config.file "$out/config.yml" --storage.path "$out/vigil/vigil.db" --storage.retention.time 30d
  --web.listen-address 127.0.0.1:19390 --api.listen-address 127.0.0.1:19391 --log.level warning)
prometheus "${prom_args[@]}" --web.enable-remote-write-receiver 2> "$out/prometheus-load.log" &
prom_pid=$!
trap 'kill "$prom_pid" 2>/dev/null || true' EXIT
until curl -sf 127.0.0.1:19490/-/ready >/dev/null; do sleep 0.2; done
python3 bench/remote_write_om.py "$out/samples.om" --url http://127.0.0.1:19490/api/v1/write --from "$boundary"
kill -TERM "$prom_pid"; wait "$prom_pid" || true
du -sb "$out/prometheus"/wal "$out/prometheus"/chunks_head 2>/dev/null | sed 's/^/   /'

python3 - "$runs" "$vigil" "$out/startup-runs.txt" "${vigil_args[@]}" -- prometheus "${prom_args[@]}" <<'PY'
import signal, statistics, subprocess, sys, time, urllib.request

runs, vigil, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rest = sys.argv[4:]
split = rest.index("--")
commands = {"vigil": [vigil] + rest[:split], "prometheus": rest[split + 1:]}
urls = {"vigil": "http://127.0.0.1:19390/-/ready", "prometheus": "http://127.0.0.1:19490/-/ready"}

def ready_after(name):
    started = time.monotonic()
    process = subprocess.Popen(commands[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(urls[name], timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            if process.poll() is not None:
                sys.exit(f"{name} exited with {process.returncode} before it was ready")
            time.sleep(0.002)
        sys.exit(f"{name} was not ready within 120 s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

times = {"vigil": [], "prometheus": []}
with open(log, "w") as f:
    for run in range(runs):
        order = ["vigil", "prometheus"] if run % 2 == 0 else ["prometheus", "vigil"]
        for name in order:
            seconds = ready_after(name)
            times[name].append(seconds)
            print(f"run {run + 1}: {name:10} ready after {seconds * 1000:8.1f} ms", file=f, flush=True)
print(open(log).read(), end="")
v, p = statistics.median(times["vigil"]), statistics.median(times["prometheus"])
spread = lambda xs: (max(xs) - min(xs)) / statistics.median(xs) * 100
print(f"median: vigil {v * 1000:.1f} ms (spread {spread(times['vigil']):.0f} %), "
      f"prometheus {p * 1000:.1f} ms (spread {spread(times['prometheus']):.0f} %)")
print(f"vigil is ready {p / v:.2f}x sooner than prometheus (goal: >= 2)")
PY
