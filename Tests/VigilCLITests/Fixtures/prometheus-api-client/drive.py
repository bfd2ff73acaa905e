"""Drives prometheus-api-client against one server and prints what it returned as canonical JSON.

Usage: drive.py URL FIRST LAST, where FIRST and LAST are the Unix seconds of the first and last
sample loaded into the server. The test runs this once against Vigil and once against Prometheus
on the same data and compares the two outputs key by key, so the output must not depend on
anything but the server's answers: result lists are sorted by their labels (except for queries
whose order is part of the answer), and frames are printed in pandas' split orientation.

Prometheus answers label and series lookups with a time range per two-hour block (labels) or per
chunk (series), not per sample; Vigil answers per sample. The data therefore has every series
either fill a block or be absent from it, so both answers must agree for any window.
"""

import json
import sys
from datetime import datetime, timedelta, timezone

from prometheus_api_client import MetricRangeDataFrame, MetricSnapshotDataFrame, PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException


def labels_key(item):
    return json.dumps(item.get("metric", item), sort_keys=True, ensure_ascii=False)


def sorted_result(result, keep_order=False):
    """Vectors and series lists sorted by labels; scalars, strings and name lists as they came."""
    if keep_order or not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
        return result
    return sorted(result, key=labels_key)


def frame(data_frame):
    """A frame as plain JSON: column names, row values, the index as ISO times."""
    if data_frame.empty:
        return {"columns": list(data_frame.columns), "data": []}
    return json.loads(data_frame.to_json(orient="split", date_format="iso", double_precision=15))


def at(seconds):
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def main():
    url, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    middle = first + (last - first) // 2
    client = PrometheusConnect(url=url, disable_ssl=True)
    out = {}

    def record(name, call, keep_order=False):
        try:
            out[name] = sorted_result(call(), keep_order)
        except PrometheusApiClientException as error:
            # The status code and error text, without the body's framing, which differs in whitespace.
            out[name] = {"exception": str(error).split(" (")[0]}

    instant_queries = {
        "counter": "http_requests_total",
        "counter rate": "rate(http_requests_total[5m])",
        "gauge with tiny and huge values": "temperature_celsius",
        "gauge unicode matcher": 'temperature_celsius{city="東京"}',
        "gauge regex on unicode": 'temperature_celsius{city=~"Z.*|S.o .*"}',
        "histogram quantile": "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
        "histogram count": "request_duration_seconds_count",
        "summary": "rpc_latency_seconds",
        "summary average": "rpc_latency_seconds_sum / rpc_latency_seconds_count",
        "info": "build_info",
        "unknown": "mystery",
        "aggregation": "sum by (code) (http_requests_total)",
        "scalar": "scalar(sum(build_info))",
        "string": '"ünïcødé"',
        "ended series": "short_lived",
        "late series": "late_starter",
        "binary": "temperature_celsius * 2 > 0",
        "absent": "absent(nonexistent_metric)",
    }
    for name, query in instant_queries.items():
        for label, t in (("first", first), ("middle", middle), ("last", last), ("after", last + 600)):
            record(f"custom_query {name} @{label}", lambda q=query, t=t: client.custom_query(q, params={"time": t}))
    record(
        "custom_query sort_desc @middle",
        lambda: client.custom_query("sort_desc(temperature_celsius)", params={"time": middle}),
        keep_order=True,
    )
    record("custom_query bad query", lambda: client.custom_query("sum(", params={"time": middle}))

    range_queries = {
        "counter": "http_requests_total",
        "increase": "increase(http_requests_total[10m])",
        "gauge": "temperature_celsius",
        "histogram quantile": "histogram_quantile(0.5, rate(request_duration_seconds_bucket[5m]))",
        "ended series": "short_lived",
        "late series": "late_starter",
    }
    # Ranges that start before the first sample and end after the last one, and one wholly inside.
    windows = {
        "across both edges": (first - 1800, last + 1800, "300"),
        "leading edge": (first - 600, first + 600, "60"),
        "trailing edge": (last - 600, last + 900, "45"),
        "inside": (middle - 900, middle + 900, "15"),
    }
    range_results = {}
    for name, query in range_queries.items():
        for window, (start, end, step) in windows.items():
            key = f"custom_query_range {name} {window}"
            record(key, lambda q=query, s=start, e=end, st=step: client.custom_query_range(q, at(s), at(e), st))
            range_results[key] = out[key]

    for name, labels in (("unicode city", {"city": "東京"}), ("all cities", None)):
        key = f"get_metric_range_data temperature_celsius {name}"
        record(key, lambda l=labels: client.get_metric_range_data(
            "temperature_celsius", label_config=l, start_time=at(middle - 3600), end_time=at(middle), chunk_size=timedelta(minutes=20)))
    record("get_metric_range_data counter across the last sample", lambda: client.get_metric_range_data(
        "http_requests_total", label_config={"code": "500"}, start_time=at(last - 900), end_time=at(last + 900)))

    record("all_metrics", client.all_metrics)
    record("all_metrics in the first block", lambda: client.all_metrics(params={"start": first, "end": first + 7199}))
    record("all_metrics in the last block", lambda: client.all_metrics(params={"start": first + 14400, "end": last}))
    record("all_metrics after the data", lambda: client.all_metrics(params={"start": last + 7200, "end": last + 9000}))
    record("get_label_values phase in the middle block", lambda: client.get_label_values(
        "phase", params={"start": first + 7200, "end": first + 14399}))
    record("get_label_values phase in the first block", lambda: client.get_label_values(
        "phase", params={"start": first + 60, "end": first + 3600}))
    for label in ("city", "code", "path", "le", "quantile", "version", "emoji", "phase", "__name__", "nonexistent"):
        record(f"get_label_values {label}", lambda l=label: client.get_label_values(l))
    record("get_label_values city matching", lambda: client.get_label_values(
        "city", params={"match[]": 'temperature_celsius{city!="Zürich"}'}))
    record("get_label_names", client.get_label_names)
    record("get_label_names matching", lambda: client.get_label_names(params={"match[]": "rpc_latency_seconds"}))
    record("get_series unicode", lambda: client.get_series(at(first), at(last), params={"match[]": "temperature_celsius"}))
    record("get_series after the short-lived series ended", lambda: client.get_series(
        at(last - 600), at(last), params={"match[]": '{__name__=~"short_lived|late_starter"}'}))

    # The same calls over POST, which this client sends for /query, /query_range and /labels when asked to.
    post = PrometheusConnect(url=url, disable_ssl=True, method="POST")
    record("POST custom_query counter @middle", lambda: post.custom_query("http_requests_total", params={"time": middle}))
    record("POST custom_query_range unicode gauge", lambda: post.custom_query_range(
        'temperature_celsius{city="東京"}', at(first), at(middle), "600"))
    record("POST get_label_names in the first block", lambda: post.get_label_names(params={"start": first, "end": first + 7199}))

    # Statistics the client computes with numpy over one series' range answer (one series, so no order matters).
    def aggregation():
        values = client.get_metric_aggregation(
            'temperature_celsius{city="Zürich"}',
            ["sum", "max", "min", "variance", "percentile_50", "deviation", "average"],
            start_time=at(first), end_time=at(last), step="120")
        return {name: float(value) for name, value in values.items()}
    record("get_metric_aggregation", aggregation)

    # Metadata comes from scrapes, and neither server scraped anything: both must say so the same way.
    record("get_metric_metadata", lambda: client.get_metric_metadata("temperature_celsius"))
    record("get_target_metadata", lambda: client.get_target_metadata({"job": "shop"}))
    record("get_scrape_pools", client.get_scrape_pools)

    # The frames users build from those answers.
    for label in ("first", "middle", "last"):
        for name in ("counter", "gauge with tiny and huge values", "summary", "histogram quantile"):
            result = out[f"custom_query {name} @{label}"]
            if isinstance(result, list) and result:
                out[f"MetricSnapshotDataFrame {name} @{label}"] = frame(MetricSnapshotDataFrame(result))
    for key, result in range_results.items():
        if isinstance(result, list) and result:
            out[f"MetricRangeDataFrame {key}"] = frame(MetricRangeDataFrame(result))

    json.dump(out, sys.stdout, sort_keys=True, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
