"""Drill-down figures and the dashboard's filtered view, checked as plain data."""

from __future__ import annotations

from collections import Counter

from lw_fixtures import make_snapshot

from logwatch.filters import parse_filter
from logwatch.stats import filtered_view
from logwatch.tui.drilldata import bot_drill, client_drill, path_drill, status_drill


def test_path_drill_counts_match_recent():
    snap = make_snapshot()
    d = path_drill(snap, "5m", "/api/checkout")
    rows = [(r, v) for r, v in snap.recent if r.path == "/api/checkout"]
    assert d.matched == len(rows)
    timeline = next(s for s in d.sections if s.id == "timeline")
    assert sum(sum(v[1:]) for _, v in timeline.rows) == len(rows)
    assert sum(v[4] for _, v in timeline.rows) == sum(1 for r, _ in rows if r.status >= 500)
    clients = next(s for s in d.sections if s.id == "clients")
    assert sum(v[1] for _, v in clients.rows) == len(rows)
    assert clients.drill == "client"


def test_client_drill_has_verdict_and_reasons():
    snap = make_snapshot()
    probe = snap.windows["5m"].probes[0]
    d = client_drill(snap, "5m", probe.client)
    info = dict(d.info)
    assert info["verdict"].startswith("bot/scanner") and "probe" in info["verdict"]
    assert any(label == "because" for label, _ in d.info)
    codes = next(s for s in d.sections if s.id == "codes")
    expected = Counter(str(r.status) for r, _ in snap.recent if r.client == probe.client)
    assert {k: v[1] for k, v in codes.rows} == dict(expected)


def test_bot_and_status_drills():
    snap = make_snapshot()
    d = bot_drill(snap, "5m", "GPTBot")
    info = dict(d.info)
    assert info["kind"] == "ai"
    assert "of server time" in info["time served"]
    d = status_drill(snap, "5m", "503")
    paths = next(s for s in d.sections if s.id == "paths")
    assert paths.rows and paths.rows[0][0] == "/api/checkout"
    assert status_drill(snap, "5m", "nonsense").matched == 0


def test_filtered_view_recomputes_every_window():
    snap = make_snapshot()
    pred = parse_filter("status:5xx")
    f = filtered_view(snap, pred)
    for name, w in f.windows.items():
        assert set(w.codes) <= {500, 502, 503}, name
        assert w.requests == sum(w.codes.values())
        assert w.seconds == snap.windows[name].seconds
    assert all(r.status >= 500 for r, _ in f.recent)
    assert f.windows["5m"].top_paths["human"][0].path == "/api/checkout"
    assert f.totals.requests == len(f.recent)
    nothing = filtered_view(snap, parse_filter("path:/nowhere"))
    assert nothing.windows["5m"].requests == 0 and nothing.recent == ()
