"""Prints the OpenMetrics data both servers are loaded with in the API client differential test.

Usage: openmetrics.py FIRST, the Unix second of the first sample, a multiple of two hours. Six
hours of samples at a 30 s step, one family per metric type, label values in several scripts and with quotes and
backslashes, values from 1e-07 to 1e+21, a counter reset, a series that ends early and one that
starts late, each filling whole two-hour blocks (see drive.py for why). Values are printed with repr(), which round-trips, so both servers store the same
doubles.
"""

import sys

STEP = 30
POINTS = 720  # six hours: three two-hour blocks
BLOCK = 240  # points per two-hour block


def escape(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labels(pairs):
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{escape(value)}"' for name, value in pairs) + "}"


def main():
    first = int(sys.argv[1])
    lines = []

    def sample(name, pairs, value, i):
        lines.append(f"{name}{labels(pairs)} {value!r} {first + i * STEP}")

    lines += ["# TYPE http_requests counter", "# HELP http_requests Requests served, by path."]
    for pairs, value in (
        ((("code", "200"), ("method", "GET"), ("path", "/ünïcødé/пример")), lambda i: float(i * 3 + i % 7 if i < 300 else (i - 300) * 2)),
        ((("code", "500"), ("method", "POST"), ("path", "/api/🚀")), lambda i: float(i // 10)),
    ):
        for i in range(POINTS):
            sample("http_requests_total", pairs, value(i), i)

    lines += ["# TYPE temperature_celsius gauge", "# UNIT temperature_celsius celsius", "# HELP temperature_celsius Temperature by city."]
    for city, value in (
        ("Zürich", lambda i: ((i * 37) % 100) / 10 - 3.3),
        ("東京", lambda i: 1e-7 * (i % 5 + 1)),
        ("São Paulo", lambda i: 1e21 * (i % 3 + 1)),
        ('New "York" \\ City', lambda i: -0.25 * (i % 9)),
    ):
        for i in range(POINTS):
            sample("temperature_celsius", (("city", city),), value(i), i)

    lines += ["# TYPE request_duration_seconds histogram", "# HELP request_duration_seconds Time to answer."]
    for i in range(POINTS):
        for le, count in (("0.1", i * 2), ("0.5", i * 3), ("+Inf", i * 4)):
            sample("request_duration_seconds_bucket", (("handler", "/q"), ("le", le)), float(count), i)
        sample("request_duration_seconds_count", (("handler", "/q"),), float(i * 4), i)
        sample("request_duration_seconds_sum", (("handler", "/q"),), i * 0.7, i)

    lines += ["# TYPE rpc_latency_seconds summary", "# HELP rpc_latency_seconds RPC latency."]
    for i in range(POINTS):
        sample("rpc_latency_seconds", (("quantile", "0.5"),), 0.01 * (i % 10 + 1), i)
        sample("rpc_latency_seconds", (("quantile", "0.99"),), 0.2 + 0.001 * i, i)
        sample("rpc_latency_seconds_count", (), float(i), i)
        sample("rpc_latency_seconds_sum", (), i * 0.05, i)

    lines += ["# TYPE build info", "# HELP build Version of the build."]
    for i in range(POINTS):
        sample("build_info", (("emoji", "🚀"), ("version", "1.2.3")), 1.0, i)

    lines += ["# TYPE mystery unknown"]
    for i in range(POINTS):
        sample("mystery", (), 42.5, i)

    lines += ["# TYPE short_lived gauge"]
    for i in range(BLOCK):
        sample("short_lived", (("phase", "early"),), float(i), i)

    lines += ["# TYPE late_starter gauge"]
    for i in range(2 * BLOCK, POINTS):
        sample("late_starter", (("phase", "late"),), float(i), i)

    lines.append("# EOF")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
