"""The rule engine: Snapshots (and, for scoped rules, records) in; alert events out.

    engine = AlertEngine(config.alerts)          # or AlertEngine.from_config(config)
    if engine.needs_records:                     # only when a rule is scoped
        engine.observe(record, verdict)          # per request, cheap
    events = engine.evaluate(snapshot)           # once per refresh; new events only
    engine.active(), engine.history(), engine.status(), engine.rules

Time is the snapshot's clock (`Snapshot.now`: log time while reading history, wall time when live),
so tests drive the engine by building snapshots at chosen times; nothing here reads the wall clock
except the hook runner stamping when a hook finished.

Per rule: ok → pending (condition holds, waiting for `for`) → firing → clearing (the value is back
past the threshold by the hysteresis margin, waiting for `clear_for`) → resolved (→ ok). A rule that
fired may not fire again until `cooldown` has passed since it last fired.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from logwatch.alerts.hooks import HookResult, HookRunner
from logwatch.alerts.rules import RATE_METRICS, AlertRule, fmt_value
from logwatch.sanitize import cap, clean

if TYPE_CHECKING:
    from logwatch.config import Config
    from logwatch.model import Record, Verdict
    from logwatch.stats.snapshot import Series, Snapshot, WindowView

FIRING = "firing"
# Log time between two looks of `replay` at history (a fine slot of the aggregator).
REPLAY_STEP = 10.0
RESOLVED = "resolved"

# A spike needs this many per-minute samples of history before it can say "N times the baseline".
MIN_BASELINE_SAMPLES = 5
# Context lists carried by an event (top paths, clients, probers): short, and strings capped.
CONTEXT_ITEMS = 5
CONTEXT_STR = 256

_ids = itertools.count(1)


@dataclass(slots=True)
class AlertEvent:
    """One firing or one resolve. `hooks` fills in as the event's hooks finish (other threads
    append; readers take a copy with `list(event.hooks)`)."""

    rule: str
    metric: str
    window: str
    state: str  # "firing" | "resolved"
    value: float | None
    condition: str  # "above" | "below" | "spike"
    threshold: float  # the number the value was compared with (for a spike: factor x baseline)
    at: float  # snapshot clock, seconds since the epoch
    requests: int = 0
    since: float | None = None  # when the alert started firing (set on both events)
    baseline: float | None = None  # spike rules
    factor: float | None = None  # spike rules
    scope: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    builtin: bool = False
    # Why a resolve happened: "cleared" (back past the threshold), "few requests" (fewer than
    # min_requests in the window) or "no data" (the window or the figure went away).
    reason: str = ""
    id: int = field(default_factory=lambda: next(_ids))
    hooks: list[HookResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The event as headless JSON Lines and hooks see it (hook results included)."""
        out: dict[str, Any] = {
            "type": "alert",
            "id": self.id,
            "rule": self.rule,
            "state": self.state,
            "metric": self.metric,
            "window": self.window,
            "value": _round(self.value),
            "condition": self.condition,
            "threshold": _round(self.threshold),
            "requests": self.requests,
            "at": round(self.at, 3),
            "since": None if self.since is None else round(self.since, 3),
        }
        if self.factor is not None:
            out["factor"] = self.factor
            out["baseline"] = _round(self.baseline)
        if self.scope:
            out["scope"] = dict(self.scope)
        out["context"] = self.context
        out["builtin"] = self.builtin
        if self.reason:
            out["reason"] = self.reason
        if self.hooks:
            out["hooks"] = [h.to_json() for h in list(self.hooks)]
        return out

    def text(self) -> str:
        """A one-line human summary (the `text` field chat webhooks show). Log-derived parts have
        chat mention markup defused; the whole line carries no control characters."""
        value = fmt_value(self.metric, self.value)
        scope = "".join(f" {k}={_defuse(v)}" for k, v in self.scope.items())
        if self.condition == "spike":
            cond = (
                f"{self.factor:g}x baseline {fmt_value(self.metric, self.baseline)}"
                if self.factor is not None
                else "spike"
            )
        else:
            cond = f"{self.condition} {fmt_value(self.metric, self.threshold)}"
        head = f"[logwatch] {self.state.upper()} {self.rule}: {self.metric} over {self.window}"
        line = f"{head}{scope} = {value} ({cond}; {self.requests} requests)"
        if self.state == RESOLVED and self.since is not None:
            line += f" after {_span(self.at - self.since)}"
            if self.reason and self.reason != "cleared":
                line += f" ({self.reason})"
        top = self.context.get("top")
        if top and self.state == FIRING:
            line += " - top: " + ", ".join(_defuse(str(t)) for t in top[:3])
        return clean(cap(line, 1000))


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """Where one rule stands, for the dashboard's rules list."""

    rule: AlertRule
    state: str  # ok, pending, firing, clearing, waiting (not enough data / warming up)
    value: float | None
    requests: int
    since: float | None
    baseline: float | None = None


class _Ring:
    """Per-rule counts of the requests a scoped rule matches: 60 slots spanning its window."""

    SLOTS = 60
    __slots__ = (
        "asset",
        "bot",
        "clients",
        "human",
        "ids",
        "lat",
        "probe",
        "req",
        "s4",
        "s5",
        "width",
        "window",
    )

    def __init__(self, window: float, latency: bool, clients: bool) -> None:
        n = self.SLOTS
        self.window = window
        self.width = window / n
        self.ids = [-1] * n
        self.req = [0] * n
        self.s4 = [0] * n
        self.s5 = [0] * n
        self.human = [0] * n
        self.bot = [0] * n
        self.asset = [0] * n
        self.probe = [0] * n
        self.lat: list[dict[int, int]] | None = [{} for _ in range(n)] if latency else None
        self.clients: dict[str, float] | None = {} if clients else None

    def add(self, rec: Record, verdict: Verdict) -> None:
        idx = int(rec.ts // self.width)
        pos = idx % self.SLOTS
        cur = self.ids[pos]
        if cur != idx:
            if idx < cur:
                return  # older than the ring reaches
            self.ids[pos] = idx
            self.req[pos] = self.s4[pos] = self.s5[pos] = 0
            self.human[pos] = self.bot[pos] = self.asset[pos] = self.probe[pos] = 0
            if self.lat is not None:
                self.lat[pos] = {}
        self.req[pos] += 1
        st = rec.status
        if 400 <= st < 500:
            self.s4[pos] += 1
        elif 500 <= st < 600:
            self.s5[pos] += 1
        cls = verdict.cls
        if cls == "human":
            self.human[pos] += 1
        elif cls == "bot":
            self.bot[pos] += 1
        else:
            self.asset[pos] += 1
        if verdict.probe:
            self.probe[pos] += 1
            if self.clients is not None:
                clients = self.clients
                clients.pop(rec.client, None)  # re-insert: dict order is recency order
                clients[rec.client] = rec.ts
                if len(clients) > 4096:
                    del clients[next(iter(clients))]
        if self.lat is not None and rec.request_time is not None:
            b = _lat_bucket(rec.request_time)
            hist = self.lat[pos]
            hist[b] = hist.get(b, 0) + 1

    def measure(self, metric: str, now: float) -> tuple[float | None, int]:
        top = int(now // self.width)
        live = [i for i, idx in enumerate(self.ids) if top - self.SLOTS < idx <= top]
        req = sum(self.req[i] for i in live)
        secs = self.window
        if metric == "requests_per_s":
            return req / secs, req
        if metric == "human_pageviews_per_min":
            return sum(self.human[i] for i in live) * 60.0 / secs, req
        if metric == "probe_hits":
            return float(sum(self.probe[i] for i in live)), req
        if metric == "probing_clients":
            clients = self.clients or {}
            return float(sum(1 for t in clients.values() if now - secs < t <= now)), req
        if metric.endswith("_latency"):
            hist: dict[int, int] = {}
            for i in live:
                for b, n in (self.lat[i] if self.lat is not None else {}).items():
                    hist[b] = hist.get(b, 0) + n
            q = {"p50_latency": 0.50, "p95_latency": 0.95, "p99_latency": 0.99}[metric]
            return _hist_quantile(hist, q), req
        if not req:
            return 0.0, 0
        s4 = sum(self.s4[i] for i in live)
        s5 = sum(self.s5[i] for i in live)
        if metric == "4xx_rate":
            return s4 / req, req
        if metric == "5xx_rate":
            return s5 / req, req
        if metric == "error_rate":
            return (s4 + s5) / req, req
        if metric == "bot_share":
            return sum(self.bot[i] for i in live) / req, req
        return None, req


_LAT_BASE = 1e-4  # 0.1 ms
_LAT_STEP = math.log(1.2)
_LAT_MAX = 90  # 0.1 ms * 1.2**90 ≈ 1.3 hours


def _lat_bucket(seconds: float) -> int:
    if seconds <= _LAT_BASE:
        return 0
    return min(_LAT_MAX, int(math.log(seconds / _LAT_BASE) / _LAT_STEP) + 1)


def _hist_quantile(hist: dict[int, int], q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    rank = q * total
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return _LAT_BASE if b == 0 else _LAT_BASE * math.exp((b - 0.5) * _LAT_STEP)
    return None


class _State:
    __slots__ = (
        "baseline",
        "clear_since",
        "event",
        "fired_at",
        "last_fired",
        "ready",
        "requests",
        "ring",
        "samples",
        "seeded",
        "since",
        "state",
        "value",
    )

    def __init__(self, rule: AlertRule, window: float) -> None:
        self.state = "ok"
        self.ready = False  # the last step could judge (enough requests, a full window, a baseline)
        self.since: float | None = None
        self.clear_since: float | None = None
        self.fired_at: float | None = None
        self.last_fired: float | None = None
        self.event: AlertEvent | None = None
        self.value: float | None = None
        self.requests = 0
        self.baseline: float | None = None  # frozen while a spike is pending or firing
        self.seeded = False  # a spike rule's samples were seeded from the history's series
        # Spike history: [minute, sum, count], one entry per minute, bounded to the baseline span.
        self.samples: deque[list[float]] | None = (
            deque(maxlen=int(rule.baseline // 60) + 2) if rule.spike is not None else None
        )
        self.ring: _Ring | None = None
        if rule.scoped:
            self.ring = _Ring(
                window,
                latency=rule.metric.endswith("_latency"),
                clients=rule.metric == "probing_clients",
            )


class AlertEngine:
    """Evaluates rules against snapshots; keeps a bounded history; hands events to the hooks."""

    def __init__(
        self,
        rules: Iterable[AlertRule],
        *,
        hooks: HookRunner | None = None,
        run_hooks: bool = True,
        history_size: int = 500,
    ) -> None:
        # config imports alerts.rules; importing config at call time keeps the cycle harmless.
        from logwatch.config import parse_duration

        self.rules: tuple[AlertRule, ...] = tuple(rules)
        self._windows = {r.window: parse_duration(r.window) for r in self.rules}
        self._states = [_State(r, self._windows[r.window]) for r in self.rules]
        self._scoped = [
            (r, s.ring) for r, s in zip(self.rules, self._states, strict=True) if s.ring is not None
        ]
        # Lower-cased once: vhosts compare case-insensitively.
        self._scoped_match = [
            (r.cls, r.path_prefix, r.vhost.lower() if r.vhost else None, ring)
            for r, ring in self._scoped
        ]
        self.needs_records: bool = bool(self._scoped)
        self._history: deque[AlertEvent] = deque(maxlen=history_size)
        self._first: float | None = None
        self._paged: set[int] = set()  # firing events whose hooks ran (their resolve's may)
        wants_hooks = any(r.exec or r.webhook for r in self.rules)
        self.hooks: HookRunner | None = hooks
        if self.hooks is None and run_hooks and wants_hooks:
            self.hooks = HookRunner()
        self.run_hooks = run_hooks

    @classmethod
    def from_config(cls, config: Config, **kw: Any) -> AlertEngine:
        return cls(config.alerts, **kw)

    # -- per request (scoped rules only) -------------------------------------------------------

    def observe(self, record: Record, verdict: Verdict) -> None:
        """Count a request for the scoped rules it matches. Call only when `needs_records`."""
        for cls, prefix, vhost, ring in self._scoped_match:
            if cls is not None and verdict.cls != cls:
                continue
            if prefix is not None and not record.path.startswith(prefix):
                continue
            if vhost is not None and (record.vhost or "").lower() != vhost:
                continue
            ring.add(record, verdict)

    # -- per refresh ---------------------------------------------------------------------------

    @property
    def windows(self) -> dict[str, float]:
        """The windows the rules measure: name → seconds."""
        return dict(self._windows)

    @property
    def replay_step(self) -> float:
        """How far apart in log time `replay` steps through history: a fine slot, or a sixtieth
        of the longest window (a 1h rule's hour is not summed every ten seconds)."""
        return max(REPLAY_STEP, max(self._windows.values(), default=0.0) / 60)

    @property
    def quiet_reach(self) -> float:
        """How long after the last request stepping still changes a rule: its window empties,
        then its `for` or `clear_for` runs out."""
        return (
            max(
                (self._windows[r.window] + max(r.for_, r.clear_for) for r in self.rules),
                default=0.0,
            )
            + self.replay_step
        )

    def replay(self, snapshot: Snapshot) -> list[AlertEvent]:
        """Step the rules at a moment of history already read (`Aggregator.counts_at`), hooks
        quiet: an incident between two snapshots (history read at start goes by in minutes of
        log time a second) is not missed. Rules scoped to requests are not stepped: their ring
        holds only the newest window."""
        return self.evaluate(snapshot, run_hooks=False, counts_only=True)

    def evaluate(
        self,
        snapshot: Snapshot,
        *,
        now: float | None = None,
        run_hooks: bool = True,
        counts_only: bool = False,
    ) -> list[AlertEvent]:
        """Step every rule at the snapshot's time; return the events this call produced.

        `run_hooks=False` records events without running hooks (e.g. while backfilling history).
        `counts_only` steps only the rules that read the snapshot's windows (see `replay`).
        """
        now = snapshot.now if now is None else now
        if self._first is None:
            self._first = now
        events: list[AlertEvent] = []
        hooks_on = run_hooks and self.run_hooks and self.hooks is not None
        to_hook: list[tuple[AlertRule, AlertEvent]] = []
        for rule, st in zip(self.rules, self._states, strict=True):
            if counts_only and st.ring is not None:
                continue
            firing = st.event
            ev = self._step(rule, st, snapshot, now)
            if ev is not None:
                events.append(ev)
                if ev.state == FIRING:
                    to_hook.append((rule, ev))
                elif firing is not None and firing.id in self._paged:
                    # A resolve goes to the hooks only after its firing did: not for an alert
                    # that fired and ended while history was read (nobody was paged).
                    self._paged.discard(firing.id)
                    to_hook.append((rule, ev))
            elif (
                hooks_on
                and st.state == "firing"
                and st.event is not None
                and st.event.id not in self._paged
            ):
                # Fired while history was read and still going on now: page it now. Not one
                # that is clearing (an old log's incident, its window empty on the wall clock).
                # Its offenders are those of now: a replayed look at history had counts only.
                st.event.context = build_context(rule, snapshot.windows.get(rule.window))
                to_hook.append((rule, st.event))
        for ev in events:
            self._history.append(ev)
        if hooks_on and self.hooks is not None:
            for rule, ev in to_hook:
                if ev.state == FIRING:
                    self._paged.add(ev.id)
                if rule.exec or rule.webhook:
                    self.hooks.submit(ev, rule)
        return events

    def active(self) -> list[AlertEvent]:
        """The firing events of rules that have not resolved yet (for the dashboard banner)."""
        return [
            st.event
            for st in self._states
            if st.state in ("firing", "clearing") and st.event is not None
        ]

    def history(self) -> list[AlertEvent]:
        """Fired and resolved events, oldest first (bounded)."""
        return list(self._history)

    def status(self) -> list[RuleStatus]:
        out = []
        for rule, st in zip(self.rules, self._states, strict=True):
            since = st.fired_at if st.state in ("firing", "clearing") else st.since
            # "ok" only when the rule could judge: too few requests, a `below` rule's window not
            # yet full, a spike rule with no baseline yet are "waiting".
            state = "waiting" if st.state == "ok" and not st.ready else st.state
            out.append(RuleStatus(rule, state, st.value, st.requests, since, st.baseline))
        return out

    def close(self, timeout: float | None = 5.0) -> None:
        """Let running hooks finish (up to `timeout`), then stop the hook workers."""
        if self.hooks is not None:
            self.hooks.close(timeout)

    # -- internals -----------------------------------------------------------------------------

    def _measure(
        self, rule: AlertRule, st: _State, snapshot: Snapshot, now: float
    ) -> tuple[float | None, int, WindowView | None]:
        view = snapshot.windows.get(rule.window)
        if st.ring is not None:
            value, requests = st.ring.measure(rule.metric, now)
            return value, requests, view
        if view is None:
            return None, 0, None
        return metric_value(view, rule.metric), view.requests, view

    def _step(
        self, rule: AlertRule, st: _State, snapshot: Snapshot, now: float
    ) -> AlertEvent | None:
        value, requests, view = self._measure(rule, st, snapshot, now)
        st.value, st.requests = value, requests
        if st.samples is not None and not st.seeded and st.ring is None:
            st.seeded = True
            _seed_samples(rule.metric, st, snapshot, now)
        window = self._windows[rule.window]
        ready = value is not None and requests >= rule.min_requests

        baseline: float | None = None
        if rule.spike is not None:
            if st.state == "ok":
                st.baseline = None
            baseline = st.baseline if st.baseline is not None else self._baseline(rule, st, now)
            if value is not None:
                _add_sample(st, now, value)
        if rule.below is not None and self._first is not None and now - self._first < window:
            ready = False  # the window is not full yet: a low count means nothing

        if rule.spike is not None:
            if baseline is not None and baseline > 0:
                threshold = rule.spike * baseline
            elif baseline is not None and rule.above is not None:
                threshold = rule.above  # over a baseline of nothing, the floor is the test
            else:
                # No baseline yet, or a baseline of nothing: any value would be "N times" it.
                ready = False
                threshold = math.inf
        else:
            threshold = rule.threshold

        st.ready = ready
        breach = ready and value is not None and _breach(rule, value, threshold)

        if st.state in ("ok", "pending"):
            if not breach:
                st.state, st.since = "ok", None
                return None
            if st.state == "ok":
                st.state, st.since = "pending", now
                st.baseline = baseline
            assert st.since is not None
            if now - st.since < rule.for_:
                return None
            if st.last_fired is not None and now - st.last_fired < rule.cooldown:
                return None
            st.state, st.fired_at, st.last_fired, st.clear_since = "firing", now, now, None
            ev = self._event(rule, FIRING, value, threshold, requests, now, now, st, view)
            st.event = ev
            return ev

        # firing or clearing
        clear = not ready or value is None or _cleared(rule, value, threshold)
        if not clear:
            st.state, st.clear_since = "firing", None
            return None
        if st.state == "firing":
            st.state, st.clear_since = "clearing", now
        assert st.clear_since is not None
        if now - st.clear_since < rule.clear_for:
            return None
        ev = self._event(rule, RESOLVED, value, threshold, requests, now, st.fired_at, st, view)
        ev.reason = (
            "no data"
            if value is None
            else "few requests"
            if requests < rule.min_requests
            else "cleared"
        )
        st.state, st.since, st.clear_since, st.event, st.baseline = "ok", None, None, None, None
        return ev

    def _baseline(self, rule: AlertRule, st: _State, now: float) -> float | None:
        """The per-minute values over the previous `baseline` seconds (the current minute
        excluded), averaged after dropping the highest tenth; None until there are
        MIN_BASELINE_SAMPLES minutes of history. Dropping the top keeps an earlier incident in the
        hour from raising the bar for the next one; a mean (not a median) keeps sparse metrics
        such as probe hits from having a baseline of zero whenever most minutes are quiet."""
        if st.samples is None:
            return None
        minute = int(now // 60)
        oldest = minute - int(rule.baseline // 60)
        vals = [s / n for m, s, n in st.samples if oldest <= m < minute and n]
        if len(vals) < MIN_BASELINE_SAMPLES:
            return None
        vals.sort()
        kept = vals[: len(vals) - len(vals) // 10]
        return sum(kept) / len(kept)

    def _event(
        self,
        rule: AlertRule,
        state: str,
        value: float | None,
        threshold: float,
        requests: int,
        now: float,
        since: float | None,
        st: _State,
        view: WindowView | None,
    ) -> AlertEvent:
        return AlertEvent(
            rule=rule.name,
            metric=rule.metric,
            window=rule.window,
            state=state,
            value=value,
            condition=rule.condition,
            threshold=threshold if math.isfinite(threshold) else rule.threshold,
            at=now,
            requests=requests,
            since=since,
            baseline=st.baseline if rule.spike is not None else None,
            factor=rule.spike,
            scope=rule.scope(),
            context=build_context(rule, view),
            builtin=rule.builtin,
        )


def _breach(rule: AlertRule, value: float, threshold: float) -> bool:
    if rule.below is not None:
        return value < threshold
    if rule.spike is not None:
        return value > threshold and (rule.above is None or value > rule.above)
    return value > threshold


def _cleared(rule: AlertRule, value: float, threshold: float) -> bool:
    h = rule.hysteresis
    if rule.below is not None:
        back = threshold * (1.0 + h)
        if rule.metric in RATE_METRICS:
            # A share cannot pass 1: `bot_share below 0.9` would need 1.08 and never clear.
            back = min(back, threshold + (1.0 - threshold) * h)
        return value >= back
    if rule.spike is not None:
        if rule.above is not None and value <= rule.above * (1.0 - h):
            return True
        return value <= threshold * (1.0 - h)
    return value <= threshold * (1.0 - h)


def _seed_samples(metric: str, st: _State, snapshot: Snapshot, now: float) -> None:
    """A spike rule's first look: the per-minute figures of the longest window's series (the
    history read at start), so that its baseline does not wait for an hour of live ticks.
    Metrics the series does not hold (probes, other quantiles) start from their first tick."""
    views = [v for v in snapshot.windows.values() if v.series is not None and v.series.requests]
    if not views:
        return
    series = max(views, key=lambda v: v.seconds).series
    assert series is not None
    points = _series_points(series, metric)
    if points is None:
        return
    start = snapshot.now - len(points) * series.step
    # Points before the first request are no measure of anything (a short history).
    span = snapshot.first_last()
    since = span[0] if span is not None else math.inf
    for k, point in enumerate(points):
        at = start + (k + 0.5) * series.step
        if point is not None and since <= start + k * series.step and at < now:
            _add_sample(st, at, point)


def _series_points(series: Series, metric: str) -> list[float | None] | None:
    """The metric at each point of a window's series (None where it cannot say)."""
    req = series.requests

    def share(part: tuple[float, ...]) -> list[float | None]:
        return [p / r if r else None for p, r in zip(part, req, strict=True)]

    if metric == "requests_per_s":
        return list(req)
    if metric == "human_pageviews_per_min":
        return [h * 60.0 for h in series.human]
    if metric in ("5xx_rate", "4xx_rate", "error_rate"):
        if metric == "5xx_rate":
            rates = series.rate_5xx
        elif metric == "4xx_rate":
            rates = series.rate_4xx
        else:
            rates = tuple(a + b for a, b in zip(series.rate_4xx, series.rate_5xx, strict=True))
        return [x if r else None for x, r in zip(rates, req, strict=True)]
    if metric == "bot_share":
        return share(series.bot)
    if metric == "p95_latency":
        return list(series.p95)
    return None


def _add_sample(st: _State, now: float, value: float) -> None:
    assert st.samples is not None
    minute = int(now // 60)
    if st.samples and st.samples[-1][0] == minute:
        st.samples[-1][1] += value
        st.samples[-1][2] += 1
    elif not st.samples or minute > st.samples[-1][0]:
        st.samples.append([minute, value, 1])


def metric_value(view: WindowView, metric: str) -> float | None:
    """The value of a rule metric in one snapshot window (None when the window cannot say)."""
    if metric == "5xx_rate":
        return view.rate_5xx
    if metric == "4xx_rate":
        return view.rate_4xx
    if metric == "error_rate":
        return view.error_rate
    if metric == "requests_per_s":
        return view.rps
    if metric == "human_pageviews_per_min":
        return view.human_pageviews_per_min
    if metric == "probe_hits":
        return float(view.probe_hits)
    if metric == "probing_clients":
        return float(view.probing_clients)
    if metric == "bot_share":
        return view.bot_share
    if metric.endswith("_latency"):
        return view.latency.get(metric.split("_", 1)[0])
    return None


def _s(text: str) -> str:
    return clean(cap(str(text), CONTEXT_STR))


def build_context(rule: AlertRule, view: WindowView | None) -> dict[str, Any]:
    """What was going on: the top offenders in the rule's window, as data (never interpolated into
    anything executable). `top` is a short list of labels for the one-line text."""
    if view is None:
        return {}
    m = rule.metric
    ctx: dict[str, Any] = {"status": dict(view.status)}
    prefix = rule.path_prefix
    paths = [
        p for p in view.top_paths.get("all", ()) if prefix is None or p.path.startswith(prefix)
    ]
    if m in ("5xx_rate", "4xx_rate", "error_rate"):

        def bad(p: Any) -> int:
            return int(
                p.s5xx if m == "5xx_rate" else p.s4xx if m == "4xx_rate" else p.s4xx + p.s5xx
            )

        worst = sorted((p for p in paths if bad(p)), key=bad, reverse=True)[:CONTEXT_ITEMS]
        ctx["top_paths"] = [
            {"path": _s(p.path), "hits": p.hits, "4xx": p.s4xx, "5xx": p.s5xx} for p in worst
        ]
        clients = sorted(
            (c for c in view.top_clients if c.errors), key=lambda c: c.errors, reverse=True
        )[:CONTEXT_ITEMS]
        ctx["top_clients"] = [
            {"client": _s(c.client), "hits": c.hits, "errors": c.errors} for c in clients
        ]
        label = "5xx" if m == "5xx_rate" else "4xx" if m == "4xx_rate" else "errors"
        ctx["top"] = [f"{_s(p.path)} ({bad(p)} {label})" for p in worst[:3]]
    elif m in ("probe_hits", "probing_clients"):
        probes = view.probes[:CONTEXT_ITEMS]
        ctx["probing_clients"] = [
            {
                "client": _s(p.client),
                "hits": p.hits,
                "last_path": _s(p.last_path),
                "rules": [_s(r) for r in p.rules[:5]],
            }
            for p in probes
        ]
        ctx["probe_rules"] = dict(
            sorted(view.probe_rules.items(), key=lambda kv: -kv[1])[:CONTEXT_ITEMS]
        )
        ctx["top"] = [f"{_s(p.client)} ({p.hits} probes)" for p in probes[:3]]
    elif m.endswith("_latency"):
        slow = sorted(
            (p for p in paths if p.p95 is not None), key=lambda p: p.p95 or 0.0, reverse=True
        )[:CONTEXT_ITEMS]
        ctx["latency"] = {k: round(v, 4) for k, v in view.latency.items()}
        ctx["slow_paths"] = [
            {"path": _s(p.path), "hits": p.hits, "p95": round(p.p95 or 0.0, 4)} for p in slow
        ]
        ctx["top"] = [f"{_s(p.path)} (p95 {(p.p95 or 0) * 1000:.0f}ms)" for p in slow[:3]]
    elif m == "human_pageviews_per_min":
        human = view.top_paths.get("human", ())[:CONTEXT_ITEMS]
        ctx["top_paths"] = [{"path": _s(p.path), "hits": p.hits} for p in human]
        ctx["classes"] = dict(view.classes)
    else:  # requests_per_s, bot_share
        ctx["classes"] = dict(view.classes)
        ctx["top_clients"] = [
            {"client": _s(c.client), "hits": c.hits} for c in view.top_clients[:CONTEXT_ITEMS]
        ]
        ctx["top_bots"] = [
            {"name": _s(b.name), "category": b.category, "hits": b.hits}
            for b in view.top_bots[:CONTEXT_ITEMS]
        ]
        ctx["top"] = (
            [f"{_s(b.name)} ({b.hits})" for b in view.top_bots[:3]]
            if m == "bot_share"
            else [f"{_s(c.client)} ({c.hits})" for c in view.top_clients[:3]]
        )
    return ctx


def _defuse(text: str) -> str:
    """Chat services turn `<!channel>`, `<@U123>`, `<url|label>` and `@everyone` into mentions and
    links; log text must not page a whole channel. Replace the markers with look-alikes."""
    return text.replace("<", "‹").replace(">", "›").replace("@", "＠")


def _round(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(v, 6)


def _span(seconds: float) -> str:
    s = max(0, int(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def events_to_jsonl(events: Sequence[AlertEvent]) -> str:
    """Events as JSON Lines (one object per line), for headless output."""
    return "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in events)
