"""/metrics scraped over HTTP on 127.0.0.1 and parsed with prometheus_client's own parser."""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from logwatch.exporters.prometheus import OTHER, PrometheusExporter, parse_listen
from logwatch.ingest.formats import get_format
from logwatch.model import SourceState
from logwatch.pipeline import Pipeline
from logwatch.stats.snapshot import Snapshot, WindowView

Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def scrape(exporter: PrometheusExporter) -> Samples:
    """GET /metrics → {sample name: {sorted labels: value}}."""
    with urllib.request.urlopen(exporter.url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    out: Samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def by(samples: Samples, name: str, *label_names: str) -> dict[tuple[str, ...], float]:
    """One metric's samples keyed by the given labels' values."""
    out: dict[tuple[str, ...], float] = {}
    for labels, value in samples.get(name, {}).items():
        d = dict(labels)
        key = tuple(d[n] for n in label_names)
        out[key] = out.get(key, 0.0) + value
    return out


@pytest.fixture
def exporter() -> Iterator[PrometheusExporter]:
    exp = PrometheusExporter("127.0.0.1:0")
    exp.start()
    yield exp
    exp.stop()


def make_snapshot(**kw: object) -> Snapshot:
    requests = {
        ("/var/log/nginx/a.log", "human", "2xx"): 70,
        ("/var/log/nginx/a.log", "human", "5xx"): 3,
        ("/var/log/nginx/a.log", "bot", "4xx"): 12,
        ("syslog:web-2", "asset", "2xx"): 40,
        ("syslog:web-2", "bot", "2xx"): 8,
    }
    one_minute = WindowView(
        name="1m",
        seconds=60.0,
        requests=120,
        classes={"human": 60, "bot": 30, "asset": 30},
        status={"2xx": 90, "4xx": 24, "5xx": 6},
        probe_hits=5,
        latency={"p50": 0.012, "p95": 0.2, "p99": 0.9},
    )
    defaults: dict[str, object] = dict(
        now=1_732_861_800.0,
        format="combined",
        lines=136,
        parsed=133,
        malformed=3,
        malformed_reasons={"bad timestamp": 2, "line too long": 1},
        malformed_examples=(),
        totals=WindowView(name="all", seconds=600.0, requests=133),
        windows={"1m": one_minute, "5m": WindowView(name="5m", seconds=300.0)},
        sources=(
            SourceState("/var/log/nginx/a.log", state="following", lines=88, lag_seconds=0.5),
            SourceState(
                "syslog+udp://127.0.0.1:5514",
                state="following",
                extra={"malformed_frames": 4, "dropped": 7, "frames": 99},
            ),
            SourceState("syslog:web-2", state="following", lines=48),
        ),
        counters={
            "requests": requests,
            "bots": {"search": 15, "ai": 5},
            "probes": {"secret-file": 4, "wordpress": 2},
            "malformed": {"bad timestamp": 2, "line too long": 1},
        },
        extra={"ingest_rate": 12.5},
    )
    defaults.update(kw)
    return Snapshot(**defaults)  # type: ignore[arg-type]


def test_parse_listen() -> None:
    assert parse_listen("9464") == ("127.0.0.1", 9464)
    assert parse_listen(":9464") == ("127.0.0.1", 9464)
    assert parse_listen("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    for bad in ("", "host:", "x:abc", "1:70000", "::1:9464"):
        with pytest.raises(ValueError):
            parse_listen(bad)
    assert PrometheusExporter("0.0.0.0:9464").warning  # not started: tests bind 127.0.0.1 only
    assert not PrometheusExporter("9464").warning


def test_before_any_snapshot(exporter: PrometheusExporter) -> None:
    s = scrape(exporter)
    assert s["logwatch_up"] == {(): 0.0}
    assert "logwatch_requests_total" not in s


def test_counts_match_the_snapshot(exporter: PrometheusExporter) -> None:
    snap = make_snapshot()
    exporter.update(snap)
    s = scrape(exporter)
    assert s["logwatch_up"] == {(): 1.0}
    req = by(s, "logwatch_requests_total", "source", "class", "status_class")
    assert req == {k: float(v) for k, v in snap.counters["requests"].items()}
    assert by(s, "logwatch_class_requests_total", "class") == {
        ("human",): 73.0,
        ("bot",): 20.0,
        ("asset",): 40.0,
    }
    status = by(s, "logwatch_status_requests_total", "status_class")
    assert status[("2xx",)] == 118.0 and status[("4xx",)] == 12.0 and status[("5xx",)] == 3.0
    bots = by(s, "logwatch_bot_requests_total", "category")
    assert bots[("search",)] == 15.0 and bots[("ai",)] == 5.0 and bots[("scanner",)] == 0.0
    assert by(s, "logwatch_probe_hits_total", "family") == {
        ("secret-file",): 4.0,
        ("wordpress",): 2.0,
    }
    assert s["logwatch_lines_total"] == {(): 136.0}
    assert s["logwatch_parsed_lines_total"] == {(): 133.0}
    assert by(s, "logwatch_malformed_lines_total", "reason") == {
        ("bad timestamp",): 2.0,
        ("line too long",): 1.0,
    }


def test_name_filter_returns_the_named_metrics(exporter: PrometheusExporter) -> None:
    # `?name[]=` (Prometheus' own filter) returned an empty page.
    exporter.update(make_snapshot())
    url = exporter.url + "?name[]=logwatch_lines_total&name[]=logwatch_up"
    with urllib.request.urlopen(url, timeout=10) as resp:
        families = list(text_string_to_metric_families(resp.read().decode()))
    names = {s.name for fam in families for s in fam.samples}
    assert names == {"logwatch_lines_total", "logwatch_up"}


def test_name_filter_on_prometheus_client_before_0_25(monkeypatch: pytest.MonkeyPatch) -> None:
    # pyproject accepts prometheus-client 0.20: its registry has no
    # `support_collectors_without_names` (0.25), and passing it made every exporter a TypeError.
    original = CollectorRegistry.__init__

    def old_init(
        self: CollectorRegistry, auto_describe: bool = False, target_info: object = None
    ) -> None:
        original(self, auto_describe=auto_describe, target_info=target_info)  # type: ignore[arg-type]

    monkeypatch.setattr(CollectorRegistry, "__init__", old_init)
    exp = PrometheusExporter("127.0.0.1:0")
    exp.start()
    try:
        exp.update(make_snapshot())
        with urllib.request.urlopen(exp.url + "?name[]=logwatch_up", timeout=10) as resp:
            families = list(text_string_to_metric_families(resp.read().decode()))
    finally:
        exp.stop()
    assert {s.name for fam in families for s in fam.samples} == {"logwatch_up"}


def test_head_is_answered_like_get_without_a_body(exporter: PrometheusExporter) -> None:
    # Uptime checks send HEAD; it was refused with 405.
    request = urllib.request.Request(exporter.url, method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        assert resp.read() == b""


def test_window_gauges(exporter: PrometheusExporter) -> None:
    exporter.update(make_snapshot())
    s = scrape(exporter)
    assert by(s, "logwatch_window_requests_per_second", "window") == {("1m",): 2.0, ("5m",): 0.0}
    assert by(s, "logwatch_window_class_requests_per_second", "window", "class")[
        ("1m", "bot")
    ] == pytest.approx(0.5)
    ratio = by(s, "logwatch_window_status_ratio", "window", "status_class")
    assert ratio[("1m", "4xx")] == pytest.approx(0.2)
    assert ratio[("1m", "5xx")] == pytest.approx(0.05)
    assert by(s, "logwatch_window_error_ratio", "window")[("1m",)] == pytest.approx(0.25)
    assert by(s, "logwatch_window_human_pageviews_per_minute", "window")[("1m",)] == 60.0
    assert by(s, "logwatch_window_bot_share_ratio", "window")[("1m",)] == pytest.approx(0.25)
    assert by(s, "logwatch_window_probe_hits", "window")[("1m",)] == 5.0
    assert by(s, "logwatch_window_latency_seconds", "window", "quantile") == {
        ("1m", "0.5"): 0.012,
        ("1m", "0.95"): 0.2,
        ("1m", "0.99"): 0.9,
    }


def test_ingest_health(exporter: PrometheusExporter) -> None:
    exporter.update(make_snapshot())
    s = scrape(exporter)
    assert by(s, "logwatch_source_lines_total", "source") == {
        ("/var/log/nginx/a.log",): 88.0,
        ("syslog+udp://127.0.0.1:5514",): 0.0,
        ("syslog:web-2",): 48.0,
    }
    assert by(s, "logwatch_source_lag_seconds", "source")[("/var/log/nginx/a.log",)] == 0.5
    assert by(s, "logwatch_source_state", "source", "state")[("syslog:web-2", "following")] == 1
    events = by(s, "logwatch_source_events_total", "source", "event")
    assert events == {
        ("syslog+udp://127.0.0.1:5514", "malformed_frames"): 4.0,
        ("syslog+udp://127.0.0.1:5514", "dropped"): 7.0,
    }
    assert by(s, "logwatch_sources", "state")[("following",)] == 3.0
    assert s["logwatch_ingest_lines_per_second"] == {(): 12.5}


@dataclass
class _Rule:
    name: str


@dataclass
class _Status:
    rule: _Rule
    state: str
    value: float | None


class _Engine:
    def status(self) -> list[_Status]:
        return [
            _Status(_Rule("5xx spike"), "firing", 0.12),
            _Status(_Rule("probes"), "ok", None),
            _Status(_Rule("slow"), "clearing", 1.5),
        ]


def test_alert_states_from_engine_and_mapping(exporter: PrometheusExporter) -> None:
    exporter.update(make_snapshot(), _Engine())
    s = scrape(exporter)
    assert by(s, "logwatch_alert_firing", "rule") == {
        ("5xx spike",): 1.0,
        ("probes",): 0.0,
        ("slow",): 1.0,
    }
    assert by(s, "logwatch_alert_value", "rule") == {("5xx spike",): 0.12, ("slow",): 1.5}
    exporter.update(make_snapshot(), {"5xx spike": "ok", "probes": True})
    s = scrape(exporter)
    assert by(s, "logwatch_alert_firing", "rule") == {("5xx spike",): 0.0, ("probes",): 1.0}


def test_alerts_of_a_log_read_in_its_own_time_are_not_exported_as_firing(
    exporter: PrometheusExporter,
) -> None:
    """A dead log's incident stayed `firing` at its last line, and a fleet rule on
    `logwatch_alert_firing == 1` paged for something hours old (hooks rightly stayed quiet)."""
    snap = make_snapshot()
    snap.extra["live"] = False
    exporter.update(snap, _Engine())
    s = scrape(exporter)
    assert set(by(s, "logwatch_alert_firing", "rule").values()) == {0.0}
    assert by(s, "logwatch_alert_value", "rule") == {("5xx spike",): 0.12, ("slow",): 1.5}
    snap.extra["live"] = True
    exporter.update(snap, _Engine())
    assert by(scrape(exporter), "logwatch_alert_firing", "rule")[("5xx spike",)] == 1.0


def test_labels_are_capped_and_sanitised() -> None:
    exp = PrometheusExporter("127.0.0.1:0", max_sources=3)
    exp.start()
    try:
        hostile = 'syslog:evil"}\n\x1b]0;x\x07' + "z" * 500
        requests = {(f"syslog:h{i}", "human", "2xx"): 1 for i in range(10)}
        requests[(hostile, "bot", "4xx")] = 5
        exp.update(make_snapshot(counters={"requests": requests}, sources=()))
        s = scrape(exp)
        req = by(s, "logwatch_requests_total", "source", "class", "status_class")
        sources = {k[0] for k in req}
        assert len(sources) == 4  # three kept, the rest under _other
        assert OTHER in sources
        assert sum(req.values()) == 15.0  # nothing lost, only folded
        assert req[(OTHER, "bot", "4xx")] == 5.0
        for src in sources:
            assert "\x1b" not in src and "\n" not in src and len(src) <= 120
        # The same source stays where it was placed on later scrapes: counters stay monotonic.
        requests[("syslog:h0", "human", "2xx")] = 3
        exp.update(make_snapshot(counters={"requests": requests}, sources=()))
        again = by(scrape(exp), "logwatch_requests_total", "source", "class", "status_class")
        assert set(again) == set(req)
        assert again[(OTHER, "bot", "4xx")] == 5.0
    finally:
        exp.stop()


def test_hostile_label_values_survive_exposition(exporter: PrometheusExporter) -> None:
    hostile = 'a"b\\c\nd\x1b[31m'
    exporter.update(make_snapshot(counters={"requests": {(hostile, "human", "2xx"): 2}}))
    req = by(scrape(exporter), "logwatch_requests_total", "source")
    ((label,),) = req.keys()
    assert "\n" not in label and "\x1b" not in label
    assert label.startswith('a"b\\c')
    assert req[(label,)] == 2.0


def test_start_stop_repeatedly_frees_the_port() -> None:
    for _ in range(3):
        exp = PrometheusExporter("127.0.0.1:0")
        host, port = exp.start()
        assert host == "127.0.0.1" and port > 0
        exp.update(make_snapshot())
        assert scrape(exp)["logwatch_up"] == {(): 1.0}
        exp.stop()
        exp.stop()
        again = PrometheusExporter(f"127.0.0.1:{port}")  # the same port binds again
        again.start()
        again.stop()
        with pytest.raises(OSError):
            urllib.request.urlopen(exp.url, timeout=2)


# ----------------------------------------------------------------------------- end to end

LOG = [
    '203.0.113.5 - - [29/Nov/2024:06:30:00 +0000] "GET / HTTP/1.1" 200 612 "-" '
    '"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"',
    '203.0.113.5 - - [29/Nov/2024:06:30:01 +0000] "GET /style.css HTTP/1.1" 200 99 '
    '"https://example.org/" "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"',
    '66.249.66.1 - - [29/Nov/2024:06:30:02 +0000] "GET /robots.txt HTTP/1.1" 404 0 "-" '
    '"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"',
    '198.51.100.9 - - [29/Nov/2024:06:30:03 +0000] "GET /.env HTTP/1.1" 404 0 "-" "curl/8.5.0"',
    '198.51.100.9 - - [29/Nov/2024:06:30:04 +0000] "GET /wp-login.php HTTP/1.1" 404 0 "-" "-"',
    '203.0.113.7 - - [29/Nov/2024:06:30:05 +0000] "POST /api/x HTTP/1.1" 502 10 "-" '
    '"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"',
    "this is not an access log line",
]


def test_metrics_match_the_pipeline_report(exporter: PrometheusExporter) -> None:
    pipe = Pipeline(get_format("combined"))
    pipe.feed([line.encode() for line in LOG[:3]], "/var/log/a.log")
    pipe.feed([line.encode() for line in LOG[3:]], "syslog:web-2", too_long=1)
    snap = pipe.snapshot()
    report = snap.to_json()
    exporter.update(snap)
    s = scrape(exporter)

    assert s["logwatch_lines_total"] == {(): float(report["lines"])}
    assert s["logwatch_parsed_lines_total"] == {(): float(report["parsed"])}
    malformed = by(s, "logwatch_malformed_lines_total", "reason")
    assert {k[0]: v for k, v in malformed.items()} == report["malformed"]["reasons"]
    assert sum(malformed.values()) == report["malformed"]["count"] == 2
    classes = by(s, "logwatch_class_requests_total", "class")
    assert {k[0]: v for k, v in classes.items()} == report["classes"]
    status = by(s, "logwatch_status_requests_total", "status_class")
    assert {k: status[(k,)] for k in report["status"]} == report["status"]
    assert sum(status.values()) == report["parsed"]
    bots = by(s, "logwatch_bot_requests_total", "category")
    assert {k[0]: v for k, v in bots.items()} == report["bots"]
    probes = by(s, "logwatch_probe_hits_total", "family")
    assert {k[0]: v for k, v in probes.items()} == report["probes"]["rules"]
    assert report["probes"]["count"] > 0
    assert s["logwatch_probe_requests_total"] == {(): float(report["probes"]["count"])}
    per_source = by(s, "logwatch_requests_total", "source")
    assert per_source == {("/var/log/a.log",): 3.0, ("syslog:web-2",): 3.0}


def test_probe_requests_are_counted_once_each(exporter: PrometheusExporter) -> None:
    """Only the per-family rule hits were exported, and a request can hit several families:
    their sum over-counts probing (10,835 against probes.count 10,677 on real logs). The JSON's
    probes.count has its own counter."""
    pipe = Pipeline(get_format("combined"))
    probes = [
        '198.51.100.9 - - [29/Nov/2024:06:30:03 +0000] "GET /.env?x=../../etc/passwd HTTP/1.1"'
        ' 404 0 "-" "sqlmap/1.7"',  # secret-file, traversal, scanner-agent
        '198.51.100.8 - - [29/Nov/2024:06:30:04 +0000] "GET /wp-config.php.bak HTTP/1.1"'
        ' 404 0 "-" "Nikto"',  # secret-file, scanner-agent
    ]
    pipe.feed([line.encode() for line in LOG + probes], "/var/log/a.log")
    report = pipe.snapshot().to_json()
    exporter.update(pipe.snapshot())
    s = scrape(exporter)
    assert s["logwatch_probe_requests_total"] == {(): float(report["probes"]["count"])} == {(): 4}
    hits = by(s, "logwatch_probe_hits_total", "family")
    assert sum(hits.values()) == 7  # the families: what this counter is not


def test_source_counters_never_go_down_when_a_source_goes_away() -> None:
    """Sources past the label cap add up under `_other`; when one of them went away (a
    forgotten glob match) its lines left the sum and the counter went down, which rate()
    reads as a reset. Gone sources keep counting in their label."""
    import dataclasses

    pipeline = Pipeline(get_format("combined"))
    snap = pipeline.snapshot()
    exporter = PrometheusExporter("127.0.0.1:0", max_sources=3)

    def sources(*names: str) -> tuple[SourceState, ...]:
        return tuple(SourceState(n, n, "following", "", 100, 0.0, {"rotations": 2}) for n in names)

    def counters() -> dict[tuple[str, ...], float]:
        text = exporter.render().decode()
        out: dict[tuple[str, ...], float] = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                if s.name.endswith("_total"):
                    out[(s.name, *sorted(s.labels.values()))] = s.value
        return out

    exporter.update(dataclasses.replace(snap, sources=sources("a", "b", "c", "d", "e")))
    before = counters()
    exporter.update(dataclasses.replace(snap, sources=sources("a", "c", "e")))  # b, d gone
    after = counters()
    assert before[("logwatch_source_lines_total", OTHER)] == 200  # d and e, past the cap
    for key, value in before.items():
        assert after.get(key, 0) >= value, key


def _handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def _wait_until(cond: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not cond():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def test_a_client_resetting_its_connection_prints_nothing(
    exporter: PrometheusExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    """A client that sent half a request and reset the connection made socketserver print a
    traceback to stderr, once per connection, for anyone who can reach the port."""
    with socket.create_connection(("127.0.0.1", exporter.port)) as sock:
        sock.sendall(b"GET /met")
        _wait_until(lambda: bool(_handler_threads()))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
    _wait_until(lambda: not _handler_threads())
    assert scrape(exporter)["logwatch_up"] == {(): 0.0}
    assert capsys.readouterr().err == ""


def _half_request(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(10)
    sock.sendall(b"GET /met")  # and never the rest
    return sock


def test_a_client_that_never_finishes_its_request_is_hung_up_on() -> None:
    """No timeout: each such connection kept its thread forever (slowloris)."""
    exporter = PrometheusExporter("127.0.0.1:0", client_timeout=0.2)
    exporter.start()
    try:
        with _half_request(exporter.port) as sock:
            assert sock.recv(100) == b""  # closed by the server, well before our 10 s
    finally:
        exporter.stop()


def test_connections_past_the_cap_are_closed_and_counted() -> None:
    """No cap: every open connection had a thread of its own, without bound."""
    exporter = PrometheusExporter("127.0.0.1:0", max_connections=2)
    exporter.start()
    held = [_half_request(exporter.port) for _ in range(2)]
    try:
        _wait_until(lambda: len(_handler_threads()) == 2)
        with _half_request(exporter.port) as third:
            assert third.recv(100) == b""  # closed at once, not served
        assert len(_handler_threads()) == 2
        for sock in held:
            sock.close()
        _wait_until(lambda: not _handler_threads())
        assert scrape(exporter)["logwatch_metrics_rejected_connections_total"] == {(): 1.0}
    finally:
        for sock in held:
            sock.close()
        exporter.stop()
