"""Cardinality attacks: ~50k distinct paths, clients, agents, referrers, probing clients and
malformed lines keep every structure within its configured bound.

Small limits are configured so the bounds bite many times over; the traffic spans far more than
the longest window, so slots fold into the archive too. (Peak RSS and time for a million distinct
lines come from benchmarks/cardinality.py.)
"""

from __future__ import annotations

import itertools
import time

from logwatch import fastlane, synth
from logwatch.classify import Classifier, ClassifyConfig
from logwatch.ingest import formats, timeparse
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline
from logwatch.stats.aggregator import COARSE, FINE, StatsConfig
from logwatch.stats.topk import BoundedCounter, BoundedTable

STATS = StatsConfig(
    windows=(("1m", 60), ("5m", 300)),
    top_k=300,
    slot_top_k=50,
    recent=500,
    probe_clients=100,
    examples=5,
)
CLASSIFY = ClassifyConfig(
    agent_cache_size=500, path_cache_size=700, query_cache_size=300, client_table_size=1000
)
N = 40_000
RATE = 5.0  # requests per second: 40k lines span 8,000 s, many times the 5-minute window


def bounds(p: Pipeline) -> list[tuple[str, int, int]]:
    """(structure, size, bound) for everything that grows with distinct keys."""
    a, c = p.aggregator, p.classifier
    cfg = a.config
    out: list[tuple[str, int, int]] = []

    def counters(name: str, slot: object, cap: int) -> None:
        for attr in type(slot).__slots__:
            value = getattr(slot, attr)
            if isinstance(value, BoundedCounter | BoundedTable):
                out.append((f"{name}.{attr}", len(value), 2 * cap))
            elif isinstance(value, dict):
                out.append((f"{name}.{attr}", len(value), 64))

    for i, slot in a.fine.items():
        counters(f"fine[{i}]", slot, cfg.slot_top_k)
    for i, slot in a.coarse.items():
        counters(f"coarse[{i}]", slot, cfg.slot_top_k)
    counters("archive", a.archive, cfg.top_k)
    longest = cfg.longest
    out += [
        ("fine slots", len(a.fine), 300 // FINE + 3),
        ("coarse slots", len(a.coarse), longest // COARSE + 3),
        # expired once per fine slot: up to FINE seconds past the horizon
        ("one-second buckets", len(a.seconds), 2 * longest + FINE + 2),
        ("recent", len(a.recent), cfg.recent),
        ("probe_details", len(a.probe_details), cfg.probe_clients),
        ("malformed_examples", len(a.malformed_examples), cfg.examples),
        ("malformed_reasons", len(a.malformed_reasons), 20),
        ("requests_by", len(a.requests_by), 3 * 5 * 4),
        ("aggregator cache", len(a._cache), 16),
        ("agent cache", len(c._agent_cache), c.config.agent_cache_size),
        ("path cache", len(c._path_cache), c.config.path_cache_size),
        ("query cache", len(c._query_cache), c.config.query_cache_size),
        ("probe cache", len(c._probe_cache), 4096),
        ("asset verdicts", len(c._asset_verdicts), 1024),
        ("flag verdicts", len(c._flag_verdicts), 1024),
        ("client table", len(c.clients), c.config.client_table_size),
        ("clf time cache", len(timeparse._clf_cache), timeparse._CACHE_MAX),
        ("iso time cache", len(timeparse._iso_cache), timeparse._CACHE_MAX),
        ("request split cache", len(formats._request_cache), 16384),
    ]
    lane = p._fast
    if lane is not None:  # the fast lane's caches: cleared when full, so one batch over at most
        bound = fastlane._CACHE + 3000
        out += [
            ("lane times", len(lane._times), bound),
            ("lane requests", len(lane._requests), bound),
            ("lane agents", len(lane._agents), bound),
            ("lane bot verdicts", len(lane._bot_verdicts), bound),
            ("lane statuses", len(lane._statuses), bound),
        ]
    return out


def hostile_extras(i: int, ts: float) -> list[bytes]:
    """Every 5th line: a probe from a new client; every 7th: a new malformed line."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
    out = []
    if i % 5 == 0:
        out.append(
            f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} - - [{stamp}] "
            f'"GET /.env?{i} HTTP/1.1" 404 1 "-" "probe-{i}/1.0"'.encode()
        )
    if i % 7 == 0:
        out.append(f"garbage {i} [@click=app.quit] \x1b]0;{i}\x07".encode())
    return out


def test_distinct_keys_stay_within_configured_bounds() -> None:
    p = Pipeline(get_format("combined"), classifier=Classifier(CLASSIFY), stats=STATS)
    start = synth.DEFAULT_START
    lines = synth.generate(N, mode="cardinality", rate=RATE, seed=3)
    fed = 0
    checked = 0
    for chunk_no in itertools.count():
        chunk = list(itertools.islice(lines, 2000))
        if not chunk:
            break
        batch: list[bytes] = []
        for j, line in enumerate(chunk):
            i = chunk_no * 2000 + j
            batch.append(line.rstrip(b"\n"))
            batch += hostile_extras(i, start + i / RATE)
        p.feed(batch)
        fed += len(batch)
        if chunk_no % 5 == 4:  # check along the way, not only at the end
            p.aggregator.settle_recent()  # the ring as a reader sees it
            for name, size, bound in bounds(p):
                assert size <= bound, f"{name}: {size} > {bound} after {fed} lines"
            checked += 1
    assert checked >= 4
    a = p.aggregator
    assert a.lines == fed and a.lines == a.parsed + a.malformed
    assert a.malformed == len(range(0, N, 7))
    assert a.parsed == N + len(range(0, N, 5))  # the probes parsed too
    assert a.probes_by
    p.aggregator.settle_recent()
    for name, size, bound in bounds(p):
        assert size <= bound, f"{name}: {size} > {bound}"
    # The bounds were reached, so they were really tested: the caches are full, not idle.
    sizes = {name: size for name, size, _ in bounds(p)}
    assert sizes["agent cache"] == CLASSIFY.agent_cache_size
    assert sizes["path cache"] == CLASSIFY.path_cache_size
    assert sizes["probe_details"] == STATS.probe_clients
    assert sizes["recent"] == STATS.recent
    assert sizes["lane requests"] > fastlane._CACHE // 2  # the lane took the plain lines
    assert sizes["client table"] > CLASSIFY.client_table_size // 2
    snap = p.snapshot()
    assert len(snap.totals.top_paths["all"]) <= 50 and snap.totals.requests == a.parsed
