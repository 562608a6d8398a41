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


def _few_lines_snapshot():  # type: ignore[no-untyped-def]
    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    firefox = b'"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"'
    lines = [
        b'1.2.3.4 - - [10/Oct/2026:00:00:01 +0000] "-" 400 0 "-" "-"',
        b'1.2.3.4 - - [10/Oct/2026:00:00:02 +0000] "\\x16\\x03\\x01\\x00\\xa5\\x01" 400 150 "-" "-"',
        b'9.9.9.8 - - [10/Oct/2026:00:00:03 +0000] "GET /x HTTP/1.1" 200 10 "-" "-"',
        b'5.6.7.8 - - [10/Oct/2026:00:00:04 +0000] "GET /.env HTTP/1.1" 404 10 "-" ' + firefox,
        b'5.6.7.8 - - [10/Oct/2026:00:00:05 +0000] "GET /blog/ HTTP/1.1" 200 10 "-" ' + firefox,
        b'8.8.8.8 - - [10/Oct/2026:00:00:06 +0000] "GET /x HTTP/1.1" 200 10 "-" ' + firefox,
        b'8.8.8.8 - - [10/Oct/2026:00:00:07 +0000] "GET /x HTTP/1.1" 000 10 "-" ' + firefox,
        b'8.8.8.8 - - [10/Oct/2026:00:00:08 +0000] "GET /main.css HTTP/1.1" 200 10 "-" ' + firefox,
    ]
    pipeline = Pipeline(get_format("combined"))
    pipeline.feed(lines)
    return pipeline.snapshot()


def test_drill_downs_agree_with_the_rows_they_open_from():
    """Found by a hunt: rows keyed by a request with no path opened empty drill-downs; two bot
    rows of one name opened one merged drill-down; the statuses-over-time table lost 000; a
    client's verdict was its last request's class (a human whose last request was a .css file
    an "asset", a prober no longer a prober); a path's window figure was the "all" row whatever
    the panel showed."""
    from logwatch.tui.drilldata import bot_key

    snap = _few_lines_snapshot()
    w = snap.window("all")
    for p in w.top_paths["all"]:
        assert path_drill(snap, "all", p.path).matched == p.hits, p.path
    for b in w.top_bots:
        d = bot_drill(snap, "all", bot_key(b.name, b.category))
        assert d.matched == b.hits and ("kind", b.category) in d.info
    x = path_drill(snap, "all", "/x")
    timeline = next(s for s in x.sections if s.id == "timeline")
    assert sum(sum(v[1:]) for _, v in timeline.rows) == x.matched == 3
    labels = [label for label, _ in x.info]
    assert "window all (human)" in labels and "window all (all)" in labels
    assert dict(client_drill(snap, "all", "8.8.8.8").info)["verdict"] == "human"
    assert dict(client_drill(snap, "all", "5.6.7.8").info)["verdict"].endswith("· probe")


def _aggregated(rows, now, mark=None):  # type: ignore[no-untyped-def]
    from logwatch.stats.aggregator import Aggregator

    agg = Aggregator()
    agg.add_many(rows)
    return agg.snapshot(now, mark=mark)


def _req(ts, client, path, status, cls="human"):  # type: ignore[no-untyped-def]
    from logwatch.model import Record, Verdict

    rec = Record(ts, client, "GET", path, "", "HTTP/1.1", status, 10, "-", "Mozilla/5.0")
    return rec, Verdict(cls)


def test_a_filter_keeps_the_mark_and_counts_it_over_the_matching_requests():
    """Found by a hunt: with a `/` filter on, the mark vanished (no "since mark", no before →
    after in the status codes and the 4xx/5xx rates) though `m` had said it was set."""
    now, mark = 10_000.0, 9_940.0
    rows = [_req(9_900.0 + i, "10.0.0.1", "/a", 200) for i in range(30)]  # before: 30 × 200
    rows += [_req(9_900.0 + i, "10.0.0.2", "/b", 404) for i in range(10)]  # before: 10 × 404
    rows += [_req(9_960.0 + i, "10.0.0.1", "/a", 500) for i in range(6)]  # after: 6 × 500
    rows += [_req(9_960.0 + i, "10.0.0.2", "/b", 200) for i in range(4)]  # after: 4 × 200
    snap = _aggregated(sorted(rows, key=lambda x: x[0].ts), now, mark)
    f = filtered_view(snap, parse_filter("path:/a"))
    assert f.mark is not None
    at, before, after = f.mark
    assert at == mark
    assert before.codes == {200: 30} and after.codes == {500: 6}
    assert after.rate_5xx == 1.0 and before.rate_4xx == 0.0


def test_a_bots_recent_rate_counts_the_intervals_between_its_requests():
    """Found by a hunt: a bot with one recent request had a "recent rate" of 60.0/min, and one
    request a minute read as 1.5/min over three requests (n requests over n - 1 intervals)."""
    from logwatch.model import Verdict

    bot = Verdict("bot", "search", "Googlebot")
    rows = [(_req(10_000.0 + 60 * i, "66.249.66.1", "/", 200)[0], bot) for i in range(3)]
    rows.append((_req(10_100.0, "66.249.66.2", "/", 200)[0], Verdict("bot", "ai", "GPTBot")))
    snap = _aggregated(sorted(rows, key=lambda x: x[0].ts), 10_130.0)
    assert dict(bot_drill(snap, "5m", "Googlebot").info)["recent rate"] == (
        "1.0/min over 3 requests"
    )
    assert dict(bot_drill(snap, "5m", "GPTBot").info)["recent rate"] == "1 request"


def test_statuses_over_time_of_requests_out_of_time_order():
    """Found by a hunt: the timeline ran from the first recent request to the last, in arrival
    order; a request older than the first (another file's, a late line) got a negative bucket,
    which Python's indexing put at the end: a 500 at the start showed in the second half."""
    rows = [_req(10_000.0 + i, "10.0.0.1", "/a", 200) for i in range(1, 9)]
    rows.append(_req(10_000.0, "10.0.0.2", "/a", 500))  # the oldest, arrived last
    snap = _aggregated(rows, 10_010.0)
    timeline = next(s for s in path_drill(snap, "5m", "/a").sections if s.id == "timeline")
    first, *rest = [v for _, v in timeline.rows]
    assert first[0] == 10_000.0 and first[4] == 1  # From, 5xx
    assert sum(v[4] for v in rest) == 0
    assert sum(sum(v[1:]) for _, v in timeline.rows) == 9


def test_statuses_over_time_has_an_other_column_only_when_some_request_had_no_answer():
    """With the "Other" (000, 1xx) column always there, the table was wider than its third of a
    120-column terminal: its last column sat behind a scrollbar and the times were cut."""
    rows = [_req(10_000.0 + i, "10.0.0.1", "/a", 200) for i in range(8)]
    snap = _aggregated(rows, 10_010.0)
    timeline = next(s for s in path_drill(snap, "5m", "/a").sections if s.id == "timeline")
    assert [label for label, *_ in timeline.columns] == ["From", "2xx", "3xx", "4xx", "5xx"]
    assert all(len(v) == 5 for _, v in timeline.rows)

    rows.append(_req(10_008.0, "10.0.0.2", "/a", 0))  # the client left before the answer
    snap = _aggregated(rows, 10_010.0)
    timeline = next(s for s in path_drill(snap, "5m", "/a").sections if s.id == "timeline")
    assert timeline.columns[-1][0] == "Other"
    assert sum(v[5] for _, v in timeline.rows) == 1
    assert sum(sum(v[1:]) for _, v in timeline.rows) == 9
