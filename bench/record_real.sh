#!/usr/bin/env bash
# Records a few scrapes of Debian's prometheus-node-exporter and of Prometheus 2.42's own /metrics, both run
# here on loopback, for bench/replay_real.py to stretch into a day of samples (bench/tsdb.sh's real data set).
#
#   bench/record_real.sh OUT_DIR [scrapes] [seconds between scrapes]     (default 8 scrapes, 5 s apart)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?output directory}
scrapes=${2:-8}
gap=${3:-5}
mkdir -p "$dir"
command -v prometheus-node-exporter >/dev/null || { apt-get update && apt-get install -y prometheus-node-exporter; }
command -v prometheus >/dev/null || { apt-get update && apt-get install -y prometheus; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
prometheus-node-exporter --web.listen-address 127.0.0.1:19591 > "$work/node.log" 2>&1 &
pids+=("$!")
# Prometheus scrapes itself and the exporter, so its own /metrics carries a working server's series.
cat > "$work/prometheus.yml" <<YML
global: {scrape_interval: 5s}
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:19592"]}]
  - job_name: node
    static_configs: [{targets: ["127.0.0.1:19591"]}]
YML
prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/data" --web.listen-address 127.0.0.1:19592 \
  --log.level warn > "$work/prometheus.log" 2>&1 &
pids+=("$!")
for url in http://127.0.0.1:19591/metrics http://127.0.0.1:19592/-/ready; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "$url" 2>/dev/null && break; sleep 0.1; done
done
# A little history first, so Prometheus's own counters have moved.
sleep "$gap"
: > "$dir/node-times.txt"; : > "$dir/prometheus-times.txt"
for i in $(seq 0 $((scrapes - 1))); do
  date +%s.%N >> "$dir/node-times.txt"
  curl -fsS http://127.0.0.1:19591/metrics > "$dir/node-$i.txt"
  date +%s.%N >> "$dir/prometheus-times.txt"
  curl -fsS http://127.0.0.1:19592/metrics > "$dir/prometheus-$i.txt"
  [ "$i" -lt $((scrapes - 1)) ] && sleep "$gap"
done
echo "recorded $scrapes scrapes of node-exporter ($(grep -vc '^#' "$dir/node-0.txt") series) and Prometheus ($(grep -vc '^#' "$dir/prometheus-0.txt") series) in $dir"
