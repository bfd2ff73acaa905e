"""Synthetic scrape targets for bench/scrape.sh: N HTTP ports on 127.0.0.1, each serving S series.

Counters grow every second, a few gauges move, and histogram-style buckets increase slowly, so
both scrapers store realistic data. Bounded: it exits after --seconds.
"""
import argparse
import asyncio
import time


def render(target, series, tick):
    lines = ["# TYPE synthetic_requests_total counter"]
    for i in range(series):
        kind = (i * 10) // series
        if kind < 4:
            value = tick * (i % 13 + 3) + (tick * 31 + i) % 7
        elif kind < 7:
            value = tick // (i % 11 + 2) + i
        elif kind < 9:
            value = 1 + tick // 500
        else:
            value = 50_000_000 + ((tick * 7919 + i + target) % 4096) * 4096
        lines.append(f'synthetic_metric_{i % 50}{{series="{i // 50}"}} {value}')
    return ("\n".join(lines) + "\n").encode()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-port", type=int, default=19100)
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=600)
    args = parser.parse_args()
    started = time.monotonic()
    bodies = {}

    def body(target):
        tick = int(time.monotonic() - started)
        cached = bodies.get(target)
        if cached is None or cached[0] != tick:
            cached = (tick, render(target, args.series, tick))
            bodies[target] = cached
        return cached[1]

    async def handle(reader, writer, target):
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                if not request:
                    break
                payload = body(target)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: "
                             + str(len(payload)).encode() + b"\r\n\r\n" + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = []
    for t in range(args.targets):
        servers.append(await asyncio.start_server(lambda r, w, t=t: handle(r, w, t), "127.0.0.1", args.base_port + t))
    print(f"serving {args.targets} targets x {args.series} series on ports {args.base_port}-{args.base_port + args.targets - 1}", flush=True)
    await asyncio.sleep(args.seconds)


asyncio.run(main())
