#!/usr/bin/env bash
# Do heavy queries stall ingestion? Vigil holds 6 h of the seed's metrics for 20 instances
# (bench/seed_history.py, imported with `vigil tsdb import`), scrapes the prediction API and itself
# every second and evaluates the seed's rules plus a probe rule every second, while a steady
# 200 requests/s go to /predict. Two phases of the same length: idle, then with 8 clients each
# running heavy 6-hour range queries back to back. Prints, idle against loaded:
#   - scrape duration (scrape_duration_seconds of both jobs) and the interval between stored scrapes,
#   - the interval between rule evaluations (timestamps of the probe rule's samples) and their duration,
#   - /predict p50/p99 at a fixed rate (open loop, one kept-alive connection, from Python).
# Goals (issue 16 item 3): scrape duration and rule interval within 10 %, /predict p99 within 2x.
#
#   bench/stall.sh [seconds-per-phase]      (default 60)
#
# STALL_RANGE_HOURS shortens the heavy queries' range (default 6; a debug build needs 1).
# Set VIGIL_BINARY to measure another build. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-60}
api_port=18022
web_port=19022
work=$(mktemp -d)
[ -n "${VIGIL_BINARY:-}" ] || swift build -c release --product vigil >/dev/null
vigil="${VIGIL_BINARY:-.build/release/vigil}"

end=$(( $(date +%s) - 30 ))
python3 bench/seed_history.py --instances 20 --hours 6 --end "$end" > "$work/history.om"
"$vigil" tsdb import "$work/history.om" --storage.path "$work/vigil.db" >/dev/null

cat > "$work/probe.yml" <<EOF
groups:
  - name: stall-probe
    interval: 1s
    rules:
      - record: stall_probe
        expr: vector(1)
EOF
cat > "$work/vigil.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}
rule_files: [$(pwd)/config/alerts.yml, $work/probe.yml]
scrape_configs:
  - job_name: ml-api
    static_configs: [{targets: ["127.0.0.1:$api_port"]}]
  - job_name: vigil
    static_configs: [{targets: ["127.0.0.1:$web_port"]}]
EOF

"$vigil" serve --config.file "$work/vigil.yml" --storage.path "$work/vigil.db" --storage.retention.time 30d \
  --api.listen-address "127.0.0.1:$api_port" --web.listen-address "127.0.0.1:$web_port" --log.level warning &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$web_port/-/ready" >/dev/null && break; sleep 0.1; done
sleep 5  # let scrapes and rules settle into their slots before the idle phase

python3 - "$duration" "$api_port" "$web_port" "${STALL_RANGE_HOURS:-6}" <<'PY'
import http.client, json, multiprocessing, statistics, sys, threading, time, urllib.parse, urllib.request

duration, api_port, web_port, range_hours = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
web = f"http://127.0.0.1:{web_port}"
example = json.dumps({"Pregnancies": 6, "Glucose": 148, "BloodPressure": 72, "SkinThickness": 35, "Insulin": 0,
                      "BMI": 33.6, "DiabetesPedigreeFunction": 0.627, "Age": 50})
heavy_queries = [
    "histogram_quantile(0.99, sum by (le, instance) (rate(api_request_duration_seconds_bucket[5m])))",
    "sum by (instance, endpoint) (rate(api_requests_total[1m]))",
    "max_over_time(api_active_requests[10m])",
]

def get(path, params):
    with urllib.request.urlopen(web + path + "?" + urllib.parse.urlencode(params), timeout=300) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]

def predict_latencies(stop):
    """Sends one /predict every 5 ms (200/s) on one kept-alive connection; returns each request's seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", api_port)
    latencies, next_send = [], time.perf_counter()
    while not stop.is_set():
        now = time.perf_counter()
        if now < next_send:
            time.sleep(next_send - now)
        # Timed from when the request was due, so a stalled server cannot hide its delay by pacing the client.
        due = next_send
        connection.request("POST", "/predict", example, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        latencies.append(time.perf_counter() - due)
        next_send = max(due + 0.005, time.perf_counter() - 0.005)
    return latencies

def heavy_client(stop, answered, times):
    # The answer is read whole but not parsed: parsing megabytes of JSON would hold Python's interpreter lock
    # for tens of milliseconds and delay the measuring client instead of the server.
    index = 0
    while not stop.is_set():
        now = int(time.time())
        started = time.perf_counter()
        params = {"query": heavy_queries[index % len(heavy_queries)], "start": now - int(range_hours * 3600), "end": now, "step": 15}
        with urllib.request.urlopen(web + "/api/v1/query_range?" + urllib.parse.urlencode(params), timeout=300) as response:
            body = response.read()
        assert body.startswith(b'{"status":"success"'), body[:200]
        times.append(time.perf_counter() - started)
        answered.append(1)
        index += 1

def raw(query, start, end):
    """Timestamps and values of the raw samples of `query` in [start, end]."""
    data = get("/api/v1/query", {"query": f"{query}[{int(end - start)}s]", "time": end})
    return [[(float(t), float(v)) for t, v in series["values"]] for series in data["result"]]

def intervals(series_list):
    gaps = []
    for samples in series_list:
        gaps += [b[0] - a[0] for a, b in zip(samples, samples[1:])]
    return gaps

def phase(name, heavy):
    stop = threading.Event()
    result = {}
    # The /predict client runs in a process of its own, so the heavy clients' threads cannot delay it.
    process_stop, queue = multiprocessing.Event(), multiprocessing.Queue()
    predict = multiprocessing.Process(target=lambda: queue.put(predict_latencies(process_stop)))
    answered, heavy_times, clients = [], [], []
    start = time.time()
    predict.start()
    if heavy:
        clients = [threading.Thread(target=heavy_client, args=(stop, answered, heavy_times)) for _ in range(8)]
        for client in clients: client.start()
    time.sleep(duration)
    stop.set()
    process_stop.set()
    result["latencies"] = queue.get()
    predict.join()
    for client in clients: client.join()
    end = time.time()
    time.sleep(2.5)  # the last scrape and evaluation of the phase are stored
    window = (start + 2, end)
    durations = [v for series in raw('scrape_duration_seconds', *window) for _, v in series]
    scrape_gaps = intervals(raw('up', *window))
    rule_gaps = intervals(raw('stall_probe', *window))
    rule_durations = [v for series in raw('vigil_rule_group_last_duration_seconds{rule_group=~".*stall-probe"}', *window) for _, v in series]
    latencies = sorted(result["latencies"])
    figures = {
        "scrape duration ms (mean)": statistics.mean(durations) * 1000,
        "scrape duration ms (max)": max(durations) * 1000,
        "interval between stored scrapes s (max)": max(scrape_gaps),
        "rule evaluation interval s (mean)": statistics.mean(rule_gaps),
        "rule evaluation interval s (max)": max(rule_gaps),
        "rule group duration ms (mean)": statistics.mean(rule_durations) * 1000 if rule_durations else float("nan"),
        "/predict p50 ms": latencies[len(latencies) // 2] * 1000,
        "/predict p99 ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "/predict requests": len(latencies),
    }
    if heavy:
        figures["heavy range queries answered"] = len(answered)
        figures["heavy range query median s"] = statistics.median(heavy_times) if heavy_times else float("nan")
    return figures

idle = phase("idle", heavy=False)
loaded = phase("loaded", heavy=True)
print(f"{'':44}{'idle':>12}{'loaded':>12}{'loaded/idle':>13}")
for key in loaded:
    a, b = idle.get(key), loaded[key]
    ratio = f"{b / a:12.2f}x" if a else ""
    print(f"{key:44}{'' if a is None else f'{a:12.3f}'}{b:12.3f}{ratio}")
print("goals: scrape duration and rule evaluation interval loaded/idle <= 1.10; /predict p99 loaded/idle <= 2")
PY
