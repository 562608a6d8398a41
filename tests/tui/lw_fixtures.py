"""A realistic, fully deterministic Snapshot for the dashboard tests (no engine, no clock)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from logwatch.model import Record, SourceState, Verdict, status_class
from logwatch.stats.snapshot import (
    BotStat,
    ClientStat,
    PathStat,
    ProbeClientStat,
    Series,
    Snapshot,
    WindowView,
)

NOW = 1_767_000_000.0  # fixed clock: 2025-12-29 09:20:00 UTC

HOSTILE_PATH = "/[@click=app.quit]x[/b][bold red]pwn\\x1b]0;owned\\x07"
HOSTILE_AGENT = "[link=https://evil.example]click[/link] \\x1b[2J"

PAGES = [
    "/",
    "/blog/",
    "/blog/textual-tips",
    "/pricing",
    "/docs/install",
    "/about",
    "/api/search",
    "/api/checkout",
    "/login",
    "/docs/config",
]
ASSETS = [
    "/static/app.css",
    "/static/app.js",
    "/img/logo.png",
    "/favicon.ico",
    "/fonts/inter.woff2",
]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
BOTS = [
    ("Googlebot", "search", "Mozilla/5.0 (compatible; Googlebot/2.1)"),
    ("GPTBot", "ai", "Mozilla/5.0 (compatible; GPTBot/1.2)"),
    ("AhrefsBot", "seo", "Mozilla/5.0 (compatible; AhrefsBot/7.0)"),
    ("UptimeRobot", "monitor", "Mozilla/5.0+(compatible; UptimeRobot/2.0)"),
    ("python-requests", "library", "python-requests/2.31"),
]
PROBES = [
    ("/.env", "secret-file"),
    ("/wp-login.php", "cms-probe"),
    ("/.git/config", "secret-file"),
    ("/cgi-bin/../../etc/passwd", "traversal"),
    ("/phpmyadmin/", "admin-path"),
]
REFERRERS = [
    "https://www.google.com/",
    "https://news.ycombinator.com/",
    "https://duckduckgo.com/",
    "https://github.com/logwatch",
]


def make_records(
    now: float = NOW, n: int = 2400, seed: int = 7, hostile: bool = False
) -> list[tuple[Record, Verdict]]:
    rnd = random.Random(seed)
    out: list[tuple[Record, Verdict]] = []
    humans = [f"198.51.100.{i}" for i in range(1, 40)]
    for i in range(n):
        ts = now - 3600 + 3600 * (i + 1) / n
        kind = rnd.random()
        source = "access.log" if rnd.random() < 0.8 else "shop-access.log"
        if kind < 0.45:
            client = rnd.choice(humans)
            path = rnd.choice(PAGES)
            status = 200
            if path == "/api/checkout" and ts > now - 600 and rnd.random() < 0.6:
                status = rnd.choice([500, 502, 503])
            elif rnd.random() < 0.06:
                status = 404
            elif rnd.random() < 0.08:
                status = 304
            ref = rnd.choice(REFERRERS) if rnd.random() < 0.5 else "-"
            query = "utm_source=newsletter&utm_campaign=winter" if rnd.random() < 0.1 else ""
            rec = Record(
                ts,
                client,
                "GET",
                path,
                query,
                "HTTP/1.1",
                status,
                1000 + i,
                ref,
                BROWSER,
                request=f"GET {path} HTTP/1.1",
                request_time=round(0.02 + rnd.random() * (1.4 if status >= 500 else 0.3), 3),
                source=source,
            )
            verdict = Verdict("human", reasons=("browser agent, page path",))
        elif kind < 0.75:
            client = rnd.choice(humans)
            path = rnd.choice(ASSETS)
            rec = Record(
                ts,
                client,
                "GET",
                path,
                "",
                "HTTP/1.1",
                200,
                5000,
                "-",
                BROWSER,
                request=f"GET {path} HTTP/1.1",
                request_time=0.004,
                source=source,
            )
            verdict = Verdict("asset", reasons=(f"extension {path.rsplit('.', 1)[-1]} → asset",))
        elif kind < 0.93:
            name, cat, ua = BOTS[rnd.randrange(len(BOTS))]
            client = f"66.249.66.{BOTS.index((name, cat, ua)) + 1}"
            path = rnd.choice(PAGES)
            rec = Record(
                ts,
                client,
                "GET",
                path,
                "",
                "HTTP/1.1",
                200 if rnd.random() < 0.9 else 404,
                800,
                "-",
                ua,
                request=f"GET {path} HTTP/1.1",
                request_time=0.05,
                source=source,
            )
            verdict = Verdict("bot", cat, name, reasons=(f"user agent matches {name} → {cat}",))
        else:
            client = rnd.choice(["203.0.113.66", "203.0.113.99", "192.0.2.250"])
            path, rule = PROBES[rnd.randrange(len(PROBES))]
            rec = Record(
                ts,
                client,
                "GET",
                path,
                "",
                "HTTP/1.1",
                rnd.choice([404, 403, 404]),
                150,
                "-",
                "Mozilla/5.0 zgrab/0.x",
                request=f"GET {path} HTTP/1.1",
                request_time=0.001,
                source=source,
            )
            verdict = Verdict(
                "bot", "scanner", None, True, (rule,), reasons=(f"path {path} → {rule} probe",)
            )
        out.append((rec, verdict))
    if hostile:
        rec = Record(
            now - 5,
            "203.0.113.[7]",
            "GET",
            HOSTILE_PATH,
            "",
            "HTTP/1.1",
            404,
            0,
            "[@click=app.bell]",
            HOSTILE_AGENT,
            request="GET x",
            request_time=0.01,
            source="hostile.log",
        )
        out.append(
            (
                rec,
                Verdict(
                    "bot",
                    "scanner",
                    None,
                    True,
                    ("[odd-rule]",),
                    reasons=("path [b]x[/b] → probe",),
                ),
            )
        )
    return out


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(0.95 * len(values)))]


def view_of(
    name: str,
    seconds: float,
    rows: list[tuple[Record, Verdict]],
    prev: list[tuple[Record, Verdict]],
    now: float,
    points: int = 30,
) -> WindowView:
    classes = Counter(v.cls for _, v in rows)
    status = Counter(status_class(r.status) for r, _ in rows)
    codes = Counter(r.status for r, _ in rows)
    codes_prev = Counter(r.status for r, _ in prev)
    bots = Counter(v.bot_category for _, v in rows if v.cls == "bot")
    bot_names = Counter(
        (v.bot_name, v.bot_category) for _, v in rows if v.cls == "bot" and v.bot_name
    )
    total = len(rows) or 1
    top_bots = tuple(BotStat(n, c, h, h / total) for (n, c), h in bot_names.most_common(10))
    paths: dict[str, tuple[PathStat, ...]] = {}
    for cls in ("all", "human", "bot", "asset"):
        per: dict[str, list[tuple[Record, Verdict]]] = defaultdict(list)
        for r, v in rows:
            if cls == "all" or v.cls == cls:
                per[r.path].append((r, v))
        stats = [
            PathStat(
                p,
                len(rs),
                sum(1 for r, _ in rs if 400 <= r.status < 500),
                sum(1 for r, _ in rs if r.status >= 500),
                _p95([r.request_time for r, _ in rs if r.request_time is not None]),
            )
            for p, rs in per.items()
        ]
        stats.sort(key=lambda s: (-s.hits, s.path))
        paths[cls] = tuple(stats[:20])
    clients: dict[str, Counter[str]] = defaultdict(Counter)
    for r, v in rows:
        c = clients[r.client]
        c["hits"] += 1
        c[v.cls] += 1
        c["errors"] += r.status >= 400
    top_clients = tuple(
        ClientStat(k, c["hits"], c["human"], c["bot"], c["asset"], c["errors"])
        for k, c in sorted(clients.items(), key=lambda kv: (-kv[1]["hits"], kv[0]))[:20]
    )
    probes_by: dict[str, list[tuple[Record, Verdict]]] = defaultdict(list)
    for r, v in rows:
        if v.probe:
            probes_by[r.client].append((r, v))
    probes = tuple(
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
                for k, rs in probes_by.items()
            ),
            key=lambda p: (-p.hits, p.client),
        )
    )
    probe_rules = Counter(x for _, v in rows if v.probe for x in v.probe_rules)
    refs = Counter(r.referrer for r, v in rows if v.cls == "human" and r.referrer != "-")
    camps = Counter(
        "newsletter / winter" for r, v in rows if v.cls == "human" and "utm_source" in r.query
    )
    times = [r.request_time for r, _ in rows if r.request_time is not None]
    latency = {}
    if times:
        ts = sorted(times)
        latency = {
            q: ts[min(len(ts) - 1, int(f * len(ts)))]
            for q, f in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        }
    step = seconds / points
    series_rows: list[list[tuple[Record, Verdict]]] = [[] for _ in range(points)]
    for r, v in rows:
        idx = min(points - 1, int((r.ts - (now - seconds)) / step))
        if idx >= 0:
            series_rows[idx].append((r, v))

    def per_s(pred) -> tuple[float, ...]:
        return tuple(round(sum(1 for x in b if pred(x)) / step, 3) for b in series_rows)

    series = Series(
        step=step,
        requests=per_s(lambda x: True),
        human=per_s(lambda x: x[1].cls == "human"),
        bot=per_s(lambda x: x[1].cls == "bot"),
        asset=per_s(lambda x: x[1].cls == "asset"),
        rate_4xx=tuple(
            round(sum(1 for r, _ in b if 400 <= r.status < 500) / len(b), 3) if b else 0.0
            for b in series_rows
        ),
        rate_5xx=tuple(
            round(sum(1 for r, _ in b if r.status >= 500) / len(b), 3) if b else 0.0
            for b in series_rows
        ),
        p95=tuple(
            _p95([r.request_time for r, _ in b if r.request_time is not None]) for b in series_rows
        ),
    )
    return WindowView(
        name=name,
        seconds=seconds,
        requests=len(rows),
        classes=dict(classes),
        status=dict(status),
        codes=dict(codes),
        codes_prev=dict(codes_prev),
        bots=dict(bots),
        top_bots=top_bots,
        probe_hits=sum(1 for _, v in rows if v.probe),
        probe_rules=dict(probe_rules),
        probes=probes,
        top_paths=paths,
        top_clients=top_clients,
        top_referrers=tuple(refs.most_common(10)),
        top_campaigns=tuple(camps.most_common(10)),
        latency=latency,
        series=series,
    )


WINDOWS = {"1m": 60.0, "5m": 300.0, "15m": 900.0, "1h": 3600.0}


def make_snapshot(
    now: float = NOW,
    hostile: bool = False,
    mark: float | None = None,
    sources: tuple[SourceState, ...] | None = None,
    seed: int = 7,
    recent: int = 400,
) -> Snapshot:
    rows = make_records(now, seed=seed, hostile=hostile)
    windows = {}
    for name, secs in WINDOWS.items():
        cur = [x for x in rows if x[0].ts > now - secs]
        prev = [x for x in rows if now - 2 * secs < x[0].ts <= now - secs]
        windows[name] = view_of(name, secs, cur, prev, now)
    totals = view_of("all", 3600.0, rows, [], now)
    mark_t = None
    if mark is not None:
        before = [x for x in rows if mark - 300 <= x[0].ts < mark]
        after = [x for x in rows if x[0].ts >= mark]
        mark_t = (
            mark,
            view_of("before", 300, before, [], mark),
            view_of("after", max(1.0, now - mark), after, [], now),
        )
    if sources is None:
        sources = (
            SourceState(
                "/var/log/nginx/access.log", state="following", lines=1920, lag_seconds=0.2
            ),
            SourceState("/var/log/nginx/shop-access.log", state="following", lines=480),
        )
    return Snapshot(
        now=now,
        format="combined",
        lines=len(rows) + 3,
        parsed=len(rows),
        malformed=3,
        malformed_reasons={"no_match": 3},
        malformed_examples=(("no_match", "garbage"),),
        totals=totals,
        windows=windows,
        sources=sources,
        recent=tuple(rows[-recent:]),
        mark=mark_t,
    )
