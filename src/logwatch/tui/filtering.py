"""The `/` filter over every panel: window figures recomputed from the matching recent requests.

Used when `logwatch.stats.filtered_view` (the aggregator-side version) is not available. The
figures cover what snapshot.recent holds (the newest requests, bounded by config), so a filtered
panel is exact for short windows and a sample of the most recent traffic for long ones; the header
says "filtered". Runs in a thread worker, never on the UI loop. Plain Python: no UI imports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace

from logwatch.model import Record, Verdict, status_class
from logwatch.stats.snapshot import (
    BotStat,
    ClientStat,
    PathStat,
    ProbeClientStat,
    Snapshot,
    WindowView,
)

Predicate = Callable[[Record, Verdict], bool]
TOP = 50


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values.sort()
    return values[min(len(values) - 1, int(q * len(values)))]


def window_from(
    name: str, seconds: float, rows: list[tuple[Record, Verdict]], base: WindowView
) -> WindowView:
    classes: Counter[str] = Counter()
    status: Counter[str] = Counter()
    codes: Counter[int] = Counter()
    bots: Counter[str] = Counter()
    bot_names: Counter[tuple[str, str]] = Counter()
    paths: dict[str, dict[str, list[int]]] = {
        c: defaultdict(lambda: [0, 0, 0]) for c in ("all", "human", "bot", "asset")
    }
    path_times: dict[tuple[str, str], list[float]] = defaultdict(list)
    clients: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    probes: dict[str, list[tuple[Record, Verdict]]] = defaultdict(list)
    probe_rules: Counter[str] = Counter()
    refs: Counter[str] = Counter()
    times: list[float] = []
    index = {"human": 1, "bot": 2, "asset": 3}
    for r, v in rows:
        classes[v.cls] += 1
        sc = status_class(r.status)
        status[sc] += 1
        codes[r.status] += 1
        err4, err5 = sc == "4xx", sc == "5xx"
        if v.cls == "bot":
            bots[v.bot_category or "other"] += 1
            bot_names[(v.bot_name or v.bot_category or "other", v.bot_category or "other")] += 1
        for cls in ("all", v.cls):
            p = paths[cls][r.path]
            p[0] += 1
            p[1] += err4
            p[2] += err5
            if r.request_time is not None:
                path_times[(cls, r.path)].append(r.request_time)
        c = clients[r.client]
        c[0] += 1
        c[index.get(v.cls, 1)] += 1
        c[4] += r.status >= 400
        if v.probe:
            probes[r.client].append((r, v))
            probe_rules.update(v.probe_rules)
        if v.cls == "human" and r.referrer not in ("", "-"):
            refs[r.referrer] += 1
        if r.request_time is not None:
            times.append(r.request_time)
    total = len(rows)
    top_paths = {}
    for cls, per in paths.items():
        stats = sorted(per.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP]
        top_paths[cls] = tuple(
            PathStat(path, n[0], n[1], n[2], _quantile(path_times.get((cls, path), []), 0.95))
            for path, n in stats
        )
    latency = {}
    if times:
        latency = {
            "p50": _quantile(times, 0.5) or 0.0,
            "p95": _quantile(times, 0.95) or 0.0,
            "p99": _quantile(times, 0.99) or 0.0,
        }
    return replace(
        base,
        name=name,
        seconds=seconds,
        requests=total,
        classes=dict(classes),
        status=dict(status),
        codes=dict(codes),
        codes_prev={},
        bots=dict(bots),
        top_bots=tuple(
            BotStat(n, c, h, h / total if total else 0.0)
            for (n, c), h in bot_names.most_common(TOP)
        ),
        probe_hits=sum(len(v) for v in probes.values()),
        probe_rules=dict(probe_rules),
        probes=tuple(
            sorted(
                (
                    ProbeClientStat(
                        k,
                        len(rs),
                        len({r.path for r, _ in rs}),
                        rs[-1][0].path,
                        tuple(sorted({x for _, v in rs for x in v.probe_rules})),
                        rs[0][0].ts,
                        rs[-1][0].ts,
                    )
                    for k, rs in probes.items()
                ),
                key=lambda p: (-p.hits, p.client),
            )[:TOP]
        ),
        top_paths=top_paths,
        top_clients=tuple(
            ClientStat(k, c[0], c[1], c[2], c[3], c[4])
            for k, c in sorted(clients.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP]
        ),
        top_referrers=tuple(refs.most_common(TOP)),
        top_campaigns=(),
        latency=latency,
        series=None,
    )


def filtered_view(snapshot: Snapshot, predicate: Predicate) -> Snapshot:
    """The snapshot with every window recomputed over the recent requests that match."""
    rows = [(r, v) for r, v in snapshot.recent if predicate(r, v)]
    now = snapshot.now
    windows = {}
    for name, view in snapshot.windows.items():
        since = now - view.seconds
        windows[name] = window_from(name, view.seconds, [x for x in rows if x[0].ts > since], view)
    span = (rows[-1][0].ts - rows[0][0].ts) if rows else 0.0
    totals = window_from("all", span, rows, snapshot.totals)
    return replace(snapshot, windows=windows, totals=totals, recent=tuple(rows), mark=None)
