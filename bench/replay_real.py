#!/usr/bin/env python3
"""Stretch a few recorded scrapes into a day of samples, written as OpenMetrics for all three stores.

    bench/replay_real.py RECORDED_DIR OUT.om [--hours 24] [--step 15]

RECORDED_DIR holds `<job>-<n>.txt` files: consecutive scrapes of one target's /metrics (Prometheus text
format), and `<job>-times.txt` with each scrape's time in seconds. For every series the recording shows
what kind it is, and the replay continues it that way for the whole span, deterministically:

- a value that did not change across the recording stays constant, with a rare step (a config reload,
  a mount, a restart of something) about once a day for one series in ten;
- a counter (TYPE counter, or a histogram/summary's _bucket/_count/_sum) grows at its recorded rate,
  each step's increment varying by ±30 %, rounded to the decimals its recorded values had;
- any other changing value wanders around its recorded mean, with the recorded spread, again with the
  recorded number of decimals.

Timestamps are exact multiples of the step, offset per job, as aligned scrapes are.
"""
import math
import random
import re
import sys
import zlib
from pathlib import Path

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{series key: value} and {metric family: type} of one exposition."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind.strip()
            continue
        if not line or line.startswith('#'):
            continue
        match = LINE.match(line)
        if not match:
            continue
        name, labels, value = match.group(1), match.group(2) or '', match.group(3)
        pairs = tuple(sorted(LABEL.findall(labels)))
        try:
            samples[(name, pairs)] = float(value)
        except ValueError:
            continue
    return samples, types


def decimals(value):
    """Digits after the point in the shortest representation; None when it needs an exponent or is not finite."""
    if not math.isfinite(value):
        return None
    text = repr(value)
    if 'e' in text or 'E' in text:
        return None
    return len(text.split('.')[1].rstrip('0')) if '.' in text else 0


def significant_digits(value):
    """Significant digits of the shortest representation, for values written with an exponent."""
    mantissa = repr(value).lower().split('e')[0].replace('-', '').replace('.', '').lstrip('0')
    return max(len(mantissa), 1)


def family_type(name, types):
    for suffix in ('', '_total', '_bucket', '_count', '_sum', '_created', '_info'):
        if suffix and name.endswith(suffix) and name[: -len(suffix)] in types:
            return types[name[: -len(suffix)]], suffix
        if not suffix and name in types:
            return types[name], ''
    return 'untyped', ''


def main():
    args = sys.argv[1:]
    hours = float(args[args.index('--hours') + 1]) if '--hours' in args else 24
    step = int(args[args.index('--step') + 1]) if '--step' in args else 15
    recorded, out = Path(args[0]), Path(args[1])
    rng = random.Random(20260516)
    start_ms = 1_700_000_000_000
    steps = int(hours * 3600 / step)
    series = []  # (name, labels, generator)
    for job_index, times_file in enumerate(sorted(recorded.glob('*-times.txt'))):
        job = times_file.name[: -len('-times.txt')]
        times = [float(t) for t in times_file.read_text().split()]
        scrapes = [parse((recorded / f'{job}-{i}.txt').read_text()) for i in range(len(times))]
        types = scrapes[-1][1]
        elapsed = max(times[-1] - times[0], 1e-3)
        for key in scrapes[-1][0]:
            values = [s[0][key] for s in scrapes if key in s[0]]
            name, pairs = key
            kind, suffix = family_type(name, types)
            places = [decimals(v) for v in values]
            # Decimal places where the recording had them, else (exponent notation) significant digits as a negative.
            if any(p is None for p in places):
                places = -max(significant_digits(v) for v in values if math.isfinite(v)) if any(math.isfinite(v) for v in values) else None
            else:
                places = max(places)
            counter = kind == 'counter' or suffix in ('_bucket', '_count', '_sum') and kind in ('histogram', 'summary')
            changed = len(set(values)) > 1
            series.append((name, pairs + (('replay_job', job),), job_index, counter, changed, values, elapsed, places, rng.random()))

    def generate(entry):
        _, _, job_index, counter, changed, values, elapsed, places, draw = entry
        local = random.Random(zlib.crc32(repr((entry[0], entry[1])).encode()))
        def rounded(v):
            if places is None or not math.isfinite(v):
                return v
            return round(v, places) if places >= 0 else float(f'{v:.{-places}g}')
        value = values[0]
        if not changed:
            # One series in ten steps about once a day; the rest never change.
            steppy = draw < 0.1
            for _ in range(steps):
                if steppy and local.random() < step / 86400:
                    value = rounded(value + (abs(value) * 0.01 or 1) * local.choice((-1, 1)))
                yield value
            return
        if counter:
            rate = max(values[-1] - values[0], 0) / elapsed * step
            for _ in range(steps):
                yield value
                value = rounded(value + rate * local.uniform(0.7, 1.3))
            return
        mean = sum(values) / len(values)
        spread = max(values) - min(values)
        for _ in range(steps):
            yield value
            # Mean-reverting walk with the recorded spread.
            value = rounded(value + (mean - value) * 0.05 + local.gauss(0, spread / 4))

    series.sort(key=lambda s: (s[0], s[1]))
    total = 0
    with out.open('w') as file:
        for entry in series:
            name, pairs, job_index = entry[0], entry[1], entry[2]
            label_text = ','.join(f'{k}="{v}"' for k, v in pairs)
            head = f'{name}{{{label_text}}} '
            offset = job_index * 1_000 + 7
            lines = []
            for index, value in enumerate(generate(entry)):
                t = start_ms + offset + index * step * 1000
                text = repr(float(value)) if math.isfinite(value) else ('NaN' if math.isnan(value) else ('+Inf' if value > 0 else '-Inf'))
                lines.append(f'{head}{text} {t // 1000}.{t % 1000:03d}\n')
            file.write(''.join(lines))
            total += len(lines)
        file.write('# EOF\n')
    print(f'{len(series)} series, {total} samples over {hours:g} h at {step} s')


if __name__ == '__main__':
    main()
