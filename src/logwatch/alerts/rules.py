"""Alert rules: what to watch, when it counts as a problem, and where to say so.

A rule is plain, frozen data. `logwatch.config` builds rules from `[[alerts]]` tables (and checks
them); `logwatch.alerts.engine` evaluates them against Snapshots. This module imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Metric name -> what it measures (shown by `check-config` and the dashboard's rules list).
METRICS: dict[str, str] = {
    "5xx_rate": "share of requests answered 5xx",
    "4xx_rate": "share of requests answered 4xx",
    "error_rate": "share of requests answered 4xx or 5xx",
    "requests_per_s": "requests per second",
    "human_pageviews_per_min": "human page views per minute",
    "probe_hits": "probe requests in the window",
    "probing_clients": "distinct clients probing in the window",
    "p50_latency": "median request time (seconds)",
    "p95_latency": "95th percentile request time (seconds)",
    "p99_latency": "99th percentile request time (seconds)",
    "bot_share": "share of requests made by bots",
}

# Metrics that are shares (0..1): shown as percentages.
RATE_METRICS = frozenset({"5xx_rate", "4xx_rate", "error_rate", "bot_share"})

CONDITIONS = ("above", "below", "spike")
SCOPE_CLASSES = ("human", "bot", "asset")


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One `[[alerts]]` table.

    Exactly one condition: `above`/`below` a threshold, or `spike` = N times the metric's own
    baseline (per-minute values over the previous `baseline` seconds, top tenth dropped, averaged). A spike rule may
    also carry `above` as an absolute floor ("3x the baseline, and at least 2%").

    Guards: `min_requests` (requests in the window, within the scope), `for_` (seconds the
    condition must hold before firing), `cooldown` (seconds after a firing before the rule may
    fire again), `hysteresis` (a firing rule clears only when the value is this fraction back
    past the threshold; a share below its threshold, at most this fraction of the way to 1) and
    `clear_for` (seconds the clear condition must hold before the resolved event).
    """

    name: str
    metric: str
    window: str = "1m"
    above: float | None = None
    below: float | None = None
    spike: float | None = None
    min_requests: int = 0
    for_: float = 0.0
    cooldown: float = 300.0
    hysteresis: float = 0.2
    clear_for: float = 30.0
    baseline: float = 3600.0
    exec: tuple[str, ...] = ()
    webhook: str | None = None
    timeout: float = 10.0
    # Optional scope; a scoped rule is evaluated from records the pipeline feeds the engine.
    cls: str | None = None
    path_prefix: str | None = None
    vhost: str | None = None
    builtin: bool = False

    @property
    def condition(self) -> str:
        if self.spike is not None:
            return "spike"
        return "below" if self.below is not None else "above"

    @property
    def threshold(self) -> float:
        """The configured number: the threshold, or the spike factor."""
        if self.spike is not None:
            return self.spike
        if self.below is not None:
            return self.below
        return self.above if self.above is not None else 0.0

    @property
    def scoped(self) -> bool:
        return self.cls is not None or self.path_prefix is not None or self.vhost is not None

    def scope(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.cls is not None:
            out["class"] = self.cls
        if self.path_prefix is not None:
            out["path_prefix"] = self.path_prefix
        if self.vhost is not None:
            out["vhost"] = self.vhost
        return out

    def describe(self) -> str:
        """One readable line: `5xx_rate over 1m above 5.0% (min 20 requests, for 0s, ...)`."""
        if self.spike is not None:
            cond = f"spikes to {_num(self.spike)}x its {_dur(self.baseline)} baseline"
            if self.above is not None:
                cond += f" and above {fmt_value(self.metric, self.above)}"
        elif self.below is not None:
            cond = f"below {fmt_value(self.metric, self.below)}"
        else:
            cond = f"above {fmt_value(self.metric, self.threshold)}"
        scope = "".join(f" [{k}={v}]" for k, v in self.scope().items())
        guards = [f"min {self.min_requests} requests"] if self.min_requests else []
        guards.append(f"for {_dur(self.for_)}")
        guards.append(f"cooldown {_dur(self.cooldown)}")
        hooks = []
        if self.exec:
            hooks.append("exec " + " ".join(repr(a) for a in self.exec))
        if self.webhook:
            hooks.append(f"webhook {self.webhook}")
        tail = f"; {', '.join(hooks)}" if hooks else ""
        return f"{self.metric} over {self.window}{scope} {cond} ({', '.join(guards)}){tail}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "metric": self.metric,
            "window": self.window,
            "condition": self.condition,
            "threshold": self.threshold,
            "min_requests": self.min_requests,
            "for": self.for_,
            "cooldown": self.cooldown,
            "hysteresis": self.hysteresis,
            "clear_for": self.clear_for,
        }
        if self.spike is not None:
            out["spike"] = self.spike
            out["baseline"] = self.baseline
            if self.above is not None:
                out["above"] = self.above
        if self.scoped:
            out["scope"] = self.scope()
        if self.exec:
            out["exec"] = list(self.exec)
        if self.webhook:
            out["webhook"] = self.webhook
        out["builtin"] = self.builtin
        return out


# Built-in rules: they work with no config at all, and a config rule with the same name replaces one
# (`enabled = false` removes it; `default_alerts = false` removes them all).
DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        name="5xx spike",
        metric="5xx_rate",
        window="1m",
        above=0.05,
        min_requests=20,
        cooldown=300.0,
        builtin=True,
    ),
    AlertRule(
        name="probe burst",
        metric="probe_hits",
        window="1m",
        above=30,
        cooldown=300.0,
        builtin=True,
    ),
)


def fmt_value(metric: str, value: float | None) -> str:
    """A metric value the way a person reads it (rates as percentages, latency in ms)."""
    if value is None:
        return "n/a"
    if metric in RATE_METRICS:
        return f"{value * 100:.1f}%"
    if metric.endswith("_latency"):
        return f"{value * 1000:.0f}ms"
    return _num(value)


def _num(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def _dur(seconds: float) -> str:
    s = float(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and (s / size).is_integer():
            return f"{int(s // size)}{unit}"
    return f"{_num(s)}s"
