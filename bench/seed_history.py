"""Writes a day of the seed API's metrics as OpenMetrics text with timestamps, for bench/query.sh.

Per instance: api_requests_total by endpoint/method/status, api_request_duration_seconds and
model_inference_duration_seconds histograms, predictions_total by outcome, api_active_requests.
Families stay contiguous, as OpenMetrics requires.
"""
import argparse
import random

BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf"]
INFERENCE = ["1e-06", "5e-06", "1e-05", "5e-05", "0.0001", "0.001", "0.01", "0.1", "0.5", "1.0", "+Inf"]
ENDPOINTS = [("/predict", "POST", "200"), ("/predict", "POST", "422"), ("/health", "GET", "200"), ("/metrics", "GET", "200")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--step", type=int, default=15)
    parser.add_argument("--end", type=int, required=True, help="unix seconds of the last sample")
    args = parser.parse_args()
    steps = int(args.hours * 3600 / args.step)
    start = args.end - (steps - 1) * args.step
    random.seed(7)
    out = []

    def series(name, labels, values):
        label_text = ",".join(f'{k}="{v}"' for k, v in labels)
        for i, v in enumerate(values):
            out.append(f"{name}{{{label_text}}} {v} {start + i * args.step}")

    def counter(rate):
        total, values = 0.0, []
        for _ in range(steps):
            total += max(0.0, random.gauss(rate, rate / 4)) * args.step
            values.append(round(total))
        return values

    instances = [f"10.0.0.{i}:8002" for i in range(args.instances)]
    out.append("# TYPE api_requests counter")
    for inst in instances:
        for endpoint, method, status in ENDPOINTS:
            series("api_requests_total", [("endpoint", endpoint), ("instance", inst), ("job", "ml-api"), ("method", method), ("status", status)],
                   counter(20 if status == "200" else 0.3))
    for family, buckets, rate in [("api_request_duration_seconds", BUCKETS, 20), ("model_inference_duration_seconds", INFERENCE, 20)]:
        out.append(f"# TYPE {family} histogram")
        for inst in instances:
            base = counter(rate)
            for index, le in enumerate(buckets):
                share = min(1.0, (index + 1) / (len(buckets) - 2)) if le != "+Inf" else 1.0
                series(f"{family}_bucket", [("instance", inst), ("job", "ml-api"), ("le", le)], [round(v * share) for v in base])
    out.append("# TYPE predictions counter")
    for inst in instances:
        for outcome in ["diabetic", "non_diabetic"]:
            series("predictions_total", [("instance", inst), ("job", "ml-api"), ("outcome", outcome)], counter(10))
    out.append("# TYPE api_active_requests gauge")
    for inst in instances:
        series("api_active_requests", [("instance", inst), ("job", "ml-api")], [random.randint(0, 12) for _ in range(steps)])
    out.append("# EOF")
    print("\n".join(out))


main()
