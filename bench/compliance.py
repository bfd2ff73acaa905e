#!/usr/bin/env python3
"""PromQL compliance: Vigil against Debian's Prometheus on the same data, over the compliance tester's query list.

The queries come from ../shared/conformance/compliance/promql-test-queries.yml (read at run time, never copied).
Their `{{.name}}` placeholders expand over the variant arguments below; the data is demo-service-shaped series
made here, written once as OpenMetrics and loaded into both stores (`promtool tsdb create-blocks-from openmetrics`
and `vigil tsdb import`). A list of our own queries (EXTRA_CASES) follows the compliance list. Each query runs as
a range query over the last ten minutes at a 10 s step and over the whole two hours at an unaligned 67 s step, and
as an instant query at two times. Answers must agree: both fail, or the same result type, the same series and
timestamps written alike, and values equal to a relative 1e-5 (NaN equal to NaN).

    bench/compliance.py --vigil .build/release/vigil [--shared ../shared] [--only SUBSTRING] [--keep DIR] [--quick]

Prints one line per disagreement, every exclusion with its reason, and `N passed, N failed`; exits 1 on a failure.
"""
import argparse
import itertools
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

# The values each placeholder takes, as the compliance tester varies them.
VARIANT_ARGS = {
    'range': ['1s', '15s', '1m', '5m', '15m', '1h'],
    'offset': ['1m', '5m', '10m'],
    'simpleAggrOp': ['sum', 'avg', 'max', 'min', 'count', 'stddev', 'stdvar', 'group'],
    'topBottomOp': ['topk', 'bottomk'],
    'quantile': ['-0.5', '0.1', '0.5', '0.75', '0.95', '0.90', '0.99', '1', '1.5'],
    'arithBinOp': ['+', '-', '*', '/', '%', '^'],
    'compBinOp': ['==', '!=', '<', '>', '<=', '>='],
    'binOp': ['+', '-', '*', '/', '%', '^', '==', '!=', '<', '>', '<=', '>='],
    'simpleMathFunc': ['abs', 'ceil', 'floor', 'exp', 'sqrt', 'ln', 'log2', 'log10', 'round'],
    'extrapolatedRateFunc': ['delta', 'rate', 'increase'],
    'clampFunc': ['clamp_min', 'clamp_max'],
    'instantRateFunc': ['idelta', 'irate'],
    'dateFunc': ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'],
    'smoothingFactor': ['0.1', '0.5', '0.8'],
    'trendFactor': ['0.1', '0.5', '0.8'],
    'simpleTimeAggrOp': ['sum', 'avg', 'max', 'min', 'count', 'stddev', 'stdvar', 'last', 'present'],
}

# Queries of our own, for semantics the list does not reach: modifiers, set operators, more functions.
EXTRA_CASES = [{'query': q} for q in [
    'demo_memory_usage_bytes @ end()', 'demo_memory_usage_bytes @ start()', 'rate(demo_cpu_usage_seconds_total[5m] @ end())',
    'demo_memory_usage_bytes offset 5m @ end()', 'sum_over_time(demo_num_cpus[10m:1m] @ start())',
    'rate(demo_cpu_usage_seconds_total[5m:30s])', 'max_over_time(deriv(demo_disk_usage_bytes[5m])[30m:1m])',
    'min_over_time(rate(demo_cpu_usage_seconds_total[1m])[7m:13s] offset 3m)', 'demo_memory_usage_bytes[5m:1m]',
    'absent_over_time(demo_intermittent_metric[5m])', 'absent_over_time(nonexistent[5m])', 'absent(demo_intermittent_metric)',
    'last_over_time(demo_intermittent_metric[10m])', 'present_over_time(demo_intermittent_metric[3m])',
    'sort(demo_memory_usage_bytes)', 'sort_desc(demo_memory_usage_bytes)', 'scalar(demo_num_cpus)',
    'scalar(sum(demo_num_cpus))', 'demo_memory_usage_bytes * scalar(max(demo_num_cpus))',
    'demo_memory_usage_bytes and demo_memory_usage_bytes{type="free"}', 'demo_memory_usage_bytes or demo_num_cpus',
    'demo_memory_usage_bytes unless on(instance) demo_num_cpus > 2', 'demo_num_cpus > 2 or on() vector(0)',
    'demo_memory_usage_bytes / ignoring(type) group_left demo_num_cpus', 'demo_num_cpus / ignoring(type) group_right demo_memory_usage_bytes',
    'sum by(instance) (demo_memory_usage_bytes) / on(instance) group_left(mode) demo_cpu_usage_seconds_total',
    'count_values by(instance) ("cpus", demo_num_cpus)', 'count_values("le", demo_num_cpus)',
    'quantile by(type) (0.5, demo_memory_usage_bytes)', 'topk by(type) (1, demo_memory_usage_bytes)',
    'bottomk(2, demo_num_cpus)', 'topk(scalar(min(demo_num_cpus)), demo_memory_usage_bytes)',
    'histogram_quantile(0.9, sum by(le) (rate(demo_api_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.5, sum by(le, method) (rate(demo_api_request_duration_seconds_bucket[1m])))',
    'histogram_quantile(0.99, rate(demo_api_request_duration_seconds_bucket{le!="+Inf"}[5m]))',
    'rate(demo_api_request_duration_seconds_sum[5m]) / rate(demo_api_request_duration_seconds_count[5m])',
    'stddev_over_time(demo_disk_usage_bytes[15m])', 'stdvar_over_time(demo_memory_usage_bytes[1h])',
    'quantile_over_time(0.3, demo_memory_usage_bytes[7m])', 'count_over_time(demo_intermittent_metric[20m])',
    'increase(demo_cpu_usage_seconds_total[1h])', 'resets(demo_cpu_usage_seconds_total[2h])',
    'changes(demo_batch_last_success_timestamp_seconds[1h])', 'time() - demo_batch_last_success_timestamp_seconds',
    'sgn(deriv(demo_disk_usage_bytes[10m]))', 'deg(demo_num_cpus)', 'rad(demo_num_cpus)', 'sin(demo_num_cpus)',
    'cos(demo_num_cpus)', 'tan(demo_num_cpus)', 'asin(demo_num_cpus / 10)', 'acos(demo_num_cpus / 10)', 'atan(demo_num_cpus)',
    'sinh(demo_num_cpus)', 'cosh(demo_num_cpus)', 'tanh(demo_num_cpus)', 'asinh(demo_num_cpus)', 'acosh(demo_num_cpus)',
    'atanh(demo_num_cpus / 10)', 'pi()', 'round(demo_memory_usage_bytes, 1000)', 'round(demo_memory_usage_bytes / 3, 0.1)',
    'demo_num_cpus atan2 demo_num_cpus', '2 ^ 3 ^ 2', '-2 ^ 2', '(-2) ^ 0.5', '5 % -3', '-5 % 3', '1 / 0', '-1 / 0', '0 / 0',
    'demo_memory_usage_bytes % 1e6', 'demo_num_cpus == bool 4', 'demo_num_cpus == 4', 'vector(1) == 1',
    'label_join(demo_num_cpus, "x", "", "instance", "job", "instance")', 'label_replace(demo_num_cpus, "x", "$0$0", "job", ".+")',
    'label_replace(demo_num_cpus, "x", "${1}b", "job", "(d)emo")', 'timestamp(demo_intermittent_metric)',
    'day_of_week(vector(1700000000))', 'hour(demo_batch_last_success_timestamp_seconds)', 'minute()', 'year(vector(-1))',
    'days_in_month(vector(1709164800))', 'sum(demo_memory_usage_bytes) by (type) > 1e9',
    'avg by(instance) (rate(demo_cpu_usage_seconds_total{mode!="idle"}[2m]))', 'group by(instance) (demo_memory_usage_bytes)',
    'count(count by(instance) (demo_memory_usage_bytes))', 'max by(__name__) ({__name__=~"demo_.*_bytes"})',
    'sum without(__name__) ({__name__=~"demo_(num_cpus|disk_total_bytes)"})', '{__name__=~"demo_num.*"} offset 1h',
    'demo_num_cpus offset -5m', 'irate(demo_cpu_usage_seconds_total[1m] offset 30m)', 'idelta(demo_disk_usage_bytes[30s])',
    'delta(demo_memory_usage_bytes[1m])', 'holt_winters(demo_memory_usage_bytes[5m], 0.3, 0.7)',
    'predict_linear(demo_memory_usage_bytes[15m], 3600)', 'deriv(demo_memory_usage_bytes[1m])',
    'clamp(demo_memory_usage_bytes, 1e9, 2e9)', 'clamp_min(demo_num_cpus, 4)', 'clamp_max(demo_num_cpus, 4)',
    'exp(demo_num_cpus * 200)', 'ln(-demo_num_cpus)', 'sqrt(-1)', 'demo_memory_usage_bytes{type=~"fr.*|us.d"}',
    'demo_memory_usage_bytes{type!~"f.*", instance=~".*1"}', 'demo_memory_usage_bytes{type=~""}', '{job="demo", type=""}',
    'sum(rate(demo_cpu_usage_seconds_total[5m])) by (mode) / ignoring(mode) group_left sum(rate(demo_cpu_usage_seconds_total[5m]))',
    'stddev by(type) (demo_memory_usage_bytes)', 'stdvar(demo_num_cpus)', 'avg(demo_num_cpus * 1e308)', 'sum(demo_num_cpus * 1e308)',
    '"a string"', 'scalar(vector(1)) + 2', 'vector(scalar(demo_num_cpus))', 'absent(demo_num_cpus{instance="x"})',
    'absent(sum(nonexistent))', 'absent(nonexistent{job="a", job="b"})', 'absent(nonexistent{job=~"a"})',
] + [template.replace('W', 'demo_weird_values') for template in [
    'W', 'sum(W)', 'avg(W)', 'min(W)', 'max(W)', 'stddev(W)', 'stdvar(W)', 'count(W)', 'group(W)', 'quantile(0.5, W)',
    'topk(2, W)', 'bottomk(2, W)', 'sort(W)', 'sort_desc(W)', 'count_values("v", W)', 'W > 0', 'W == W', 'W != W',
    'W < bool 1', '-W', 'abs(W)', 'sgn(W)', 'ceil(W)', 'round(W)', 'round(W, 0.5)', 'exp(W)', 'ln(W)', 'sqrt(W)', 'W ^ 2',
    'W % 3', 'W / 0', '0 / W', 'clamp(W, -1, 1)', 'clamp_min(W, 0)', 'clamp_max(W, 0)', 'W * on(instance) demo_num_cpus',
    'W atan2 1', 'min_over_time(W[1m])', 'max_over_time(W[1m])', 'avg_over_time(W[1m])', 'sum_over_time(W[1m])',
    'stddev_over_time(W[1m])', 'quantile_over_time(0.5, W[1m])', 'last_over_time(W[1m])', 'changes(W[1m])',
    'resets(W[1m])', 'delta(W[1m])', 'deriv(W[1m])', 'rate(W[1m])', 'irate(W[1m])', 'idelta(W[1m])',
    'predict_linear(W[1m], 60)', 'holt_winters(W[1m], 0.5, 0.5)', 'timestamp(W)', 'scalar(W)', 'histogram_quantile(0.5, W)',
    'label_replace(W, "v", "$1", "instance", "(.*)")', 'max by(job) (W) - min by(job) (W)', 'W and W > 0',
    'W unless W < 0', 'sum(W) by (instance) / count(W) by (instance)', 'topk(1, W) by (instance)',
]]]

# Queries left out, each with its reason; matched as whole expanded queries.
EXCLUSIONS = {}

INSTANCES = ['demo.promlabs.com:10000', 'demo.promlabs.com:10001', 'demo.promlabs.com:10002']
SCRAPE_INTERVAL = 5
HISTORY = 2 * 3600
BUCKETS = ['0.0002', '0.0004', '0.0008', '0.0016', '0.0032', '0.0064', '0.0128', '0.0256', '0.0512', '0.1024', '0.2048', '+Inf']


def demo_openmetrics(end, rng):
    """Two hours of demo-service-shaped series for three instances, each series in time order, as OpenMetrics."""
    start = end - HISTORY
    times = list(range(start, end + 1, SCRAPE_INTERVAL))
    families = []

    def family(name, kind, series):
        families.append((name, kind, series))

    def labels(instance, **extra):
        pairs = [('instance', instance), ('job', 'demo')] + sorted(extra.items())
        return '{' + ','.join(f'{k}="{v}"' for k, v in pairs) + '}'

    memory, cpus, cpu, disk, disk_total, batch, intermittent, buckets = [], [], [], [], [], [], [], []
    for n, instance in enumerate(INSTANCES):
        cores = [2, 4, 8][n]
        cpus.append((labels(instance), [(t, cores) for t in times]))
        for kind, base in [('free', 1.2e9), ('used', 2.5e9), ('cached', 6e8), ('buffers', 1.5e8)]:
            value, points = base, []
            for t in times:
                value = max(0.0, value + rng.gauss(0, base / 200))
                points.append((t, round(value, 3)))
            memory.append((labels(instance, type=kind), points))
        for mode, share in [('idle', 0.7), ('user', 0.2), ('system', 0.1)]:
            value, points = 0.0, []
            # The second instance restarts an hour in, so its counters reset.
            for t in times:
                if n == 1 and t == start + 3600:
                    value = 0.0
                value += cores * SCRAPE_INTERVAL * share * rng.uniform(0.8, 1.2)
                points.append((t, round(value, 6)))
            cpu.append((labels(instance, mode=mode), points))
        used, points = 3e10 + n * 1e9, []
        for t in times:
            used += rng.uniform(-2e5, 1e6)
            points.append((t, round(used)))
        disk.append((labels(instance), points))
        disk_total.append((labels(instance), [(t, 1e11) for t in times]))
        last, points = start - 300, []
        for t in times:
            if t - last >= 300 + 60 * n and rng.random() < 0.3:
                last = t
            points.append((t, last + 0.5))
        batch.append((labels(instance), points))
        # Present for five minutes out of every fifteen, then gone longer than the lookback.
        intermittent.append((labels(instance), [(t, 1) for t in times if (t - start) % 900 < 300]))
        for method, path in [('GET', '/api/foo'), ('POST', '/api/bar')]:
            counts = [0.0] * len(BUCKETS)
            total, seconds = 0.0, 0.0
            series = {le: [] for le in BUCKETS}
            sums, totals = [], []
            for t in times:
                for _ in range(rng.randint(5, 40)):
                    latency = rng.lognormvariate(math.log(0.01 + 0.005 * n), 0.8)
                    seconds += latency
                    total += 1
                    for i, le in enumerate(BUCKETS):
                        if le == '+Inf' or latency <= float(le):
                            counts[i] += 1
                for i, le in enumerate(BUCKETS):
                    series[le].append((t, counts[i]))
                sums.append((t, round(seconds, 6)))
                totals.append((t, total))
            for le in BUCKETS:
                buckets.append((labels(instance, le=le, method=method, path=path, status='200'), series[le], '_bucket'))
            buckets.append((labels(instance, method=method, path=path, status='200'), sums, '_sum'))
            buckets.append((labels(instance, method=method, path=path, status='200'), totals, '_count'))

    # Values that arithmetic and ordering treat specially: NaN, infinities, signed zero, extremes.
    specials = [float('nan'), float('inf'), float('-inf'), -0.0, 0.0, 1e308, -1e308, 5e-324, 42.0, -7.5]
    weird = []
    for n, instance in enumerate(INSTANCES):
        weird.append((labels(instance), [(t, specials[(i * (n + 1) + n) % len(specials)]) for i, t in enumerate(times)]))
    family('demo_weird_values', 'gauge', weird)
    family('demo_memory_usage_bytes', 'gauge', memory)
    family('demo_num_cpus', 'gauge', cpus)
    family('demo_cpu_usage_seconds', 'counter', [(l, p, '_total') for l, p in cpu])
    family('demo_disk_usage_bytes', 'gauge', disk)
    family('demo_disk_total_bytes', 'gauge', disk_total)
    family('demo_batch_last_success_timestamp_seconds', 'gauge', batch)
    family('demo_intermittent_metric', 'gauge', intermittent)
    family('demo_api_request_duration_seconds', 'histogram', buckets)

    out = []
    for name, kind, series in families:
        out.append(f'# TYPE {name} {kind}\n')
        for entry in series:
            label_text, points = entry[0], entry[1]
            suffix = entry[2] if len(entry) > 2 else ''
            for t, v in points:
                out.append(f'{name}{suffix}{label_text} {format_value(v)} {t}\n')
    out.append('# EOF\n')
    return ''.join(out)


def format_value(v):
    if isinstance(v, float) and math.isnan(v):
        return 'NaN'
    if isinstance(v, float) and math.isinf(v):
        return '+Inf' if v > 0 else '-Inf'
    if isinstance(v, float) and v == 0 and math.copysign(1, v) < 0:
        return '-0'
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def expand(case):
    """Every query a test case stands for: its placeholders filled with each combination of variant arguments."""
    query = case['query']
    names = case.get('variant_args') or []
    if not names:
        return [query]
    out = []
    for values in itertools.product(*(VARIANT_ARGS[n] for n in names)):
        text = query
        for n, v in zip(names, values):
            text = text.replace('{{.' + n + '}}', v)
        out.append(text)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def get(base, path, params):
    url = base + path + '?' + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            # Numbers stay as their text, so timestamps compare byte for byte (`1.5` is not `1.500`).
            return response.status, json.loads(response.read(), parse_float=str, parse_int=str)
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, {'status': 'error', 'error': body.decode('utf-8', 'replace')}


def wait_ready(base, process, name):
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f'{name} exited with status {process.returncode}')
        try:
            with urllib.request.urlopen(base + '/-/ready', timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    sys.exit(f'{name} did not become ready')


def approx_equal(a, b):
    try:
        fa, fb = float(a), float(b)
    except ValueError:
        return a == b  # string results
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    if fa == fb:
        return True
    return abs(fa - fb) <= 1e-5 * max(abs(fa), abs(fb))


def normalise(result_type, result):
    """Series sorted by labels; scalars and strings as one point."""
    if result_type in ('scalar', 'string'):
        return [({}, [result])]
    series = []
    for item in result:
        points = item.get('values') or ([item['value']] if 'value' in item else [])
        series.append((item['metric'], points))
    return sorted(series, key=lambda s: sorted(s[0].items()))


def compare(reference, vigil):
    """None when the answers agree, else what differs."""
    (ref_code, ref), (vig_code, vig) = reference, vigil
    if ref.get('status') != 'success' or vig.get('status') != 'success':
        if ref.get('status') == vig.get('status'):
            return None
        return f'Prometheus {ref_code} {ref.get("error", "ok")!r}; Vigil {vig_code} {vig.get("error", "ok")!r}'
    rd, vd = ref['data'], vig['data']
    if rd['resultType'] != vd['resultType']:
        return f'result type {rd["resultType"]} against {vd["resultType"]}'
    rs, vs = normalise(rd['resultType'], rd['result']), normalise(vd['resultType'], vd['result'])
    if [s[0] for s in rs] != [s[0] for s in vs]:
        only_ref = [s[0] for s in rs if s[0] not in [v[0] for v in vs]]
        only_vig = [s[0] for s in vs if s[0] not in [r[0] for r in rs]]
        return f'series differ ({len(rs)} against {len(vs)}): only Prometheus {only_ref[:2]}, only Vigil {only_vig[:2]}'
    for (labels, rp), (_, vp) in zip(rs, vs):
        if [p[0] for p in rp] != [p[0] for p in vp]:
            missing = sorted(set(p[0] for p in rp) ^ set(p[0] for p in vp))
            return f'{labels}: timestamps differ ({len(rp)} against {len(vp)} points; first difference at {missing[:1]})'
        for (t, a), (_, b) in zip(rp, vp):
            if not approx_equal(a, b):
                return f'{labels} at {t}: {a} against {b}'
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument('--vigil', required=True)
    parser.add_argument('--shared', default=os.path.join(here, '..', '..', 'shared'))
    parser.add_argument('--prometheus', default='/usr/bin/prometheus')
    parser.add_argument('--promtool', default='/usr/bin/promtool')
    parser.add_argument('--only', help='run only the expanded queries containing this text')
    parser.add_argument('--keep', help='keep the data and logs in this directory')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--quick', action='store_true',
                        help='one range query (the last ten minutes) and one instant query per expression, as the test suite runs it')
    args = parser.parse_args()

    with open(os.path.join(args.shared, 'conformance/compliance/promql-test-queries.yml')) as f:
        cases = yaml.safe_load(f)['test_cases'] + EXTRA_CASES
    work = args.keep or tempfile.mkdtemp(prefix='vigil-compliance-')
    os.makedirs(work, exist_ok=True)
    processes = []
    try:
        # Data ends on a whole minute a few minutes ago, so both servers see it as recent and complete.
        end = int(time.time()) // 60 * 60 - 300
        om = os.path.join(work, 'demo.om')
        with open(om, 'w') as f:
            f.write(demo_openmetrics(end, random.Random(args.seed)))
        prometheus_data, vigil_store = os.path.join(work, 'prometheus'), os.path.join(work, 'vigil', 'vigil.db')
        for path in (prometheus_data, os.path.dirname(vigil_store)):
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
        subprocess.run([args.promtool, 'tsdb', 'create-blocks-from', 'openmetrics', om, prometheus_data],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.vigil, 'tsdb', 'import', om, '--storage.path', vigil_store], check=True, stdout=subprocess.DEVNULL)

        config = os.path.join(work, 'empty.yml')
        with open(config, 'w') as f:
            f.write('global:\n  evaluation_interval: 1h\nscrape_configs: []\n')
        prometheus_port, vigil_port, api_port = free_port(), free_port(), free_port()
        logs = open(os.path.join(work, 'servers.log'), 'w')
        processes.append(subprocess.Popen(
            [args.prometheus, f'--config.file={config}', f'--storage.tsdb.path={prometheus_data}',
             f'--web.listen-address=127.0.0.1:{prometheus_port}', '--storage.tsdb.retention.time=30d'],
            stdout=logs, stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [args.vigil, 'serve', '--config.file', config, '--storage.path', vigil_store,
             '--web.listen-address', f'127.0.0.1:{vigil_port}', '--api.listen-address', f'127.0.0.1:{api_port}',
             '--log.level', 'warning'],
            stdout=logs, stderr=subprocess.STDOUT))
        reference, vigil = f'http://127.0.0.1:{prometheus_port}', f'http://127.0.0.1:{vigil_port}'
        wait_ready(reference, processes[0], 'prometheus')
        wait_ready(vigil, processes[1], 'vigil')

        passed, failed, excluded = 0, [], []
        with_data = set()  # queries whose Prometheus answer was not empty, so a pass compared something
        for case in cases:
            for query in expand(case):
                if args.only and args.only not in query:
                    continue
                if query in EXCLUSIONS:
                    excluded.append((query, EXCLUSIONS[query]))
                    continue
                requests = [('/api/v1/query_range', {'query': query, 'start': end - 600, 'end': end, 'step': 10}),
                            ('/api/v1/query', {'query': query, 'time': end - 3600 - 7.5})]
                if not args.quick:
                    requests += [
                        ('/api/v1/query_range', {'query': query, 'start': end - 7193, 'end': end + 120, 'step': 67}),
                        ('/api/v1/query', {'query': query, 'time': end})]
                problem = None
                for path, params in requests:
                    ref, vig = get(reference, path, params), get(vigil, path, params)
                    if ref[1].get('status') == 'success' and ref[1]['data']['result'] not in ([], None):
                        with_data.add(query)
                    if case.get('should_fail') and ref[1].get('status') == 'success':
                        problem = f'{path}: expected to fail, Prometheus answered'
                    problem = problem or compare(ref, vig)
                    if problem:
                        problem = f'{path} {params.get("time", "")}: {problem}'
                        break
                if problem:
                    failed.append((query, problem))
                else:
                    passed += 1
        for query, problem in failed:
            print(f'FAIL {query}\n     {problem}')
        for query, reason in excluded:
            print(f'excluded {query}: {reason}')
        print(f'compliance: {passed} passed, {len(failed)} failed, {len(excluded)} excluded; '
              f'{len(with_data)} queries had a non-empty answer from Prometheus')
        return 1 if failed else 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
