"""Sends the samples of an OpenMetrics file at or after --from (ms) to a Prometheus remote-write receiver.

For bench/startup.sh: Prometheus's own head (its WAL) gets the newest hours of the same samples Vigil
stores, so that its start-up replays a WAL as it would after any restart. Samples go in time order, one
request per --steps timestamps, so the receiving head accepts them in order. Standard library only:
the protobuf messages are written by hand, and the snappy block holds literals only (valid snappy,
just uncompressed), which any snappy decoder reads.
"""
import argparse
import re
import struct
import sys
import urllib.request
from collections import defaultdict

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def snappy_literals(data):
    out = bytearray(varint(len(data)))
    for start in range(0, len(data), 65536):
        piece = data[start:start + 65536]
        n = len(piece) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)
        out += piece
    return bytes(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--url", required=True)
    parser.add_argument("--from", dest="start", type=int, required=True, help="first timestamp to send, ms")
    parser.add_argument("--steps", type=int, default=20, help="timestamps per request")
    args = parser.parse_args()

    # series key -> encoded labels; timestamp -> [(series key, value)]
    labels = {}
    by_time = defaultdict(list)
    with open(args.file) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE.match(line.rstrip("\n"))
            if not m:
                sys.exit(f"unexpected line: {line!r}")
            name, body, value, seconds = m.groups()
            t = round(float(seconds) * 1000)
            if t < args.start:
                continue
            key = name + "{" + body + "}"
            if key not in labels:
                pairs = [("__name__", name)] + LABEL.findall(body)
                labels[key] = b"".join(field(1, field(1, k.encode()) + field(2, v.encode())) for k, v in sorted(pairs))
            by_time[t].append((key, float(value)))

    times = sorted(by_time)
    sent = 0
    for i in range(0, len(times), args.steps):
        per_series = defaultdict(bytearray)
        for t in times[i:i + args.steps]:
            for key, value in by_time[t]:
                per_series[key] += field(2, b"\x09" + struct.pack("<d", value) + b"\x10" + varint(t))
                sent += 1
        message = b"".join(field(1, labels[key] + samples) for key, samples in per_series.items())
        request = urllib.request.Request(args.url, data=snappy_literals(message), method="POST", headers={
            "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
            "X-Prometheus-Remote-Write-Version": "0.1.0"})
        with urllib.request.urlopen(request) as response:
            if response.status // 100 != 2:
                sys.exit(f"remote write answered {response.status}")
    print(f"sent {sent} samples in {len(times)} timestamps")


main()
