"""Cardinality attack: a million lines whose path, client, agent and referrer are all new.

`logwatch.synth.generate(mode="cardinality")` makes every line's keys distinct; one line in five
is also a probe (`/.env`) from a new client and one in seven a new malformed line, so the probing
client details, the behaviour table and the malformed examples are attacked too. The lines go
through `Pipeline` (default StatsConfig and ClassifyConfig, as `logwatch` runs) in batches as a
source hands them over.

Reported: lines, wall and CPU time, lines/s, peak RSS (ru_maxrss), RSS every 100k lines (every 10k with
--long-fields; flat once the bounds are reached), and the size of every bounded structure against its bound at the end.

    python benchmarks/cardinality.py                 # 1,000,000 distinct lines
    python benchmarks/cardinality.py --lines 200k
    python benchmarks/cardinality.py --lines 200k --long-fields   # every field past its cap
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from logwatch import synth  # noqa: E402
from logwatch.ingest import formats, timeparse  # noqa: E402
from logwatch.ingest.formats import get_format  # noqa: E402
from logwatch.pipeline import Pipeline  # noqa: E402
from logwatch.stats.topk import BoundedCounter  # noqa: E402

RATE = 20.0  # requests per second of log time: 1M lines span ~14 h, far past the 1 h window


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def long_fields(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Each line with its path and query 2.5 KB, its agent and referrer 1.2 KB (all past their
    caps) and each of a kind: the keys are as costly to hold as they can be."""
    for i, line in enumerate(lines):
        head, request, rest = line.split(b'"', 2)
        method, target, protocol = request.split(b" ")
        pad = str(i).encode()
        target = target + b"/" + pad + b"p" * 2500 + b"?q=" + pad + b"x" * 2500
        agent = b"Mozilla/5.0 (" + pad + b") " + b"a" * 1200
        referrer = b"https://example.org/" + pad + b"/" + b"r" * 1200
        status_size = rest.split(b'"', 1)[0]
        yield b'%s"%s %s %s"%s"%s" "%s"' % (
            head,
            method,
            target,
            protocol,
            status_size,
            referrer,
            agent,
        )


def extras(i: int, ts: float) -> list[bytes]:
    out = []
    if i % 5 == 0:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
        out.append(
            f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} - - [{stamp}] "
            f'"GET /.env?{i} HTTP/1.1" 404 1 "-" "probe-{i}/1.0"'.encode()
        )
    if i % 7 == 0:
        out.append(f"garbage {i} [@click=app.quit] \x1b]0;{i}\x07".encode())
    return out


def structures(p: Pipeline) -> dict[str, tuple[int, int]]:
    """name → (size, bound) for everything that grows with distinct keys."""
    a, c = p.aggregator, p.classifier
    cfg = a.config
    out: dict[str, tuple[int, int]] = {}

    def biggest(name: str, slots: list, cap: int) -> None:
        size = 0
        for slot in slots:
            for attr in type(slot).__slots__:
                v = getattr(slot, attr)
                if isinstance(v, BoundedCounter):
                    size = max(size, len(v))
        out[name] = (size, 2 * cap)

    biggest("largest counter in a fine slot", list(a.fine.values()), cfg.slot_top_k)
    biggest("largest counter in a coarse slot", list(a.coarse.values()), cfg.slot_top_k)
    biggest("largest counter in the archive", [a.archive], cfg.top_k)
    out["one-second buckets"] = (len(a.seconds), 2 * cfg.longest + 12)
    out["recent requests"] = (len(a.recent), cfg.recent)
    out["probing client details"] = (len(a.probe_details), cfg.probe_clients)
    out["malformed examples"] = (len(a.malformed_examples), cfg.examples)
    out["classifier agent cache"] = (len(c._agent_cache), c.config.agent_cache_size)
    out["classifier path cache"] = (len(c._path_cache), c.config.path_cache_size)
    out["classifier query cache"] = (len(c._query_cache), c.config.query_cache_size)
    out["classifier client table"] = (len(c.clients), c.config.client_table_size)
    out["timestamp cache"] = (len(timeparse._clf_cache), timeparse._CACHE_MAX)
    out["request split cache"] = (len(formats._request_cache), 16384)
    return out


def run(n: int, long: bool = False) -> dict:
    p = Pipeline(get_format("combined"))
    lines = synth.generate(n, mode="cardinality", rate=RATE, seed=11)
    if long:
        lines = long_fields(lines)
    start = synth.DEFAULT_START
    fed = 0
    rss_trace: list[tuple[int, float]] = []
    t0, c0 = time.perf_counter(), time.process_time()
    i = 0
    checkpoint = 10_000 if long else 100_000
    while True:
        # Long lines come in as many as fit the readers' blocks (1 MiB at most), as they would.
        chunk = list(itertools.islice(lines, 120 if long else 5000))
        if not chunk:
            break
        batch: list[bytes] = []
        for line in chunk:
            batch.append(line.rstrip(b"\n"))
            batch += extras(i, start + i / RATE)
            i += 1
        p.feed(batch, "cardinality")
        fed += len(batch)
        if i >= checkpoint:
            rss_trace.append((i, round(rss_mb(), 1)))
            checkpoint += 10_000 if long else 100_000
    snap = p.snapshot()
    json.dumps(snap.to_json())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    a = p.aggregator
    assert a.lines == fed == a.parsed + a.malformed
    return {
        "distinct_lines": n,
        "lines_fed": fed,
        "parsed": a.parsed,
        "malformed": a.malformed,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "lines_per_s": round(fed / wall),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_trace": rss_trace,
        "structures": structures(p),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", default="1M", help="distinct lines (default 1M)")
    p.add_argument(
        "--long-fields", action="store_true", help="every path, query, agent, referrer past its cap"
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    text = args.lines.lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    n = int(float(text[:-1] if mult > 1 else text) * mult)
    r = run(n, args.long_fields)
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(
        f"{r['distinct_lines']:,} distinct lines (+ probes and malformed: {r['lines_fed']:,} fed) "
        f"in {r['wall_s']} s wall, {r['cpu_s']} s CPU = {r['lines_per_s']:,} lines/s"
    )
    print(f"peak RSS {r['peak_rss_mb']} MB; RSS by lines: {r['rss_trace']}")
    over = False
    for name, (size, bound) in r["structures"].items():
        flag = "" if size <= bound else "   OVER THE BOUND"
        over |= size > bound
        print(f"  {name:<34} {size:>8,} / {bound:,}{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
