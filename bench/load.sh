#!/usr/bin/env bash
# Load soak: wrk -c64 on /predict while Vigil scrapes every second and evaluates the seed's rules,
# then 8 concurrent heavy range queries. Prints errors, resident memory over time, the largest gap
# between stored scrapes and the rule-evaluation slots missed, for each phase.
#
#   bench/load.sh [seconds-per-phase]      (default 60)
#
# Loopback only. Installs wrk (Debian) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-60}
api_port=18012
web_port=19012
work=$(mktemp -d)
command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
swift build -c release --product vigil >/dev/null

cat > "$work/vigil.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}
rule_files: [$(pwd)/config/alerts.yml]
scrape_configs:
  - job_name: ml-api
    static_configs: [{targets: ["127.0.0.1:$api_port"]}]
  - job_name: vigil
    static_configs: [{targets: ["127.0.0.1:$web_port"]}]
EOF

.build/release/vigil serve --config.file "$work/vigil.yml" --storage.path "$work/vigil.db" \
  --api.listen-address "127.0.0.1:$api_port" --web.listen-address "127.0.0.1:$web_port" --log.level warning &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$web_port/-/ready" >/dev/null && break; sleep 0.1; done

rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
query() { curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$web_port/api/v1/query" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'; }
# Largest gap, in seconds, between consecutive stored scrapes of the API over the last `window`.
max_gap() { query "max_over_time((timestamp(up{job=\"ml-api\"}) - timestamp(up{job=\"ml-api\"} offset 1s))[$1:1s])"; }
missed() { query 'sum(vigil_rule_group_iterations_missed_total)'; }
sample_rss() { while sleep 5; do echo -n "$(rss_mib) "; done; }

example='{"Pregnancies":6,"Glucose":148,"BloodPressure":72,"SkinThickness":35,"Insulin":0,"BMI":33.6,"DiabetesPedigreeFunction":0.627,"Age":50}'
echo "warm-up 10 s…"
WRK_METHOD=POST WRK_BODY=$example wrk -t2 -c64 -d10s -s bench/wrk-report.lua "http://127.0.0.1:$api_port/predict" >/dev/null
echo "phase 1: wrk -c64 on /predict for ${duration}s while scraping at 1 s and evaluating rules at 1 s"
missed_before=$(missed)
rss_start=$(rss_mib)
sample_rss > "$work/rss1" & sampler=$!
WRK_METHOD=POST WRK_BODY=$example wrk -t2 -c64 -d"${duration}s" -s bench/wrk-report.lua "http://127.0.0.1:$api_port/predict" | grep RESULT
kill $sampler
echo "  resident MiB: start $rss_start, every 5 s: $(cat "$work/rss1"), end $(rss_mib)"
echo "  largest gap between stored scrapes: $(max_gap "${duration}s") s (interval 1 s)"
echo "  rule evaluation slots missed: $(( $(missed | cut -d. -f1) - ${missed_before%%.*} ))"

echo "phase 2: 8 concurrent 1-hour range queries for ${duration}s"
missed_before=$(missed)
end=$(( $(date +%s) + duration ))
heavy() {
  local count=0
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -sf --data-urlencode 'query=histogram_quantile(0.99, sum by (le) (rate(api_request_duration_seconds_bucket[1m])))' \
      --data-urlencode "start=$(( $(date +%s) - 3600 ))" --data-urlencode "end=$(date +%s)" --data-urlencode 'step=1' \
      "http://127.0.0.1:$web_port/api/v1/query_range" >/dev/null && count=$((count + 1))
  done
  echo $count
}
for _ in $(seq 1 8); do heavy > "$work/heavy.$RANDOM" & done
wait_jobs=$(jobs -p | grep -v "^$pid$" || true)
for job in $wait_jobs; do wait "$job" 2>/dev/null || true; done
echo "  range queries answered: $(cat "$work"/heavy.* | paste -sd+ | bc)"
echo "  largest gap between stored scrapes: $(max_gap "${duration}s") s (interval 1 s)"
echo "  rule evaluation slots missed: $(( $(missed | cut -d. -f1) - ${missed_before%%.*} ))"
echo "  resident MiB at the end: $(rss_mib)"
