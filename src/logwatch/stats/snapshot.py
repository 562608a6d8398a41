"""The immutable view of the counts that every consumer reads.

The aggregator is the one owner of counts; the dashboard, alerts, the report, headless JSON and the
exporters read `Snapshot`s. A snapshot is plain data (no reference into the aggregator), so it can be
handed to another thread or task and kept for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logwatch.model import BOT_CATEGORIES, CLASSES, Record, SourceState, Verdict

_STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


@dataclass(frozen=True, slots=True)
class PathStat:
    path: str
    hits: int
    s4xx: int = 0
    s5xx: int = 0
    p95: float | None = None  # seconds, when the format has request times

    @property
    def rate_4xx(self) -> float:
        return self.s4xx / self.hits if self.hits else 0.0

    @property
    def rate_5xx(self) -> float:
        return self.s5xx / self.hits if self.hits else 0.0


@dataclass(frozen=True, slots=True)
class ClientStat:
    client: str
    hits: int
    human: int = 0
    bot: int = 0
    asset: int = 0
    errors: int = 0  # 4xx + 5xx


# A bot with no bot's agent counts under its category's name. The classifier makes such a client
# `scanner` only for probing (a probe rule hit the request, or an earlier one of the client's) and
# `other` only for what it did (too many pages or 404s, robots.txt before any asset).
NO_AGENT_CAUSES = {"scanner": "(by probe rules)", "other": "(by behaviour)"}


@dataclass(frozen=True, slots=True)
class BotStat:
    name: str
    category: str
    hits: int
    share: float = 0.0  # of all requests in the window

    @property
    def label(self) -> str:
        """The name to show: the bot its agent names, or what made a client with none a bot."""
        if self.name != self.category:
            return self.name
        return NO_AGENT_CAUSES.get(self.category, self.name)


@dataclass(frozen=True, slots=True)
class ProbeClientStat:
    client: str
    hits: int
    distinct_paths: int
    last_path: str
    rules: tuple[str, ...]
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class Series:
    """Evenly spaced points ending at the snapshot's `now`, oldest first, for sparklines."""

    step: float
    requests: tuple[float, ...] = ()  # requests per second in each step
    human: tuple[float, ...] = ()
    bot: tuple[float, ...] = ()
    asset: tuple[float, ...] = ()
    rate_4xx: tuple[float, ...] = ()  # share of requests in each step
    rate_5xx: tuple[float, ...] = ()
    p95: tuple[float | None, ...] = ()  # seconds


@dataclass(frozen=True, slots=True)
class WindowView:
    """Every figure for one window (`1m`, `5m`, ...) or for the totals since start (`all`)."""

    name: str
    seconds: float  # the span the figures cover (for `all`, first to last request)
    requests: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)  # 2xx 3xx 4xx 5xx other
    codes: dict[int, int] = field(default_factory=dict)  # 200: n, 404: n, ...
    codes_prev: dict[int, int] = field(default_factory=dict)  # the window before this one
    bots: dict[str, int] = field(default_factory=dict)  # category -> hits
    top_bots: tuple[BotStat, ...] = ()
    probe_hits: int = 0
    probe_rules: dict[str, int] = field(default_factory=dict)  # probe family -> hits
    probes: tuple[ProbeClientStat, ...] = ()  # the top probing clients
    probing: int = 0  # distinct probing clients (as many as the window's bounded table holds)
    top_paths: dict[str, tuple[PathStat, ...]] = field(default_factory=dict)  # by class, + "all"
    # Paths by their errors: 4xx answered to people (human and asset classes: broken links),
    # 5xx answered to anyone.
    top_4xx_paths: tuple[PathStat, ...] = ()
    top_5xx_paths: tuple[PathStat, ...] = ()
    top_clients: tuple[ClientStat, ...] = ()
    # The top clients by their requests of one class (human, bot, asset), for the class views.
    top_clients_by_class: dict[str, tuple[ClientStat, ...]] = field(default_factory=dict)
    top_referrers: tuple[tuple[str, int], ...] = ()
    top_campaigns: tuple[tuple[str, int], ...] = ()  # "source / campaign" of UTM-tagged views
    latency: dict[str, float] = field(default_factory=dict)  # p50 p95 p99 in seconds, if known
    series: Series | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def rps_of(self, cls: str) -> float:
        return self.classes.get(cls, 0) / self.seconds if self.seconds > 0 else 0.0

    @property
    def rate_4xx(self) -> float:
        return self.status.get("4xx", 0) / self.requests if self.requests else 0.0

    @property
    def rate_5xx(self) -> float:
        return self.status.get("5xx", 0) / self.requests if self.requests else 0.0

    @property
    def error_rate(self) -> float:
        return self.rate_4xx + self.rate_5xx

    @property
    def human_pageviews_per_min(self) -> float:
        return self.classes.get("human", 0) * 60.0 / self.seconds if self.seconds > 0 else 0.0

    @property
    def bot_share(self) -> float:
        return self.classes.get("bot", 0) / self.requests if self.requests else 0.0

    @property
    def probing_clients(self) -> int:
        return max(self.probing, len(self.probes))

    def figures(self) -> dict[str, Any]:
        """The scalar figures under the names alert rules and exporters use."""
        out: dict[str, Any] = {
            "requests": self.requests,
            "requests_per_s": round(self.rps, 4),
            "rps_by_class": {c: round(self.rps_of(c), 4) for c in CLASSES},
            "4xx_rate": round(self.rate_4xx, 4),
            "5xx_rate": round(self.rate_5xx, 4),
            "error_rate": round(self.error_rate, 4),
            "human_pageviews_per_min": round(self.human_pageviews_per_min, 3),
            "bot_share": round(self.bot_share, 4),
            "probe_hits": self.probe_hits,
            "probing_clients": self.probing_clients,
        }
        if self.latency:
            out["latency"] = {k: round(v, 4) for k, v in self.latency.items()}
        return out

    def to_json(self, top: int = 10) -> dict[str, Any]:
        out = {"seconds": round(self.seconds, 3), **self.figures()}
        # Every key in every object (a stable schema for jq and scripts): {} until the log
        # shows request times, or when a quiet window holds none.
        out.setdefault("latency", {})
        out["classes"] = {c: self.classes.get(c, 0) for c in CLASSES}
        out["status"] = dict(self.status)
        out["bots"] = {c: self.bots.get(c, 0) for c in BOT_CATEGORIES}
        out["top_paths"] = [_path_json(p) for p in self.top_paths.get("human", ())[:top]]
        out["top_bots"] = [
            {"name": b.name, "category": b.category, "hits": b.hits} for b in self.top_bots[:top]
        ]
        out["top_4xx_paths"] = [_path_json(p) for p in self.top_4xx_paths[:top]]
        out["top_5xx_paths"] = [_path_json(p) for p in self.top_5xx_paths[:top]]
        out["top_clients"] = [
            {"client": c.client, "hits": c.hits, "errors": c.errors} for c in self.top_clients[:top]
        ]
        out["probe_clients"] = [_probe_json(p) for p in self.probes[:top]]
        return out


def _path_json(p: PathStat) -> dict[str, Any]:
    p95 = round(p.p95, 4) if p.p95 is not None else None  # null: no request times
    return {"path": p.path, "hits": p.hits, "4xx": p.s4xx, "5xx": p.s5xx, "p95": p95}


def _probe_json(p: ProbeClientStat) -> dict[str, Any]:
    return {
        "client": p.client,
        "hits": p.hits,
        "distinct_paths": p.distinct_paths,
        "last_path": p.last_path,
        "rules": list(p.rules),
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
    }


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a consumer may read at one moment."""

    now: float  # the aggregator's clock: log time while reading history, wall time when live
    format: str
    lines: int
    parsed: int
    malformed: int
    malformed_reasons: dict[str, int]
    malformed_examples: tuple[tuple[str, str], ...]  # (reason, sanitised line), first few
    totals: WindowView
    windows: dict[str, WindowView]
    sources: tuple[SourceState, ...] = ()
    # The most recent requests, oldest first, for the request stream, drill-downs and filters.
    recent: tuple[tuple[Record, Verdict], ...] = ()
    # Before/after figures around a mark (`m` in the dashboard): (mark time, before, after).
    mark: tuple[float, WindowView, WindowView] | None = None
    # Exact monotonic counts since start, for exporters (Prometheus counters):
    # "requests": {(source, class, status_class): n}, "bots": {category: n},
    # "probes": {family: n}, "malformed": {reason: n}, "formats": {format learned beside the
    # first: lines it read}.
    counters: dict[str, dict[Any, int]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The log times of the first and the newest request (None before any). Once live, `now` is
    # the wall clock, so the first request is not `now - totals.seconds`.
    span: tuple[float, float] | None = None

    def first_last(self) -> tuple[float, float] | None:
        """(first, newest) request time, or None when there is no request."""
        if not self.totals.requests:
            return None
        if self.span is not None:
            return self.span
        return self.now - self.totals.seconds, self.now

    @property
    def other_formats(self) -> dict[str, int]:
        """Lines read by formats learned beside `format` (a log holding two shapes of line)."""
        return dict(self.counters.get("formats", {}))

    def window(self, name: str) -> WindowView:
        return self.windows.get(name, self.totals)

    def by_source(self) -> dict[str, dict[str, Any]]:
        """Requests split by source label (file, syslog host): classes and status classes."""
        out: dict[str, dict[str, Any]] = {}
        for (source, cls, status), n in self.counters.get("requests", {}).items():
            row = out.setdefault(source, {"requests": 0, "classes": {}, "status": {}})
            row["requests"] += n
            row["classes"][cls] = row["classes"].get(cls, 0) + n
            row["status"][status] = row["status"].get(status, 0) + n
        return out

    def class_status(self) -> dict[str, dict[str, int]]:
        """Requests since start by class, then by status class (`other` only when some): each
        class's own error rate. Exact, from the exporters' counters."""
        out: dict[str, dict[str, int]] = {c: dict.fromkeys(_STATUS_CLASSES, 0) for c in CLASSES}
        for (_source, cls, status), n in self.counters.get("requests", {}).items():
            row = out.setdefault(cls, dict.fromkeys(_STATUS_CLASSES, 0))
            row[status] = row.get(status, 0) + n
        return out

    def to_json(self, top: int = 10, windows: bool = True) -> dict[str, Any]:
        """The summary contract of design.md (report, and each headless line)."""
        t = self.totals
        out: dict[str, Any] = {
            "format": self.format,
            "other_formats": self.other_formats,
            "lines": self.lines,
            "parsed": self.parsed,
            "malformed": {
                "count": self.malformed,
                "reasons": dict(self.malformed_reasons),
                "examples": [{"reason": r, "line": ln} for r, ln in self.malformed_examples],
            },
            "classes": {c: t.classes.get(c, 0) for c in CLASSES},
            "status": dict(t.status),
            "class_status": self.class_status(),
            "bots": {c: t.bots.get(c, 0) for c in BOT_CATEGORIES},
            "probes": {
                "count": t.probe_hits,
                "rules": dict(t.probe_rules),
                "top_clients": [_probe_json(p) for p in t.probes[:top]],
            },
            "top_paths": [_path_json(p) for p in t.top_paths.get("all", ())[:top]],
            "top_human_paths": [_path_json(p) for p in t.top_paths.get("human", ())[:top]],
            "top_4xx_paths": [_path_json(p) for p in t.top_4xx_paths[:top]],
            "top_5xx_paths": [_path_json(p) for p in t.top_5xx_paths[:top]],
            "top_bots": [
                {"name": b.name, "category": b.category, "hits": b.hits, "share": round(b.share, 4)}
                for b in t.top_bots[:top]
            ],
            "top_clients": [
                {
                    "client": c.client,
                    "hits": c.hits,
                    "human": c.human,
                    "bot": c.bot,
                    "asset": c.asset,
                    "errors": c.errors,
                }
                for c in t.top_clients[:top]
            ],
            "top_referrers": [{"referrer": r, "hits": n} for r, n in t.top_referrers[:top]],
            "top_campaigns": [{"campaign": r, "hits": n} for r, n in t.top_campaigns[:top]],
            "status_codes": {str(k): v for k, v in sorted(t.codes.items())},
        }
        # Keys that wait for data are there from the first object on, empty: consumers of
        # `--headless` (jq, monitoring scripts) need every object to have every key.
        out["latency"] = {k: round(v, 4) for k, v in t.latency.items()}
        span = self.first_last()
        out["time"] = {
            "first": round(span[0], 3) if span else None,
            "last": round(span[1], 3) if span else None,
        }
        if windows and self.windows:
            # Shorter lists per window, and never longer than asked for (`report --top 2`).
            out["windows"] = {name: w.to_json(top=min(top, 5)) for name, w in self.windows.items()}
        if self.sources:
            out["sources"] = [_source_json(s) for s in self.sources]
        out["by_source"] = self.by_source()
        out.update(self.extra)
        geo = out.get("geo")
        if isinstance(geo, dict):
            # The full map (recent clients too) serves the dashboard; the JSON names the clients
            # it lists, so each line stays small.
            shown = _clients_in(out)
            out["geo"] = {c: g for c, g in geo.items() if c in shown}
        return out


def _clients_in(out: dict[str, Any]) -> set[str]:
    views = [out, *out.get("windows", {}).values()]
    lists = [out.get("probes", {}).get("top_clients", [])]
    lists += [v.get(k, []) for v in views for k in ("top_clients", "probe_clients")]
    shown = {row["client"] for rows in lists for row in rows}
    shown.update(out.get("bot_claims", ()))
    return shown


def _source_json(s: SourceState) -> dict[str, Any]:
    out: dict[str, Any] = {"name": s.name, "state": s.state, "lines": s.lines}
    if s.label and s.label != s.name:
        out["label"] = s.label
    if s.message:
        out["message"] = s.message
    out["lag_seconds"] = round(s.lag_seconds, 3)
    out.update({k: v for k, v in s.extra.items() if isinstance(v, (int, float, str, bool))})
    return out
