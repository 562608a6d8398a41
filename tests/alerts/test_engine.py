"""The rule engine, driven by snapshots at chosen times (the snapshot clock is its clock)."""

from __future__ import annotations

import json

import pytest
from alert_helpers import BOT, HUMAN, PROBE, record, snap, view

from logwatch.alerts import DEFAULT_RULES, AlertEngine, AlertRule
from logwatch.alerts.engine import MIN_BASELINE_SAMPLES
from logwatch.sanitize import is_clean
from logwatch.stats.snapshot import ClientStat, PathStat, ProbeClientStat

T0 = 1_700_000_000.0


def rule(**kw: object) -> AlertRule:
    base: dict[str, object] = {
        "name": "5xx",
        "metric": "5xx_rate",
        "window": "1m",
        "above": 0.05,
        "min_requests": 20,
        "cooldown": 300.0,
        "clear_for": 0.0,
    }
    base.update(kw)
    return AlertRule(**base)  # type: ignore[arg-type]


def rate(now: float, share: float, requests: int = 100, name: str = "1m") -> object:
    return snap(now, view(name, requests=requests, s5xx=round(share * requests)))


def states(events: list) -> list[str]:
    return [e.state for e in events]


def test_fires_once_with_the_event_fields() -> None:
    eng = AlertEngine([rule()])
    assert not eng.needs_records
    paths = (PathStat("/checkout", 40, s5xx=9), PathStat("/", 60, s5xx=1), PathStat("/ok", 5))
    clients = (ClientStat("198.51.100.7", 30, errors=8),)
    ev = eng.evaluate(snap(T0, view(requests=100, s5xx=10, paths=paths, clients=clients)))
    assert states(ev) == ["firing"]
    e = ev[0]
    assert (e.rule, e.metric, e.window, e.condition, e.threshold, e.at) == (
        "5xx",
        "5xx_rate",
        "1m",
        "above",
        0.05,
        T0,
    )
    assert e.value == pytest.approx(0.10) and e.requests == 100 and e.since == T0
    assert [p["path"] for p in e.context["top_paths"]] == ["/checkout", "/"]
    assert e.context["top_clients"][0]["client"] == "198.51.100.7"
    # still breaching: no new event, but it is active
    assert eng.evaluate(rate(T0 + 5, 0.2)) == []
    assert [a.id for a in eng.active()] == [e.id]
    assert eng.status()[0].state == "firing"
    data = json.loads(json.dumps(e.to_json()))
    for key in (
        "rule",
        "metric",
        "window",
        "value",
        "threshold",
        "condition",
        "state",
        "at",
        "context",
    ):
        assert key in data
    assert data["state"] == "firing" and data["type"] == "alert"


def test_min_requests_guard() -> None:
    eng = AlertEngine([rule()])
    assert eng.evaluate(rate(T0, 1.0, requests=3)) == []  # 100% of three requests: noise
    assert eng.evaluate(rate(T0 + 1, 1.0, requests=19)) == []
    assert states(eng.evaluate(rate(T0 + 2, 1.0, requests=20))) == ["firing"]


def test_for_holds_before_firing_and_a_gap_restarts_it() -> None:
    eng = AlertEngine([rule(for_=60.0)])
    assert eng.evaluate(rate(T0, 0.1)) == []
    assert eng.status()[0].state == "pending"
    assert eng.evaluate(rate(T0 + 30, 0.1)) == []
    assert eng.evaluate(rate(T0 + 40, 0.0)) == []  # broke: the hold starts over
    assert eng.evaluate(rate(T0 + 61, 0.1)) == []
    assert eng.evaluate(rate(T0 + 100, 0.1)) == []
    ev = eng.evaluate(rate(T0 + 121, 0.1))
    assert states(ev) == ["firing"] and ev[0].since == T0 + 121


def test_resolves_after_clear_for() -> None:
    eng = AlertEngine([rule(clear_for=30.0)])
    fired = eng.evaluate(rate(T0, 0.1))[0]
    assert eng.evaluate(rate(T0 + 10, 0.0)) == []
    assert eng.status()[0].state == "clearing" and eng.active()
    assert eng.evaluate(rate(T0 + 39, 0.0)) == []
    ev = eng.evaluate(rate(T0 + 40, 0.0))
    assert states(ev) == ["resolved"]
    assert ev[0].since == fired.at and ev[0].at == T0 + 40
    assert eng.active() == []
    assert states(eng.history()) == ["firing", "resolved"]
    assert "RESOLVED" in ev[0].text() and "after 40s" in ev[0].text()
    assert ev[0].reason == "cleared" and ev[0].to_json()["reason"] == "cleared"


def test_resolve_says_when_traffic_fell_below_min_requests() -> None:
    eng = AlertEngine([rule()])
    eng.evaluate(rate(T0, 0.5))
    ev = eng.evaluate(rate(T0 + 10, 1.0, requests=3))  # still all errors, but only three
    assert states(ev) == ["resolved"] and ev[0].reason == "few requests"
    assert ev[0].text().endswith("(few requests)")
    eng2 = AlertEngine([rule()])
    eng2.evaluate(rate(T0, 0.5))
    ev = eng2.evaluate(rate(T0 + 10, 0.5, name="5m"))  # the 1m window is gone
    assert states(ev) == ["resolved"] and ev[0].reason == "no data"


def test_clearing_interrupted_by_a_new_breach_keeps_firing() -> None:
    eng = AlertEngine([rule(clear_for=30.0)])
    eng.evaluate(rate(T0, 0.1))
    eng.evaluate(rate(T0 + 10, 0.0))
    eng.evaluate(rate(T0 + 20, 0.1))  # back up: the clear timer resets
    assert eng.evaluate(rate(T0 + 45, 0.0)) == []
    assert states(eng.evaluate(rate(T0 + 75, 0.0))) == ["resolved"]


def test_hysteresis_stops_flapping() -> None:
    eng = AlertEngine([rule(hysteresis=0.2)])  # fires above 5%, clears only at or below 4%
    seen = []
    for i, share in enumerate([0.06, 0.049, 0.055, 0.045, 0.051, 0.041, 0.06, 0.042]):
        seen += eng.evaluate(rate(T0 + i * 5, share, requests=1000))
    assert states(seen) == ["firing"]
    assert states(eng.evaluate(rate(T0 + 60, 0.04, requests=1000))) == ["resolved"]


def test_without_hysteresis_the_same_series_flaps() -> None:
    # The control for the test above: it shows the series really crosses the threshold.
    eng = AlertEngine([rule(hysteresis=0.0, cooldown=0.0)])
    seen = []
    for i, share in enumerate([0.06, 0.049, 0.055, 0.045]):
        seen += eng.evaluate(rate(T0 + i * 5, share, requests=1000))
    assert states(seen) == ["firing", "resolved", "firing", "resolved"]


def test_cooldown_blocks_repeat_firing() -> None:
    eng = AlertEngine([rule(cooldown=300.0)])
    assert states(eng.evaluate(rate(T0, 0.1))) == ["firing"]
    assert states(eng.evaluate(rate(T0 + 10, 0.0))) == ["resolved"]
    assert eng.evaluate(rate(T0 + 20, 0.1)) == []  # breaching again, but within the cooldown
    assert eng.evaluate(rate(T0 + 299, 0.1)) == []
    ev = eng.evaluate(rate(T0 + 300, 0.1))
    assert states(ev) == ["firing"] and ev[0].at == T0 + 300


def pageviews(now: float, per_min: float, seconds: float = 300.0) -> object:
    n = round(per_min * seconds / 60)
    return snap(now, view("5m", seconds=seconds, requests=n + 50, human=n, bot=50))


def test_below_fires_on_a_drop_in_page_views_and_resolves() -> None:
    r = AlertRule(
        "views dropped", "human_pageviews_per_min", "5m", below=10.0, clear_for=0.0, for_=60.0
    )
    eng = AlertEngine([r])
    # Warming up: the window is not full yet, so a low figure means nothing.
    assert eng.evaluate(pageviews(T0, 0.0)) == []
    assert eng.status()[0].state == "waiting"
    for t in range(10, 300, 10):
        assert eng.evaluate(pageviews(T0 + t, 30.0)) == []
    assert eng.evaluate(pageviews(T0 + 300, 2.0)) == []  # pending for 60 s
    ev = eng.evaluate(pageviews(T0 + 360, 2.0))
    assert states(ev) == ["firing"] and ev[0].condition == "below"
    assert ev[0].value == pytest.approx(2.0)
    assert eng.evaluate(pageviews(T0 + 370, 10.5)) == []  # within hysteresis (needs >= 12)
    assert states(eng.evaluate(pageviews(T0 + 380, 12.0))) == ["resolved"]


def test_below_fires_when_traffic_stops_entirely() -> None:
    r = AlertRule("dead", "human_pageviews_per_min", "1m", below=1.0, clear_for=0.0)
    eng = AlertEngine([r])
    eng.evaluate(snap(T0, view(requests=100, human=100)))
    assert states(eng.evaluate(snap(T0 + 60, view(requests=0, human=0)))) == ["firing"]


def test_a_share_below_a_high_threshold_can_clear() -> None:
    # `bot_share below 0.9` cleared only at 0.9 × 1.2 = 1.08, a share no window can reach.
    r = AlertRule("bots gone", "bot_share", "1m", below=0.9, min_requests=10, clear_for=0.0)
    eng = AlertEngine([r])
    assert eng.evaluate(snap(T0, view(requests=100, human=5, bot=95))) == []
    firing = eng.evaluate(snap(T0 + 60, view(requests=100, human=50, bot=50)))
    assert states(firing) == ["firing"]
    assert eng.evaluate(snap(T0 + 70, view(requests=100, human=9, bot=91))) == []  # < 0.92
    resolved = eng.evaluate(snap(T0 + 80, view(requests=100, human=7, bot=93)))
    assert states(resolved) == ["resolved"]


def test_status_says_waiting_until_a_rule_can_judge() -> None:
    # Too few requests, or a spike rule with no baseline yet, looked like a calm "ok".
    spike = AlertRule("surge", "requests_per_s", "1m", spike=3.0, min_requests=0)
    eng = AlertEngine([rule(), spike])
    eng.evaluate(rate(T0, 0.0, requests=5))
    assert [s.state for s in eng.status()] == ["waiting", "waiting"]
    eng.evaluate(rate(T0 + 10, 0.0, requests=100))
    assert [s.state for s in eng.status()] == ["ok", "waiting"]
    assert eng.status()[0].value == 0.0 and eng.status()[0].requests == 100


def rps(now: float, value: float) -> object:
    return snap(now, view(requests=round(value * 60)))


def test_spike_against_its_own_baseline() -> None:
    r = AlertRule("surge", "requests_per_s", "1m", spike=3.0, min_requests=0, clear_for=0.0)
    eng = AlertEngine([r])
    t = T0
    # No baseline yet: even a huge jump in the first minutes is not a "spike".
    assert eng.evaluate(rps(t, 500.0)) == []
    for _ in range(40 * 6):  # 40 minutes at ~10 req/s, one evaluation every 10 s
        t += 10
        assert eng.evaluate(rps(t, 10.0)) == []
    assert eng.status()[0].state == "ok"
    assert eng.evaluate(rps(t + 10, 25.0)) == []  # 2.5x: not a spike
    ev = eng.evaluate(rps(t + 20, 40.0))
    assert states(ev) == ["firing"]
    e = ev[0]
    assert e.condition == "spike" and e.factor == 3.0
    assert e.baseline == pytest.approx(10.0, rel=0.1)
    assert e.threshold == pytest.approx(30.0, rel=0.1)
    # the baseline is frozen while firing: a long incident does not become its own normal
    for k in range(1, 30):
        assert eng.evaluate(rps(t + 20 + k * 60, 40.0)) == []
    assert eng.status()[0].baseline == pytest.approx(10.0, rel=0.1)
    assert states(eng.evaluate(rps(t + 20 + 31 * 60, 11.0))) == ["resolved"]


def test_spike_needs_enough_history() -> None:
    r = AlertRule("surge", "requests_per_s", "1m", spike=3.0, min_requests=0)
    eng = AlertEngine([r])
    t = T0
    for _ in range((MIN_BASELINE_SAMPLES - 1) * 6):
        t += 10
        eng.evaluate(rps(t, 10.0))
    assert eng.evaluate(rps(t + 1, 100.0)) == []


def test_spike_with_absolute_floor() -> None:
    r = AlertRule("err", "5xx_rate", "1m", spike=3.0, above=0.05, min_requests=0)
    eng = AlertEngine([r])
    t = T0
    for _ in range(10 * 6):
        t += 10
        eng.evaluate(rate(t, 0.001, requests=1000))
    assert eng.evaluate(rate(t + 10, 0.02, requests=1000)) == []  # 20x, but under the floor
    assert states(eng.evaluate(rate(t + 20, 0.08, requests=1000))) == ["firing"]


def test_p95_latency_and_missing_latency() -> None:
    r = AlertRule("slow", "p95_latency", "1m", above=1.0, min_requests=0, clear_for=0.0)
    eng = AlertEngine([r])
    assert eng.evaluate(snap(T0, view())) == []  # the format has no request times
    assert eng.status()[0].value is None
    ev = eng.evaluate(snap(T0 + 1, view(latency={"p50": 0.2, "p95": 1.7, "p99": 3.0})))
    assert states(ev) == ["firing"] and ev[0].value == 1.7
    assert "1700ms" in ev[0].text()


def test_probe_rule_context() -> None:
    probes = (ProbeClientStat("192.0.2.66", 80, 70, "/.env", ("secret-file",), T0 - 30, T0),)
    eng = AlertEngine(DEFAULT_RULES, run_hooks=False)
    ev = eng.evaluate(snap(T0, view(requests=100, bot=80, probe_hits=80, probes=probes)))
    assert [e.rule for e in ev] == ["probe burst"]
    assert ev[0].builtin and ev[0].to_json()["builtin"] is True
    assert ev[0].context["probing_clients"][0] == {
        "client": "192.0.2.66",
        "hits": 80,
        "last_path": "/.env",
        "rules": ["secret-file"],
    }


def test_missing_window_is_ignored() -> None:
    eng = AlertEngine([rule(window="5m")])
    assert eng.evaluate(rate(T0, 1.0)) == []  # the snapshot only has 1m
    assert eng.status()[0].value is None


def test_scoped_rule_counts_observed_records() -> None:
    api = rule(name="api 5xx", path_prefix="/api", min_requests=10)
    eng = AlertEngine([api, rule(name="all 5xx")])
    assert eng.needs_records
    for i in range(100):
        ts = T0 + i * 0.5
        eng.observe(record(ts, "/", 200), HUMAN)
        eng.observe(record(ts, "/api/cart", 503 if i % 4 == 0 else 200), HUMAN)
    # the whole site: 25 of 200 requests -> 12.5% overall, but the snapshot says 1%
    ev = eng.evaluate(snap(T0 + 49.9, view(requests=200, s5xx=2)))
    assert [e.rule for e in ev] == ["api 5xx"]
    assert ev[0].value == pytest.approx(0.25) and ev[0].requests == 100
    assert ev[0].scope == {"path_prefix": "/api"}
    # a minute later with nothing new, the ring has moved on: no data -> resolves
    later = eng.evaluate(snap(T0 + 200, view(requests=200)))
    assert [(e.rule, e.state) for e in later] == [("api 5xx", "resolved")]


def test_scoped_by_class_and_vhost() -> None:
    r1 = AlertRule("bot rps", "requests_per_s", "1m", above=1.0, cls="bot", min_requests=0)
    r2 = AlertRule(
        "shop 4xx", "4xx_rate", "1m", above=0.5, vhost="Shop.Example.com", min_requests=5
    )
    eng = AlertEngine([r1, r2])
    for i in range(120):
        eng.observe(record(T0 + i * 0.5, "/x", 200), BOT)  # 2 bot req/s
        eng.observe(record(T0 + i * 0.5, "/y", 404, vhost="shop.example.com"), HUMAN)
        eng.observe(record(T0 + i * 0.5, "/y", 200, vhost="blog.example.com"), HUMAN)
    ev = {e.rule: e for e in eng.evaluate(snap(T0 + 59.9, view()))}
    assert set(ev) == {"bot rps", "shop 4xx"}
    assert ev["bot rps"].value == pytest.approx(2.0)
    assert ev["shop 4xx"].value == pytest.approx(1.0) and ev["shop 4xx"].requests == 120


def test_scoped_probing_clients_and_latency() -> None:
    r1 = AlertRule(
        "api probers", "probing_clients", "1m", above=2, path_prefix="/api", min_requests=0
    )
    r2 = AlertRule("api slow", "p95_latency", "1m", above=0.5, path_prefix="/api", min_requests=0)
    eng = AlertEngine([r1, r2])
    for i in range(100):
        eng.observe(record(T0 + i * 0.1, "/api/x", 200, request_time=0.05), HUMAN)
    for c in range(3):
        eng.observe(
            record(T0 + 5, "/api/.env", 404, client=f"192.0.2.{c}", request_time=2.0), PROBE
        )
    ev = eng.evaluate(snap(T0 + 10, view()))
    assert [e.rule for e in ev] == ["api probers"]
    assert ev[0].value == 3
    for i in range(10):
        eng.observe(record(T0 + 11 + i, "/api/slow", 200, request_time=1.0), HUMAN)
    ev = eng.evaluate(snap(T0 + 21, view()))
    assert [e.rule for e in ev] == ["api slow"]
    assert ev[0].value == pytest.approx(1.0, rel=0.15)


def test_scoped_ring_is_bounded_and_drops_stale_records() -> None:
    r = rule(path_prefix="/", min_requests=0)
    eng = AlertEngine([r])
    for i in range(10_000):
        eng.observe(record(T0 + i, "/", 500), HUMAN)
    ring = eng._states[0].ring
    assert ring is not None and len(ring.req) == 60
    eng.observe(record(T0, "/", 500), HUMAN)  # far older than the ring reaches: ignored
    value, requests = ring.measure("5xx_rate", T0 + 9_999)
    assert requests == 60 and value == 1.0


def test_text_is_one_clean_line_and_defuses_mentions() -> None:
    paths = (PathStat("/<!channel>\\x0a@everyone", 50, s5xx=50),)
    eng = AlertEngine([rule(name="x\nname")])
    ev = eng.evaluate(snap(T0, view(requests=100, s5xx=50, paths=paths)))[0]
    text = ev.text()
    assert "\n" not in text and is_clean(text)
    assert "<!channel>" not in text and "@everyone" not in text
    # the data keeps the value as it was
    assert ev.context["top_paths"][0]["path"] == "/<!channel>\\x0a@everyone"


def test_history_is_bounded() -> None:
    eng = AlertEngine([rule(cooldown=0.0)], history_size=5)
    for i in range(20):
        eng.evaluate(rate(T0 + i, 0.1 if i % 2 == 0 else 0.0))
    h = eng.history()
    assert len(h) == 5 and h[-1].at == T0 + 19


def test_run_hooks_false_records_events_without_hooks(tmp_path: object) -> None:
    r = rule(exec=("/nonexistent/program",))
    eng = AlertEngine([r], run_hooks=False)
    assert eng.hooks is None
    ev = eng.evaluate(rate(T0, 0.5))
    assert states(ev) == ["firing"] and ev[0].hooks == []


def test_spike_baseline_ignores_an_earlier_incident() -> None:
    r = AlertRule(
        "surge", "requests_per_s", "1m", spike=3.0, min_requests=0, clear_for=0.0, cooldown=0.0
    )
    eng = AlertEngine([r])
    t = T0
    for minute in range(40):
        value = 100.0 if 20 <= minute < 23 else 10.0  # a three-minute incident earlier on
        for _ in range(6):
            t += 10
            eng.evaluate(rps(t, value))
    assert eng.status()[0].state == "ok"
    # A plain mean (16.75) would set the bar at 50; without the incident it is 30.
    ev = eng.evaluate(rps(t + 10, 35.0))
    assert [e.state for e in ev] == ["firing"]
    assert ev[0].baseline == pytest.approx(10.0, rel=0.05)


def probes_at(now: float, hits: int) -> object:
    return snap(now, view(requests=100, bot=hits, probe_hits=hits))


def test_spike_baseline_of_a_sparse_metric_is_not_zero() -> None:
    # Probes in one minute of five: a median baseline would be 0, and any probe a "spike".
    r = AlertRule("probe surge", "probe_hits", "1m", spike=5.0, min_requests=0)
    eng = AlertEngine([r])
    t = T0
    for minute in range(60):
        for _ in range(6):
            t += 10
            eng.evaluate(probes_at(t, 5 if minute % 5 == 0 else 0))
    eng.evaluate(probes_at(t + 60, 0))
    baseline = eng._baseline(r, eng._states[0], t + 120)
    assert baseline is not None and 0.3 < baseline < 1.0
    assert eng.evaluate(probes_at(t + 120, 2)) == []
    assert [e.state for e in eng.evaluate(probes_at(t + 130, 8))] == ["firing"]


def test_probing_clients_counts_every_prober_not_only_the_listed_ones() -> None:
    """A snapshot lists the top 50 probers; the metric is how many probed. A rule above 100
    could never fire when the metric was the length of the list."""
    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    pipeline = Pipeline(get_format("combined"))
    pipeline.feed(
        [
            f"198.51.{i // 250}.{i % 250 + 1} - - [14/Nov/2023:22:13:{i // 10:02d} +0000] "
            f'"GET /.env HTTP/1.1" 404 10 "-" "curl/8.0"'.encode()
            for i in range(200)
        ]
    )
    view_1m = pipeline.snapshot().windows["1m"]
    assert len(view_1m.probes) == 50 and view_1m.probing_clients == 200
    engine = AlertEngine([rule(name="probers", metric="probing_clients", above=100)])
    events = engine.evaluate(pipeline.snapshot())
    assert states(events) == ["firing"] and events[0].value == 200


def test_a_spike_over_a_baseline_of_nothing_needs_the_floor() -> None:
    """After a quiet hour the baseline is 0, and any value is "N times" it: a spike rule
    alone does not fire then; with a floor (`above`) the floor is the test, and the alert
    clears below it (not only back at exactly zero)."""
    alone = AlertRule("probe surge", "probe_hits", "1m", spike=5.0, min_requests=0, clear_for=0.0)
    floored = AlertRule(
        "probe burst", "probe_hits", "1m", spike=5.0, above=20, min_requests=0, clear_for=0.0
    )
    eng = AlertEngine([alone, floored])
    t = T0
    for _ in range(60 * 6):  # a quiet hour
        t += 10
        assert eng.evaluate(probes_at(t, 0)) == []
    assert eng.evaluate(probes_at(t + 10, 5)) == []
    fired = eng.evaluate(probes_at(t + 20, 50))
    assert [(e.rule, e.state) for e in fired] == [("probe burst", "firing")]
    resolved = eng.evaluate(probes_at(t + 30, 3))
    assert [(e.rule, e.state) for e in resolved] == [("probe burst", "resolved")]


def test_a_spike_rule_learns_its_baseline_from_the_history_read_at_start() -> None:
    """The baseline is per-minute samples; live, one comes per tick. After reading an hour of
    history the rule had one sample and stayed blind for five live minutes. It now starts from
    the per-minute figures of the longest window, and a spike at the end of the history is one."""
    import time as clock

    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    def line(i: int, ts: float, status: int) -> bytes:
        stamp = clock.strftime("%d/%b/%Y:%H:%M:%S +0000", clock.gmtime(ts))
        return (
            f'10.0.{i % 7}.{i % 250} - - [{stamp}] "GET /p{i % 30} HTTP/1.1" {status} 10 "-" '
            f'"Mozilla/5.0 (X11; Linux) Firefox/120.0"'
        ).encode()

    start = 1_790_000_000.0
    calm = [line(i, start + i / 2, 500 if i % 100 == 0 else 200) for i in range(2 * 3540)]
    spike = [line(i, start + 3540 + i / 2, 500 if i % 5 == 0 else 200) for i in range(120)]
    pipeline = Pipeline(get_format("combined"))
    pipeline.feed(calm + spike)
    r = AlertRule("5xx surge", "5xx_rate", "1m", spike=3.0, min_requests=20, clear_for=0.0)
    eng = AlertEngine([r])
    events = eng.evaluate(pipeline.snapshot())
    assert states(events) == ["firing"]
    assert events[0].baseline == pytest.approx(0.01, abs=0.005)


def test_a_short_history_seeds_no_zeros_from_before_its_first_request() -> None:
    """The series of the longest window spans an hour whatever was read: its points before the
    first request are no measure, and taken as zeros they made steady traffic a "spike"."""
    import time as clock

    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    def lines(start: float, seconds: int) -> list[bytes]:
        return [
            (
                f"10.0.0.{i % 200} - - [{clock.strftime('%d/%b/%Y:%H:%M:%S +0000', clock.gmtime(start + i / 5))}] "
                f'"GET /p{i % 30} HTTP/1.1" 200 10 "-" "Mozilla/5.0 (X11; Linux) Firefox/120.0"'
            ).encode()
            for i in range(seconds * 5)
        ]

    start = 1_790_000_000.0
    pipeline = Pipeline(get_format("combined"))
    pipeline.feed(lines(start, 600))  # ten minutes of history at 5 requests/s
    eng = AlertEngine([AlertRule("surge", "requests_per_s", "1m", spike=3.0, min_requests=0)])
    assert eng.evaluate(pipeline.snapshot()) == []
    for k in range(1, 60):  # ten more minutes of the same, a snapshot every 10 s
        pipeline.feed(lines(start + 600 + (k - 1) * 10, 10))
        assert eng.evaluate(pipeline.snapshot()) == [], k
