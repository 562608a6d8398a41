"""Serve the latest Snapshot as Prometheus metrics on /metrics.

    exporter = PrometheusExporter("127.0.0.1:9464")   # "9464" and ":9464" bind 127.0.0.1 too
    exporter.start()                                   # a daemon thread serves HTTP
    exporter.update(snapshot, alerts)                  # from the engine, about once a second
    exporter.stop()

How it stays out of the way: `update` only swaps a reference under a lock, so the engine never
waits for a scrape; a scrape builds its metric families from the snapshot it finds, in the HTTP
server's thread. The registry is private (not prometheus_client's global one), so several exporters
(tests) can live in one process.

Labels stay low-cardinality: only sources, classes, status classes, bot categories, probe families,
malformed reasons, windows, quantiles and alert rule names ever become label values — never a
path, client or agent. Values are sanitised and capped in length; each label keeps at most a fixed
number of distinct values (sources: `max_sources`) and the rest are counted under `_other`, which
keeps counters monotonic because a value, once placed, never moves.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry, RestrictedRegistry

from logwatch.model import BOT_CATEGORIES, CLASSES, STATUS_CLASSES
from logwatch.sanitize import cap, clean
from logwatch.stats.snapshot import Snapshot, WindowView

DEFAULT_PORT = 9464
MAX_LABEL_CHARS = 120
MAX_CONNECTIONS = 64  # scrapes served at once; more are closed at once
CLIENT_TIMEOUT = 10.0  # seconds a client may take to send its request or read the answer
OTHER = "_other"
_FIRING_STATES = frozenset({"firing", "clearing"})
# Counts that sources report in their state extra, exported as logwatch_source_events_total.
_SOURCE_EVENTS = (
    "malformed_frames",
    "oversized_frames",
    "dropped",
    "filtered",
    "rejected_connections",
    "rotations",
    "truncations",
)
_SOURCE_STATES = ("starting", "reading", "following", "missing", "rotated", "closed", "error")


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `PORT` (→ 127.0.0.1), `[::1]:PORT` → (host, port).

    Raises ValueError with a one-line reason.
    """
    value = text.strip()
    host, sep, port_text = value.rpartition(":")
    if not sep:
        host, port_text = "", value
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"--metrics: write IPv6 addresses in brackets, like [::1]:9464: {text!r}")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"--metrics needs HOST:PORT or PORT, not {text!r}")
    return host or "127.0.0.1", int(port_text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up exit
    # One thread per connection: without a cap and a timeout, connections that never finish
    # their request (slowloris) each kept a thread forever, without bound.
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)  # replaced per server by start()
    client_timeout: float | None = CLIENT_TIMEOUT
    rejected_connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.rejected_connections += 1
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()  # no thread started to release it
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets or drops its connection is its own business: socketserver would
        # print a traceback to stderr for each one, which anyone who can connect could repeat.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def setup(self) -> None:
        assert isinstance(self.server, _Server)
        self.request.settimeout(self.server.client_timeout)  # for each socket read and write
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # wsgiref logs every request to stderr, which would scribble over the dashboard


def _with_head(app: Any) -> Any:
    """prometheus_client answers HEAD with 405; uptime checks send it. A GET without the body."""

    def head_as_get(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") != "HEAD":
            return app(environ, start_response)
        body = app({**environ, "REQUEST_METHOD": "GET"}, start_response)
        if hasattr(body, "close"):
            body.close()
        return [b""]

    return head_as_get


class _LabelValues:
    """Sanitised, capped label values, with at most `limit` distinct ones (the rest: `_other`)."""

    __slots__ = ("limit", "seen")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: dict[str, str] = {}

    def __call__(self, value: object) -> str:
        raw = str(value)
        out = self.seen.get(raw)
        if out is not None:
            return out
        if len(self.seen) >= self.limit:
            return OTHER
        out = cap(clean(raw), MAX_LABEL_CHARS) or "-"
        self.seen[raw] = out
        return out


def _alert_list(alert_states: Any) -> list[tuple[str, bool, float | None]]:
    """(rule name, firing, value) from whatever the caller has: an alerts engine (anything with
    `status()`), its list of RuleStatus, or a mapping {rule: state or bool}."""
    if alert_states is None:
        return []
    status = getattr(alert_states, "status", None)
    if callable(status):
        alert_states = status()
    out: list[tuple[str, bool, float | None]] = []
    if isinstance(alert_states, Mapping):
        for name, state in alert_states.items():
            firing = state in _FIRING_STATES if isinstance(state, str) else bool(state)
            out.append((str(name), firing, None))
        return out
    for st in alert_states:
        rule = getattr(st, "rule", None)
        name = getattr(rule, "name", None) or getattr(st, "name", None) or str(rule)
        value = getattr(st, "value", None)
        number = float(value) if isinstance(value, (int, float)) else None
        out.append((str(name), getattr(st, "state", "") in _FIRING_STATES, number))
    return out


class _SnapshotCollector(Collector):
    def __init__(self, owner: PrometheusExporter) -> None:
        self.owner = owner

    def collect(self) -> Iterator[Metric]:
        snap, alerts, updates = self.owner._latest()
        with self.owner._labels_lock:  # scrapes may run in parallel threads
            yield from self.owner._families(snap, alerts, updates)


class _Registry(CollectorRegistry):
    """`?name[]=` filters what every collector gives. prometheus_client's own filter asks only
    the collectors registered under those names, and ours names no metrics up front (they follow
    the snapshot): the page came back empty. (`support_collectors_without_names` would do, but
    only from prometheus-client 0.25; we accept 0.20, where that keyword is a TypeError.)"""

    def restricted_registry(self, names: Iterable[str]) -> RestrictedRegistry:
        return _Restricted(names, self)


class _Restricted(RestrictedRegistry):
    def collect(self) -> Iterator[Metric]:
        for metric in self._registry.collect():
            samples = [s for s in metric.samples if s.name in self._name_set]
            if samples:
                kept = Metric(metric.name, metric.documentation, metric.type, metric.unit)
                kept.samples = samples
                yield kept


class PrometheusExporter:
    """The `--metrics` endpoint. `update(snapshot, alert_states)` is all the engine calls."""

    def __init__(
        self,
        listen: str | tuple[str, int] = f"127.0.0.1:{DEFAULT_PORT}",
        *,
        max_sources: int = 50,
        max_label_values: int = 200,
        max_connections: int = MAX_CONNECTIONS,
        client_timeout: float = CLIENT_TIMEOUT,
    ) -> None:
        self.host, self.port = parse_listen(listen) if isinstance(listen, str) else listen
        self.warning = ""
        if not is_loopback(self.host):
            self.warning = (
                f"metrics are served on {self.host}:{self.port}, reachable from the network; "
                "they name log sources and alert rules"
            )
        self.registry = _Registry(auto_describe=False)
        self.registry.register(_SnapshotCollector(self))
        self._lock = threading.Lock()
        self._labels_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._alerts: list[tuple[str, bool, float | None]] = []
        self._updates = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._source = _LabelValues(max_sources)
        # Sources as last scraped, and what the ones gone since had counted (see _ingest).
        self._last_sources: dict[str, tuple[str, int, dict[str, int]]] = {}
        self._gone_lines: dict[str, int] = {}
        self._gone_events: dict[tuple[str, str], int] = {}
        self._labels: dict[str, _LabelValues] = {}
        self._max_label_values = max_label_values
        self.max_connections = max(1, max_connections)
        self.client_timeout = client_timeout

    # ------------------------------------------------------------------------- public API

    def start(self) -> tuple[str, int]:
        """Bind and serve in a daemon thread; returns the bound (host, port) (port 0 → a free one).

        Raises OSError when the address cannot be bound."""
        if self._server is not None:
            return self.host, self.port
        server_class = _Server6 if ":" in self.host else _Server
        server = make_server(
            self.host,
            self.port,
            _with_head(make_wsgi_app(self.registry)),
            server_class,
            handler_class=_QuietHandler,
        )
        server.slots = threading.BoundedSemaphore(self.max_connections)
        server.client_timeout = self.client_timeout
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how soon stop() returns
            name="logwatch-metrics",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        self.port = server.server_port
        return self.host, self.port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def update(self, snapshot: Snapshot, alert_states: Any = None) -> None:
        """Publish the latest snapshot (any thread; never blocks on a scrape).

        `alert_states`: the alerts engine (its `status()` is read here, in the caller's thread),
        a list of RuleStatus, a mapping {rule name: state or bool}, or None."""
        alerts = _alert_list(alert_states)
        if snapshot.extra.get("live") is False:
            # A log nobody writes to any more (or history still being read): its incidents are
            # the past. Exported as firing, a `logwatch_alert_firing == 1` rule paged for them.
            alerts = [(name, False, value) for name, _, value in alerts]
        with self._lock:
            self._snapshot = snapshot
            self._alerts = alerts
            self._updates += 1

    def stop(self) -> None:
        """Stop serving and free the port. Safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def render(self) -> bytes:
        """The exposition text, as a scrape would get it (for tests and `--once` style use)."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    # ------------------------------------------------------------------------- internals

    def _latest(self) -> tuple[Snapshot | None, list[tuple[str, bool, float | None]], int]:
        with self._lock:
            return self._snapshot, self._alerts, self._updates

    def _label(self, name: str) -> _LabelValues:
        lv = self._labels.get(name)
        if lv is None:
            lv = self._labels[name] = _LabelValues(self._max_label_values)
        return lv

    def _families(
        self, snap: Snapshot | None, alerts: list[tuple[str, bool, float | None]], updates: int
    ) -> Iterator[Metric]:
        up = GaugeMetricFamily("logwatch_up", "1 once the engine has published a snapshot, else 0")
        up.add_metric([], 1.0 if snap is not None else 0.0)
        yield up
        upd = CounterMetricFamily("logwatch_snapshot_updates", "Snapshots received from the engine")
        upd.add_metric([], updates)
        yield upd
        server = self._server
        rejected = CounterMetricFamily(
            "logwatch_metrics_rejected_connections",
            "Connections to this endpoint closed unserved: too many at once",
        )
        rejected.add_metric([], server.rejected_connections if server is not None else 0)
        yield rejected
        if snap is None:
            return
        yield from self._counters(snap)
        yield from self._windows(snap)
        yield from self._alerts_families(alerts)
        yield from self._ingest(snap)

    def _counters(self, snap: Snapshot) -> Iterator[Metric]:
        source, klass, status = self._source, self._label("class"), self._label("status_class")
        counters = snap.counters
        req = CounterMetricFamily(
            "logwatch_requests",
            "Parsed requests since start, each counted once",
            labels=["source", "class", "status_class"],
        )
        merged: dict[tuple[str, str, str], int] = {}
        by_class: dict[str, int] = dict.fromkeys(CLASSES, 0)
        by_status: dict[str, int] = dict.fromkeys(STATUS_CLASSES, 0)
        for key, n in counters.get("requests", {}).items():
            src, cls, sc = key
            labels = (source(src), klass(cls), status(sc))
            merged[labels] = merged.get(labels, 0) + n
            by_class[labels[1]] = by_class.get(labels[1], 0) + n
            by_status[labels[2]] = by_status.get(labels[2], 0) + n
        for labels, n in sorted(merged.items()):
            req.add_metric(list(labels), n)
        yield req

        fam = CounterMetricFamily(
            "logwatch_class_requests", "Parsed requests by class since start", labels=["class"]
        )
        for cls, n in by_class.items():
            fam.add_metric([cls], n)
        yield fam
        fam = CounterMetricFamily(
            "logwatch_status_requests",
            "Parsed requests by status class since start",
            labels=["status_class"],
        )
        for sc, n in by_status.items():
            fam.add_metric([sc], n)
        yield fam

        category = self._label("category")
        bots: dict[str, int] = dict.fromkeys(BOT_CATEGORIES, 0)
        for cat, n in counters.get("bots", {}).items():
            label = category(cat)
            bots[label] = bots.get(label, 0) + n
        fam = CounterMetricFamily(
            "logwatch_bot_requests", "Bot requests by category since start", labels=["category"]
        )
        for cat, n in bots.items():
            fam.add_metric([cat], n)
        yield fam

        yield self._simple_counter(
            "logwatch_probe_hits",
            "Probe rule hits by probe family since start (a request can match several)",
            "family",
            counters.get("probes", {}),
        )
        # The families over-count probing (a request hitting two counts twice): this is the
        # JSON's probes.count, each probe request once. The totals are since start: monotonic.
        probes = CounterMetricFamily(
            "logwatch_probe_requests", "Requests that hit any probe rule since start, each once"
        )
        probes.add_metric([], snap.totals.probe_hits)
        yield probes

        lines = CounterMetricFamily("logwatch_lines", "Non-empty lines read since start")
        lines.add_metric([], snap.lines)
        yield lines
        parsed = CounterMetricFamily("logwatch_parsed_lines", "Lines that became requests")
        parsed.add_metric([], snap.parsed)
        yield parsed
        reasons = counters.get("malformed") or snap.malformed_reasons
        yield self._simple_counter(
            "logwatch_malformed_lines",
            "Lines that did not become requests, by reason",
            "reason",
            reasons,
        )

    def _simple_counter(
        self, name: str, doc: str, label: str, values: Mapping[Any, int]
    ) -> CounterMetricFamily:
        lv = self._label(label)
        merged: dict[str, int] = {}
        for key, n in values.items():
            value = lv(key)
            merged[value] = merged.get(value, 0) + n
        fam = CounterMetricFamily(name, doc, labels=[label])
        for value, n in sorted(merged.items()):
            fam.add_metric([value], n)
        return fam

    def _windows(self, snap: Snapshot) -> Iterator[Metric]:
        wl = self._label("window")
        views: list[tuple[str, WindowView]] = [(wl(n), w) for n, w in snap.windows.items()]
        if not views:
            return

        def gauge(name: str, doc: str, extra: list[str] | None = None) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=["window", *(extra or [])])

        requests = gauge("logwatch_window_requests", "Requests in the window")
        rps = gauge("logwatch_window_requests_per_second", "Requests per second over the window")
        by_class = gauge(
            "logwatch_window_class_requests_per_second",
            "Requests per second over the window, by class",
            ["class"],
        )
        ratio = gauge(
            "logwatch_window_status_ratio",
            "Share of the window's requests answered 4xx / 5xx",
            ["status_class"],
        )
        errors = gauge("logwatch_window_error_ratio", "Share of requests answered 4xx or 5xx")
        views_pm = gauge(
            "logwatch_window_human_pageviews_per_minute", "Human page views per minute"
        )
        bot_share = gauge("logwatch_window_bot_share_ratio", "Share of requests made by bots")
        probe_hits = gauge("logwatch_window_probe_hits", "Probe requests in the window")
        probing = gauge("logwatch_window_probing_clients", "Clients that probed in the window")
        latency = gauge(
            "logwatch_window_latency_seconds",
            "Request time quantiles over the window (when the log has request times)",
            ["quantile"],
        )
        for name, w in views:
            requests.add_metric([name], w.requests)
            rps.add_metric([name], w.rps)
            for cls in CLASSES:
                by_class.add_metric([name, cls], w.rps_of(cls))
            ratio.add_metric([name, "4xx"], w.rate_4xx)
            ratio.add_metric([name, "5xx"], w.rate_5xx)
            errors.add_metric([name], w.error_rate)
            views_pm.add_metric([name], w.human_pageviews_per_min)
            bot_share.add_metric([name], w.bot_share)
            probe_hits.add_metric([name], w.probe_hits)
            probing.add_metric([name], w.probing_clients)
            for key, seconds in w.latency.items():
                q = _quantile(key)
                if q is not None:
                    latency.add_metric([name, q], seconds)
        yield from (requests, rps, by_class, ratio, errors, views_pm, bot_share)
        yield from (probe_hits, probing, latency)

    def _alerts_families(self, alerts: list[tuple[str, bool, float | None]]) -> Iterator[Metric]:
        rule = self._label("rule")
        firing = GaugeMetricFamily(
            "logwatch_alert_firing", "1 while an alert rule is firing, else 0", labels=["rule"]
        )
        value = GaugeMetricFamily(
            "logwatch_alert_value", "The value an alert rule last measured", labels=["rule"]
        )
        seen: dict[str, bool] = {}
        for name, is_firing, v in alerts:
            label = rule(name)
            if label in seen:  # two rules folded into _other: firing if either fires
                seen[label] = seen[label] or is_firing
                continue
            seen[label] = is_firing
            if v is not None:
                value.add_metric([label], v)
        for label, is_firing in seen.items():
            firing.add_metric([label], 1.0 if is_firing else 0.0)
        yield firing
        yield value

    def _retire_sources(self, now_seen: dict[str, tuple[str, int, dict[str, int]]]) -> None:
        """Counters must never go down (rate() would read a reset): a source that is gone (a
        forgotten glob match) keeps its lines and events in its label's totals, `_other`'s
        above all, where several sources add up. Kept per label, so bounded like the labels."""
        for raw, (label, n, counts) in self._last_sources.items():
            if raw not in now_seen:
                self._gone_lines[label] = self._gone_lines.get(label, 0) + n
                for key, k in counts.items():
                    self._gone_events[(label, key)] = self._gone_events.get((label, key), 0) + k
        self._last_sources = now_seen

    def _ingest(self, snap: Snapshot) -> Iterator[Metric]:
        source = self._source
        lines = CounterMetricFamily(
            "logwatch_source_lines", "Lines read from each source", labels=["source"]
        )
        lag = GaugeMetricFamily(
            "logwatch_source_lag_seconds", "How far behind each source is", labels=["source"]
        )
        state = GaugeMetricFamily(
            "logwatch_source_state",
            "1 for the state each source is in",
            labels=["source", "state"],
        )
        events = CounterMetricFamily(
            "logwatch_source_events",
            "Drops, bad frames, rotations and the like, per source",
            labels=["source", "event"],
        )
        sources = GaugeMetricFamily("logwatch_sources", "Sources by state", labels=["state"])
        per_state: dict[str, int] = {}
        merged_lines: dict[str, int] = {}
        merged_lag: dict[str, float] = {}
        merged_state: dict[str, str] = {}
        merged_events: dict[tuple[str, str], int] = {}
        now_seen: dict[str, tuple[str, int, dict[str, int]]] = {}
        for s in snap.sources:
            name = source(s.name)
            st = s.state if s.state in _SOURCE_STATES else "other"
            per_state[st] = per_state.get(st, 0) + 1
            merged_lines[name] = merged_lines.get(name, 0) + s.lines
            merged_lag[name] = max(merged_lag.get(name, 0.0), s.lag_seconds)
            merged_state.setdefault(name, st)
            counts: dict[str, int] = {}
            for key in _SOURCE_EVENTS:
                n = s.extra.get(key)
                if isinstance(n, int) and not isinstance(n, bool):
                    merged_events[(name, key)] = merged_events.get((name, key), 0) + n
                    counts[key] = n
            now_seen[s.name] = (name, s.lines, counts)
        self._retire_sources(now_seen)
        for name, n in self._gone_lines.items():
            merged_lines[name] = merged_lines.get(name, 0) + n
        for key2, n in self._gone_events.items():
            merged_events[key2] = merged_events.get(key2, 0) + n
        for name, n in merged_lines.items():
            lines.add_metric([name], n)
            if name in merged_state:
                lag.add_metric([name], merged_lag[name])
                state.add_metric([name, merged_state[name]], 1.0)
        for (name, key), n in sorted(merged_events.items()):
            events.add_metric([name, key], n)
        for st in _SOURCE_STATES:
            sources.add_metric([st], per_state.get(st, 0))
        if "other" in per_state:
            sources.add_metric(["other"], per_state["other"])
        yield from (lines, lag, state, events, sources)
        rate = snap.extra.get("ingest_rate")
        if isinstance(rate, (int, float)):
            g = GaugeMetricFamily("logwatch_ingest_lines_per_second", "Lines read per second")
            g.add_metric([], float(rate))
            yield g
        ts = GaugeMetricFamily(
            "logwatch_snapshot_time_seconds",
            "The snapshot's clock: log time while reading history, wall time when live",
        )
        ts.add_metric([], snap.now)
        yield ts


def _quantile(key: str) -> str | None:
    """ "p50" → "0.5", "p99" → "0.99", "p999" → "0.999"."""
    if len(key) < 2 or key[0] != "p" or not key[1:].isdigit():
        return None
    return repr(float("0." + key[1:]))
