#!/usr/bin/env bash
# Query speed: the seed's queries against Vigil and Debian's Prometheus 2.42 holding the same day of
# data (bench/seed_history.py, imported with `vigil tsdb import` and `promtool tsdb create-blocks-from
# openmetrics`), as instant queries and as 1 h range queries at 15 s steps, over HTTP, in one run.
#
# Then 8 clients send heavy 1 h range queries back to back for a while against each server in turn, and the
# queries answered per second are compared.
#
#   bench/query.sh [instances] [repetitions] [concurrent-seconds]     (default 20 instances, 30 repetitions, 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-20}
reps=${2:-30}
concurrent_seconds=${3:-20}
out=bench/out/query
rm -rf "$out" && mkdir -p "$out"
command -v promtool >/dev/null || { apt-get update && apt-get install -y prometheus; }
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null
vigil="${VIGIL_BINARY:-.build/release/vigil}"

end=$(( $(date +%s) - 60 ))
python3 bench/seed_history.py --instances "$instances" --end "$end" > "$out/history.om"
promtool tsdb create-blocks-from openmetrics "$out/history.om" "$out/prometheus" > /dev/null
"$vigil" tsdb import "$out/history.om" --storage.path "$out/vigil/vigil.db"
: > "$out/empty.yml"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$vigil" serve --config.file "$out/empty.yml" --storage.path "$out/vigil/vigil.db" --storage.retention.time 0 \
  --web.listen-address 127.0.0.1:19390 --api.listen-address 127.0.0.1:19391 --log.level warning &
pids+=($!)
prometheus --config.file "$out/empty.yml" --storage.tsdb.path "$out/prometheus" --storage.tsdb.retention.time 30d \
  --web.listen-address 127.0.0.1:19392 --log.level warn 2> "$out/prometheus.log" &
pids+=($!)
for url in http://127.0.0.1:19390/-/ready http://127.0.0.1:19392/-/ready; do
  for _ in $(seq 1 100); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
done

python3 - "$end" "$reps" "$concurrent_seconds" <<'PY'
import json, statistics, sys, time, urllib.parse, urllib.request
end, reps = int(sys.argv[1]), int(sys.argv[2])
ratios = {}
# The seed's three dashboard queries, then a broad set: the cheapest instant queries (literals, one
# selector, label matchers), functions, aggregations, binary operators with matching, and subqueries.
queries = [
    "rate(api_requests_total[1m])",
    "histogram_quantile(0.95, rate(api_request_duration_seconds_bucket[5m]))",
    "sum by (outcome) (rate(predictions_total[1m]))",
    "1 + 1",
    "vector(1)",
    "api_active_requests",
    'api_requests_total{endpoint="/predict",status="200"}',
    'api_requests_total{endpoint=~"/pre.*",status!="500"}',
    "count(api_requests_total)",
    "sum(api_active_requests)",
    "max by (instance) (api_active_requests)",
    "topk(3, sum by (instance) (rate(api_requests_total[5m])))",
    "increase(predictions_total[10m])",
    "avg_over_time(api_active_requests[10m])",
    "max_over_time(api_active_requests[1h])",
    "sum(rate(api_requests_total{status=~\"5..\"}[5m])) / sum(rate(api_requests_total[5m]))",
    "rate(api_requests_total[5m]) / on(instance, job, endpoint, method) group_left sum without (status) (rate(api_requests_total[5m]))",
    "histogram_quantile(0.99, sum by (le) (rate(model_inference_duration_seconds_bucket[5m])))",
    "quantile(0.9, rate(api_requests_total[5m]))",
    "count_values(\"value\", api_active_requests)",
    "label_replace(api_active_requests, \"host\", \"$1\", \"instance\", \"([^:]+).*\")",
    "max_over_time(rate(api_requests_total[1m])[30m:1m])",
    "absent(nonexistent_metric)",
    "api_requests_total offset 30m",
]
servers = {"vigil": "http://127.0.0.1:19390", "prometheus": "http://127.0.0.1:19392"}

def timed(base, path, params):
    url = base + path + "?" + urllib.parse.urlencode(params)
    # Timed to the last byte of the answer; parsing it is the client's work and would add the same
    # few milliseconds (Python's JSON parser) to both servers' large results, so it is left out.
    started = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        raw = response.read()
    elapsed = time.perf_counter() - started
    body = json.loads(raw)
    assert body["status"] == "success", body
    return elapsed, body["data"]["result"]

print(f"{'query':76}{'kind':>8}{'vigil ms':>10}{'prom ms':>10}{'ratio':>8}")
for query in queries:
    for kind, path, params in [("instant", "/api/v1/query", {"query": query, "time": end}),
                               ("1h/15s", "/api/v1/query_range", {"query": query, "start": end - 3600, "end": end, "step": 15})]:
        samples, results = {name: [] for name in servers}, {}
        for name, base in servers.items():
            timed(base, path, params)  # warm-up
        # Interleaved, alternating who goes first, so that drift in the machine's speed hits both alike.
        for rep in range(reps):
            order = list(servers.items()) if rep % 2 == 0 else list(reversed(servers.items()))
            for name, base in order:
                elapsed, results[name] = timed(base, path, params)
                samples[name].append(elapsed)
        medians = {name: statistics.median(times) for name, times in samples.items()}
        assert len(results["vigil"]) == len(results["prometheus"]), (query, kind)
        print(f"{query:76}{kind:>8}{medians['vigil'] * 1000:10.2f}{medians['prometheus'] * 1000:10.2f}"
              f"{medians['prometheus'] / medians['vigil']:7.1f}x")
        ratios.setdefault(kind, []).append(medians['prometheus'] / medians['vigil'])
print("ratio = Prometheus's median time / Vigil's (higher is better for Vigil), each timed from request to the answer's last byte;")
print("both answered the same number of series")
for kind, values in ratios.items():
    print(f"{kind:>8}: median ratio {statistics.median(values):.2f}x over {len(values)} queries, "
          f"lowest {min(values):.2f}x, {sum(v >= 1 for v in values)} of {len(values)} at least as fast")

# Throughput: 8 clients each sending heavy 1-hour range queries back to back for `seconds`, one server at a time.
import threading
heavy = [queries[1], queries[16], queries[21], "sum by (endpoint) (rate(api_requests_total[5m]))"]
def throughput(base, seconds=float(sys.argv[3])):
    done, errors, stop = [0], [0], time.perf_counter() + seconds
    def client(k):
        i = k
        while time.perf_counter() < stop:
            params = {"query": heavy[i % len(heavy)], "start": end - 3600, "end": end, "step": 15}
            i += 1
            try:
                with urllib.request.urlopen(base + "/api/v1/query_range?" + urllib.parse.urlencode(params)) as r:
                    r.read()
                done[0] += 1
            except Exception:
                errors[0] += 1
    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    return done[0] / seconds, errors[0]
rates = {}
for name, base in servers.items():
    rates[name], errors = throughput(base)
    print(f"8 concurrent 1h range queries, {name:10}: {rates[name]:7.1f} queries/s, {errors} errors")
print(f"throughput ratio vigil / prometheus: {rates['vigil'] / rates['prometheus']:.2f}x")
PY
