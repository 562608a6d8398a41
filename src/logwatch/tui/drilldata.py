"""Drill-down figures, computed from snapshot.recent plus the window figures.

Plain Python (no widgets): screens/drill.py renders what these functions return, and the tests can
check the numbers directly. The cost is linear in len(snapshot.recent), which is bounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from logwatch.model import Record, Verdict, status_class
from logwatch.stats.snapshot import PathStat, Snapshot, WindowView
from logwatch.tui.render import fmt_pct, fmt_secs


class Clock(float):
    """A timestamp cell: the screen shows it as a local clock time."""


Cell = str | int | float | None


@dataclass(slots=True)
class Section:
    id: str
    title: str
    columns: tuple[tuple[str, int, bool], ...]  # (label, width, flex)
    rows: list[tuple[str, tuple[Cell, ...]]] = field(default_factory=list)
    drill: str = ""  # what enter on a row opens
    records: list[tuple[Record, Verdict]] | None = None  # a request list instead of rows
    total: int = 0  # the rows (or requests) there were before the list was cut to its limit

    @property
    def count_label(self) -> str:
        """How many rows the table shows, and of how many when the list was cut."""
        shown = len(self.records if self.records is not None else self.rows)
        return f"{shown} of {self.total}" if self.total > shown else str(shown)


@dataclass(slots=True)
class DrillData:
    kind: str
    key: str
    title: str
    info: list[tuple[str, str]]  # (label, value) pairs; values are log text, shown plain
    sections: list[Section]
    matched: int = 0  # recent requests that matched


RECENT_LINES = 60


def _matching(
    snap: Snapshot, pred: Callable[[Record, Verdict], bool]
) -> list[tuple[Record, Verdict]]:
    return [(r, v) for r, v in snap.recent if pred(r, v)]


def _count_section(
    id: str,
    title: str,
    label: str,
    counts: Counter[str],
    drill: str = "",
    extra: dict[str, tuple[Cell, ...]] | None = None,
    extra_cols: tuple[tuple[str, int, bool], ...] = (),
    limit: int = 30,
) -> Section:
    cols = ((label, 12, True), ("Hits", 6, False), *extra_cols)
    rows = []
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        rows.append((key, (key, n, *(extra or {}).get(key, ()))))
    return Section(id, title, cols, rows, drill, total=len(counts))


def _recent_section(rows: list[tuple[Record, Verdict]]) -> Section:
    return Section("recent", "Recent requests", (), records=rows[-RECENT_LINES:], total=len(rows))


def _statuses_over_time(rows: list[tuple[Record, Verdict]], buckets: int = 8) -> Section:
    cols = (
        ("From", 8, True),
        ("2xx", 5, False),
        ("3xx", 5, False),
        ("4xx", 5, False),
        ("5xx", 5, False),
    )
    # 000 (no answer sent) and 1xx get a column only when there are any: with it, the table
    # was wider than its third of a 120-column terminal and cut its own times.
    other_col = ("Other", 5, False)
    section = Section("timeline", "Statuses over time", cols)
    if not rows:
        return section
    # Recent requests are in arrival order, not quite time order (two files, a late line): the
    # first and the last are not the oldest and the newest.
    start = min(r.ts for r, _ in rows)
    end = max(r.ts for r, _ in rows)
    span = max(end - start, 1.0)
    step = span / buckets
    counts: list[Counter[str]] = [Counter() for _ in range(buckets)]
    for r, _ in rows:
        i = min(buckets - 1, int((r.ts - start) / step))
        counts[i][status_class(r.status)] += 1
    others = [sum(c.values()) - c["2xx"] - c["3xx"] - c["4xx"] - c["5xx"] for c in counts]
    if any(others):
        section.columns = (*cols, other_col)
    for i, c in enumerate(counts):
        cells: tuple[Cell, ...] = (Clock(start + i * step), c["2xx"], c["3xx"], c["4xx"], c["5xx"])
        section.rows.append((str(i), (*cells, others[i]) if any(others) else cells))
    return section


def _client_verdict(verdicts: list[Verdict]) -> str:
    """What a client is over its recent requests, not its last one: a bot if any request was a
    bot's (the newest such verdict names it), else human if it viewed a page, else asset; and a
    prober if any request probed (its assets do not make it an "asset" client)."""
    bots = [v for v in verdicts if v.cls == "bot"]
    if bots:
        v = bots[-1]
        text = f"bot/{v.bot_category or 'other'}" + (f" ({v.bot_name})" if v.bot_name else "")
    else:
        text = "human" if any(v.cls == "human" for v in verdicts) else "asset"
    return text + (" · probe" if any(v.probe for v in verdicts) else "")


def path_key(r: Record) -> str:
    """A request's path as the panels count it: one with no path (a TLS handshake, "-") by its
    request text, so every list shows it as the top paths panel does and it drills down."""
    return r.path or r.request


def _path_rows(w: WindowView, path: str) -> list[tuple[str, PathStat]]:
    return [
        (cls, p)
        for cls in ("all", "human", "bot", "asset")
        for p in w.top_paths.get(cls, ())
        if p.path == path
    ]


def path_drill(snap: Snapshot, window: str, path: str) -> DrillData:
    w = snap.window(window)
    rows = _matching(snap, lambda r, v: path_key(r) == path)
    info: list[tuple[str, str]] = [("path", path)]
    # Every list that holds it (the panel shows one class; "all" counts every class).
    for cls, p in _path_rows(w, path):
        info.append(
            (
                f"window {w.name} ({cls})",
                # Figures as the panels write them: "64%", "59.47s", not "63.6%", "59467ms".
                f"{p.hits:,} hits, 4xx {fmt_pct(p.rate_4xx)}, 5xx {fmt_pct(p.rate_5xx)}"
                + (f", p95 {fmt_secs(p.p95)}" if p.p95 is not None else ""),
            )
        )
    classes = Counter(v.cls for _, v in rows)
    info.append(
        (
            "recent",
            f"{len(rows)} requests: " + ", ".join(f"{n} {c}" for c, n in classes.most_common()),
        )
    )
    clients = Counter(r.client for r, _ in rows)
    errors = Counter(r.client for r, _ in rows if r.status >= 400)
    agents = Counter(r.user_agent for r, _ in rows)
    return DrillData(
        "path",
        path,
        f"Path {path}",
        info,
        [
            _statuses_over_time(rows),
            _count_section(
                "clients",
                "Clients",
                "Client",
                clients,
                "client",
                {k: (errors.get(k, 0),) for k in clients},
                (("Err", 5, False),),
            ),
            _count_section("agents", "Agents", "User agent", agents),
            _recent_section(rows),
        ],
        len(rows),
    )


def client_drill(snap: Snapshot, window: str, client: str) -> DrillData:
    w = snap.window(window)
    rows = _matching(snap, lambda r, v: r.client == client)
    info: list[tuple[str, str]] = [("client", client)]
    if "geo" in snap.extra or "bot_claims" in snap.extra:
        from logwatch.enrich import describe_client  # geo imports maxminddb: only when on

        info += describe_client(snap, client)
    if rows:
        info.append(("verdict", _client_verdict([v for _, v in rows])))
        reasons: list[str] = []
        for _, vv in rows:
            for reason in vv.reasons:
                if reason not in reasons:
                    reasons.append(reason)
        for reason in reasons[:6]:
            info.append(("because", reason))
    # A client listed by a class view only (not among the top by all requests) has them too.
    listed = (*w.top_clients, *(c for cs in w.top_clients_by_class.values() for c in cs))
    found = next((c for c in listed if c.client == client), None)
    if found is not None:
        c = found
        info.append(
            (
                f"window {w.name}",
                f"{c.hits} hits: {c.human} human, {c.bot} bot, {c.asset} asset, {c.errors} errors",
            )
        )
    for p in w.probes:
        if p.client == client:
            info.append(
                (
                    "probes",
                    f"{p.hits} hits on {p.distinct_paths} paths, rules " + ", ".join(p.rules),
                )
            )
    paths = Counter(path_key(r) for r, _ in rows)
    last_status: dict[str, tuple[Cell, ...]] = {}
    for r, _ in rows:
        last_status[path_key(r)] = (r.status,)
    codes = Counter(str(r.status) for r, _ in rows)
    agents = Counter(r.user_agent for r, _ in rows)
    return DrillData(
        "client",
        client,
        f"Client {client}",
        info,
        [
            _count_section(
                "paths", "Paths", "Path", paths, "path", last_status, (("Last", 4, False),)
            ),
            _count_section("codes", "Statuses", "Code", codes, "status"),
            _count_section("agents", "Agents", "User agent", agents),
            _recent_section(rows),
        ],
        len(rows),
    )


# A bots panel row's key: name and kind (one name can be two rows: "(no agent)" as scanner and
# as other). A bare name (from another drill-down's list) matches every kind.
BOT_KEY_SEPARATOR = "\x1f"  # sanitised names never hold a control character


def bot_key(name: str, category: str) -> str:
    return f"{name}{BOT_KEY_SEPARATOR}{category}"


def bot_drill(snap: Snapshot, window: str, key: str) -> DrillData:
    w = snap.window(window)
    name, keyed, kind = key.partition(BOT_KEY_SEPARATOR)

    def same(v: Verdict) -> bool:
        category = v.bot_category or "other"
        return (
            v.cls == "bot" and (v.bot_name or category) == name and (not keyed or category == kind)
        )

    rows = _matching(snap, lambda r, v: same(v))
    info: list[tuple[str, str]] = [("bot", name)]
    for b in w.top_bots:
        if b.name == name and (not keyed or b.category == kind):
            per_min = b.hits * 60.0 / w.seconds if w.seconds else 0.0
            info.append(("kind", b.category))
            info.append(
                (
                    f"window {w.name}",
                    f"{b.hits:,} hits, {per_min:.1f}/min, {fmt_pct(b.share)} of requests",
                )
            )
    served = sum(r.request_time or 0.0 for r, _ in snap.recent)
    mine = sum(r.request_time or 0.0 for r, _ in rows)
    if served > 0:
        info.append(("time served", f"{fmt_pct(mine / served)} of server time in recent requests"))
    else:
        info.append(("time served", "unknown (the log format has no request times)"))
    if len(rows) > 1:
        # n requests make n - 1 intervals between the first and the last: one request a minute
        # for two minutes is 1/min, not 1.5/min (a lone request was "60.0/min").
        times = [r.ts for r, _ in rows]
        span = max(max(times) - min(times), 1.0)
        info.append(
            ("recent rate", f"{(len(rows) - 1) * 60.0 / span:.1f}/min over {len(rows)} requests")
        )
    elif rows:
        info.append(("recent rate", "1 request"))
    paths = Counter(path_key(r) for r, _ in rows)
    errors = Counter(path_key(r) for r, _ in rows if r.status >= 400)
    clients = Counter(r.client for r, _ in rows)
    return DrillData(
        "bot",
        key,
        f"Bot {name}" + (f" ({kind})" if keyed else ""),
        info,
        [
            _count_section(
                "paths",
                "Paths it hits",
                "Path",
                paths,
                "path",
                {k: (errors.get(k, 0),) for k in paths},
                (("Err", 5, False),),
            ),
            _count_section("clients", "Clients", "Client", clients, "client"),
            _recent_section(rows),
        ],
        len(rows),
    )


def status_drill(snap: Snapshot, window: str, code: str) -> DrillData:
    w = snap.window(window)
    try:
        n = int(code)
    except ValueError:
        n = -1
    rows = _matching(snap, lambda r, v: r.status == n)
    now, prev = w.codes.get(n, 0), w.codes_prev.get(n, 0)
    share = now / w.requests if w.requests else 0.0
    info = [
        ("status", code),
        (f"window {w.name}", f"{now:,} hits ({fmt_pct(share)}), previous window {prev:,}"),
    ]
    paths = Counter(path_key(r) for r, _ in rows)
    clients = Counter(r.client for r, _ in rows)
    kinds: dict[str, tuple[Cell, ...]] = {}
    for r, v in rows:
        kinds[r.client] = (v.cls if v.cls != "bot" else f"bot/{v.bot_category or 'other'}",)
    return DrillData(
        "status",
        code,
        f"Status {code}",
        info,
        [
            _count_section("paths", "Paths", "Path", paths, "path"),
            _count_section(
                "clients", "Clients", "Client", clients, "client", kinds, (("Class", 11, False),)
            ),
            _recent_section(rows),
        ],
        len(rows),
    )


BUILDERS: dict[str, Callable[[Snapshot, str, str], DrillData]] = {
    "path": path_drill,
    "client": client_drill,
    "bot": bot_drill,
    "status": status_drill,
}
