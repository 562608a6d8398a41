"""Cost of GeoEnricher per published snapshot (the engine calls it once a second).

    python benchmarks/bench_enrich.py [--geoip PATH ...] [--clients N] [--recent N]

Feeds a Pipeline with `recent` requests from `clients` distinct addresses (a tenth of them bots,
some claiming Googlebot) so the snapshot carries a full recent ring, then times the enricher on
the first snapshot (cold caches) and on the following ones (warm). Without --geoip it builds
databases as geo_privacy_bench does.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from geo_privacy_bench import build

from logwatch.enrich import GeoEnricher
from logwatch.geo import GeoLookup
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline
from logwatch.stats.aggregator import StatsConfig

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def lines(n: int, clients: int) -> list[bytes]:
    rng = random.Random(3)
    addrs = [
        f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.7"
        for _ in range(clients)
    ]
    t0 = time.time() - n / 10
    out = []
    for i in range(n):
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t0 + i / 10))
        ua = BOT if i % 10 == 0 else UA
        line = f'{rng.choice(addrs)} - - [{stamp}] "GET /p{i % 50} HTTP/1.1" 200 10 "-" "{ua}"'
        out.append(line.encode())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geoip", action="append", default=[])
    ap.add_argument("--clients", type=int, default=5000)
    ap.add_argument("--recent", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.geoip or build(Path(tmp))
        lookup = GeoLookup(paths)
        pipeline = Pipeline(get_format("combined"), stats=StatsConfig(recent=args.recent))
        pipeline.feed(lines(args.recent, args.clients))
        snap = pipeline.snapshot()
        enrich = GeoEnricher(lookup)
        t = time.perf_counter()
        out = enrich(snap)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(10):
            t = time.perf_counter()
            enrich(snap)
            warm.append(time.perf_counter() - t)
        more = lines(args.recent + 10 * 1000, args.clients)[args.recent :]
        step = []
        for k in range(10):
            pipeline.feed(more[k * 1000 : (k + 1) * 1000])
            snap = pipeline.snapshot()
            t = time.perf_counter()
            enrich(snap)
            step.append(time.perf_counter() - t)
        extra = out.extra
        print(f"recent {len(snap.recent)} requests, {args.clients} clients")
        print(f"geo entries {len(extra.get('geo', {}))}, claims {len(extra.get('bot_claims', {}))}")
        print(f"cold {cold * 1000:.1f} ms, unchanged ring {sorted(warm)[5] * 1000:.1f} ms")
        print(f"after 1000 new requests (ring full): {sorted(step)[5] * 1000:.1f} ms (median)")


if __name__ == "__main__":
    main()
