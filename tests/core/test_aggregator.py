"""Rolling windows with an injected clock, top-k bounds, merging and the report contract."""

from __future__ import annotations

import time

from logwatch.model import Record, Verdict
from logwatch.stats.aggregator import Aggregator, StatsConfig
from logwatch.stats.topk import BoundedCounter

T0 = 1_800_000_000.0
HUMAN = Verdict("human")
BOT = Verdict("bot", "search", "Googlebot")
PROBE = Verdict("bot", "scanner", "scanner", probe=True, probe_rules=("secret-file",))


def rec(
    ts: float,
    path: str = "/",
    status: int = 200,
    client: str = "192.0.2.1",
    rt: float | None = None,
    query: str = "",
    referrer: str = "",
) -> Record:
    return Record(
        ts,
        client,
        "GET",
        path,
        query,
        "HTTP/1.1",
        status,
        10,
        referrer,
        "ua",
        request=f"GET {path} HTTP/1.1",
        request_time=rt,
    )


def test_windows_count_only_their_own_span() -> None:
    agg = Aggregator()
    for i in range(600):  # one request a second for ten minutes
        agg.add(rec(T0 + i, status=500 if i >= 570 else 200), HUMAN)
    snap = agg.snapshot()
    assert snap.windows["1m"].requests == 60
    assert snap.windows["5m"].requests == 300
    assert snap.windows["1h"].requests == 600
    assert snap.windows["1m"].status["5xx"] == 30
    assert snap.windows["1m"].rate_5xx == 0.5
    assert snap.windows["5m"].rate_5xx == 0.1
    assert snap.totals.requests == 600


def test_live_clock_moves_windows_forward_without_new_lines() -> None:
    agg = Aggregator()
    for i in range(60):
        agg.add(rec(T0 + i), HUMAN)
    assert agg.snapshot(now=T0 + 59.5).windows["1m"].requests == 60
    later = agg.snapshot(now=T0 + 59 + 120)
    assert later.windows["1m"].requests == 0
    assert later.windows["5m"].requests == 60
    assert later.totals.requests == 60


def test_out_of_order_lines_land_in_their_own_second() -> None:
    agg = Aggregator()
    agg.add(rec(T0 + 100), HUMAN)
    agg.add(rec(T0 + 10), HUMAN)  # 90 s late
    snap = agg.snapshot()
    assert snap.windows["1m"].requests == 1
    assert snap.windows["5m"].requests == 2


def test_previous_window_codes_and_series() -> None:
    agg = Aggregator()
    for i in range(120):
        agg.add(rec(T0 + i, status=404 if i < 60 else 200), HUMAN)
    w = agg.snapshot().windows["1m"]
    assert w.codes == {200: 60} and w.codes_prev == {404: 60}
    assert w.series is not None and len(w.series.requests) == 60
    assert sum(w.series.requests) * w.series.step == 60


def test_top_paths_split_errors_and_latency() -> None:
    agg = Aggregator()
    for i in range(100):
        agg.add(rec(T0 + i / 10, "/api", status=502 if i % 4 == 0 else 200, rt=0.1), HUMAN)
    agg.add(rec(T0 + 11, "/robots.txt"), BOT)
    w = agg.snapshot().windows["1m"]
    top = w.top_paths["human"][0]
    assert (top.path, top.hits, top.s5xx) == ("/api", 100, 25)
    assert top.p95 is not None and abs(top.p95 - 0.1) < 0.01
    assert [p.path for p in w.top_paths["bot"]] == ["/robots.txt"]
    assert w.top_bots[0].name == "Googlebot" and w.bots["search"] == 1
    assert abs(w.latency["p95"] - 0.1) < 0.01


def test_probes_referrers_and_campaigns() -> None:
    agg = Aggregator()
    agg.add(rec(T0, "/.env", 404, client="198.51.100.66"), PROBE)
    agg.add(rec(T0 + 1, "/.git/config", 404, client="198.51.100.66"), PROBE)
    agg.add(rec(T0 + 2, "/", referrer="https://www.google.com/search?q=x"), HUMAN)
    agg.add(rec(T0 + 3, "/", query="utm_source=news&utm_campaign=fall"), HUMAN)
    snap = agg.snapshot()
    p = snap.windows["5m"].probes[0]
    assert (p.client, p.hits, p.distinct_paths, p.last_path) == (
        "198.51.100.66",
        2,
        2,
        "/.git/config",
    )
    assert p.rules == ("secret-file",)
    assert snap.totals.top_referrers[0] == ("www.google.com", 1)
    assert snap.totals.top_campaigns[0] == ("news / fall", 1)
    assert snap.counters["probes"] == {"secret-file": 2}


def test_memory_is_bounded_by_configuration_not_lines() -> None:
    cfg = StatsConfig(top_k=100, slot_top_k=50, recent=100)
    agg = Aggregator(cfg)
    for i in range(50_000):  # every request a new path and client
        agg.add(
            rec(T0 + i / 50, f"/p{i}", client=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"), HUMAN
        )
    assert len(agg.recent) == 100
    assert len(agg.seconds) <= 2 * cfg.longest + 1
    for slot in [*agg.fine.values(), *agg.coarse.values()]:
        assert len(slot.paths) <= slot.paths.limit and len(slot.clients) <= slot.clients.limit
    assert len(agg.archive.paths) <= agg.archive.paths.limit
    snap = agg.snapshot()
    assert snap.totals.requests == 50_000


def test_bots_by_category_since_start_are_exact_whatever_top_k() -> None:
    # They were summed from the bounded table of bot names: with top_k = 1 (a valid config)
    # the report said 0 search, ai and seo bots on a log full of them.
    agg = Aggregator(StatsConfig(top_k=1, slot_top_k=1))
    kinds = [("search", "Googlebot"), ("ai", "GPTBot"), ("seo", "AhrefsBot"), ("ai", "ClaudeBot")]
    for i in range(4 * 3600):  # four hours, so the slots fold into the since-start archive
        category, name = kinds[i % len(kinds)]
        agg.add(rec(T0 + i), Verdict("bot", category, name))
    bots = agg.snapshot().totals.bots
    assert (bots["search"], bots["ai"], bots["seo"]) == (3600, 7200, 3600)
    assert sum(bots.values()) == 4 * 3600


def test_bounded_counter_keeps_heavy_hitters() -> None:
    c: BoundedCounter[str] = BoundedCounter(10)
    for i in range(10_000):
        c.add("heavy" if i % 3 == 0 else f"tail{i}")
    assert len(c) <= c.limit
    assert c.top(1)[0][0] == "heavy"


def test_merge_of_two_halves_equals_one_pass() -> None:
    records = [
        (rec(T0 + i * 2, f"/p{i % 7}", 404 if i % 5 == 0 else 200), HUMAN if i % 3 else BOT)
        for i in range(3000)
    ]
    whole = Aggregator()
    for r, v in records:
        whole.add(r, v)
    a, b = Aggregator(), Aggregator()
    for r, v in records[:1500]:
        a.add(r, v)
    for r, v in records[1500:]:
        b.add(r, v)
    a.merge(b)
    sw, sm = whole.snapshot(), a.snapshot()
    assert sm.totals.classes == sw.totals.classes
    assert sm.totals.status == sw.totals.status
    assert sm.totals.codes == sw.totals.codes
    assert [(p.path, p.hits) for p in sm.totals.top_paths["all"]] == [
        (p.path, p.hits) for p in sw.totals.top_paths["all"]
    ]
    for name in ("1m", "5m", "1h"):
        assert sm.windows[name].requests == sw.windows[name].requests
        assert sm.windows[name].classes == sw.windows[name].classes


def test_merged_probe_paths_count_like_one_pass_whatever_the_overlap() -> None:
    """A prober's distinct paths after a merge: the union up to the cap, as one pass counts
    them (it used to take the other part's first few, some already known, and lose new ones)."""
    paths = [f"/probe{i}" for i in range(80)]
    order = paths[:40] + paths[20:60] + paths  # the second half repeats some of the first's
    whole, a, b = Aggregator(), Aggregator(), Aggregator()
    for i, path in enumerate(order):
        r = rec(T0 + i, path, 404)
        whole.add(r, PROBE)
        (a if i < 40 else b).add(r, PROBE)
    a.merge(b)
    (one,), (merged,) = whole.snapshot().totals.probes, a.snapshot().totals.probes
    assert merged.hits == one.hits == len(order)
    assert merged.distinct_paths == one.distinct_paths == 64


def test_merged_probers_keep_one_pass_order_last_paths_and_recent_requests() -> None:
    """Parts of a file merge in file order and must tell what one pass tells: the prober seen
    last is kept when the table trims (not one only the first part saw), its last path is the
    later part's even when a line there is dated earlier, and the recent requests keep the
    log's order within each part."""
    cfg = StatsConfig(probe_clients=2, recent=10)
    order = [
        (T0 + 0, "10.0.0.1", "/.env"),
        (T0 + 1, "10.0.0.2", "/.git/config"),
        (T0 + 2, "10.0.0.3", "/wp-login.php"),
        # the later part: 10.0.0.1 again (a line dated early), then 10.0.0.4
        (T0 + 3, "10.0.0.4", "/xmlrpc.php"),
        (T0 - 5, "10.0.0.1", "/phpinfo.php"),
    ]
    whole, a, b = Aggregator(cfg), Aggregator(cfg), Aggregator(cfg)
    for i, (ts, client, path) in enumerate(order):
        r = rec(ts, path, 404, client=client)
        whole.add(r, PROBE)
        (a if i < 3 else b).add(r, PROBE)
    a.merge(b)
    assert list(a.probe_details) == list(whole.probe_details) == ["10.0.0.4", "10.0.0.1"]
    assert a.probe_details["10.0.0.1"].last_path == "/phpinfo.php"
    assert [r.path for r, _ in a.recent] == [r.path for r, _ in whole.recent]


def test_history_merged_into_a_live_count_does_not_overrule_newer_probes() -> None:
    """The dashboard merges history pieces into an aggregator that may hold live lines of
    other sources already: there the later line in time, not the merge order, decides."""
    live, history = Aggregator(), Aggregator()
    live.add(rec(T0, "/live-now.php", 404, client="10.0.0.1"), PROBE)
    live.add(rec(T0 + 1, "/other.php", 404, client="10.0.0.2"), PROBE)
    history.add(rec(T0 - 300, "/.env", 404, client="10.0.0.1"), PROBE)
    live.merge(history, later=False)
    assert live.probe_details["10.0.0.1"].last_path == "/live-now.php"
    assert list(live.probe_details) == ["10.0.0.1", "10.0.0.2"]
    assert live.probe_details["10.0.0.1"].hits == 2


def test_live_clock_far_ahead_of_log_time_loses_nothing() -> None:
    """Replayed old lines in live mode: the clock expires their seconds between batches, and
    later lines of the same second must still be counted (they used to go to a dropped bucket)."""
    agg = Aggregator()
    live_now = T0 + 10 * 86400
    for i in range(300):
        agg.add_many([(rec(T0 + i // 10), HUMAN) for _ in range(3)])
        snap = agg.snapshot(now=live_now + i)
        assert snap.totals.requests == snap.parsed
    assert snap.parsed == 900 and snap.windows["1h"].requests == 0


def test_a_line_dated_far_ahead_does_not_blank_the_live_windows() -> None:
    agg = Aggregator()
    now = T0 + 1000
    agg.add_many([(rec(now - 30 + i / 10), HUMAN) for i in range(100)])
    agg.snapshot(now=now)
    agg.add(rec(253_000_000_000.0), BOT)  # year 9999, from a forged line or a broken clock
    agg.add_many([(rec(now + 1 + i / 100), HUMAN) for i in range(50)])
    snap = agg.snapshot(now=now + 2)
    assert snap.windows["1m"].requests == 150
    assert snap.totals.requests == snap.parsed == 151
    assert len(agg.fine) <= 8  # no slot was opened far in the future


def test_snapshots_merge_each_closed_slot_once_and_see_late_lines() -> None:
    """A snapshot a second merges only the newest fine slot into a cached merge of the others;
    a late line into an older slot (or a merge of another part) must still show at once."""
    from logwatch.stats import aggregator as module

    agg = Aggregator()
    for i in range(600):  # ten minutes, one line a second: sixty fine slots
        agg.add(rec(T0 + i, f"/p{i % 7}"), HUMAN)
    merges: list[int] = []
    merge = module.Slot.merge

    def counting(self: object, other: object) -> None:
        merges.append(1)
        merge(self, other)  # type: ignore[arg-type]

    module.Slot.merge = counting  # type: ignore[method-assign]
    try:
        agg.snapshot(now=T0 + 599.5)
        first = len(merges)
        merges.clear()
        agg.add(rec(T0 + 599.6, "/p0"), HUMAN)  # into the newest slot
        snap = agg.snapshot(now=T0 + 599.7)
        assert len(merges) < first / 3  # the cached merges are reused
        assert sum(p.hits for p in snap.windows["15m"].top_paths["all"]) == 601
        agg.add(rec(T0 + 300, "/late"), HUMAN)  # five minutes late, into a closed slot
        snap = agg.snapshot(now=T0 + 599.8)
    finally:
        module.Slot.merge = merge  # type: ignore[method-assign]
    for name in ("5m", "15m"):
        paths = {p.path: p.hits for p in snap.windows[name].top_paths["all"]}
        assert paths.get("/late") == 1, name
    assert sum(p.hits for p in snap.windows["15m"].top_paths["all"]) == 602


def test_a_line_dated_past_the_clock_shows_in_the_totals_at_once() -> None:
    """Refused by the windows, counted in the totals: a snapshot right after must show it (the
    totals' merged keys are cached between snapshots)."""
    agg = Aggregator()
    for i in range(60):
        agg.add(rec(T0 + i, "/a"), HUMAN)
    agg.snapshot(now=T0 + 60)  # a live clock; the totals' merge is cached
    agg.add(rec(T0 + 10_000, "/forged"), HUMAN)  # past the clock's limit
    snap = agg.snapshot(now=T0 + 61)
    assert snap.totals.requests == 61
    assert {p.path: p.hits for p in snap.totals.top_paths["all"]} == {"/a": 60, "/forged": 1}
    assert all("/forged" not in {p.path for p in w.top_paths["all"]} for w in snap.windows.values())


def test_a_probe_dated_past_the_clock_shows_in_the_totals_at_once() -> None:
    """The same for a probe the fast lane leaves to the general path (its details come later,
    with the lane's, in line order)."""
    from logwatch.ingest.formats import get_format
    from logwatch.pipeline import Pipeline

    def line(sec: float, request: str, status: int, client: str) -> bytes:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(sec))
        return f'{client} - - [{stamp}] "{request}" {status} 1 "-" "Mozilla/5.0"'.encode()

    p = Pipeline(get_format("combined"))
    p.feed_block(b"\n".join(line(T0 + i, "GET /a HTTP/1.1", 200, "10.0.0.1") for i in range(60)))
    p.snapshot(now=T0 + 60)
    block = [line(T0 + 61, "GET /b HTTP/1.1", 200, "10.0.0.1")]
    block.append(line(T0 + 10_000, "GET /.env HTTP/1.1", 404, "6.6.6.6"))
    p.feed_block(b"\n".join(block))
    snap = p.snapshot(now=T0 + 62)
    assert [c.client for c in snap.totals.probes] == ["6.6.6.6"]
    assert "6.6.6.6" in {c.client for c in snap.totals.top_clients}


def test_json_time_range_is_the_requests_own_under_a_live_clock() -> None:
    # Live, `now` is the wall clock: `time.first` was `now - span`, which slid forward with it
    # (a headless line claimed the first request came seconds ago), and with no request
    # `time.last` was 0.0, the epoch.
    agg = Aggregator()
    assert agg.snapshot(now=T0).to_json()["time"] == {"first": None, "last": None}
    for i in range(100):
        agg.add(rec(T0 + i), HUMAN)
    for now in (None, T0 + 1000.0):
        assert agg.snapshot(now=now).to_json()["time"] == {"first": T0, "last": T0 + 99}


def test_time_last_is_the_newest_request_within_its_second() -> None:
    # Lines of the clock's current second skip the bucket lookup: their sub-second times (JSON
    # logs) never moved `now`, so `time.last` was the first line of the last second, and a
    # split read (each piece's first line of that second) told another one.
    agg = Aggregator()
    agg.add_many([(rec(T0 + 0.1), HUMAN), (rec(T0 + 0.5), HUMAN)])
    agg.add(rec(T0 + 0.9), HUMAN)
    assert agg.snapshot().to_json()["time"] == {"first": T0 + 0.1, "last": T0 + 0.9}
    half = Aggregator()
    half.add_many([(rec(T0 + 0.1), HUMAN), (rec(T0 + 0.7), HUMAN)])
    other = Aggregator()
    other.add_many([(rec(T0 + 0.8), HUMAN), (rec(T0 + 0.9), HUMAN)])
    half.merge(other)
    assert half.snapshot().to_json()["time"]["last"] == T0 + 0.9


def test_a_five_minute_window_lists_no_keys_of_the_minute_before_it() -> None:
    # Found by a hunt: the 5m window's top paths, clients and bots took in the coarse minute
    # that straddles the fine slots' floor, though that minute only holds what came before the
    # floor, which is older than the window: up to 50 s of older traffic (a path that had left
    # the window still listed, with its errors).
    agg = Aggregator()
    for i in range(100):
        agg.add(rec(T0 + i, "/old", 500, client="192.0.2.9"), HUMAN)
    for i in range(100, 420):
        agg.add(rec(T0 + i, "/new"), HUMAN)
    w = agg.snapshot().windows["5m"]
    assert w.requests == 300 and w.status["5xx"] == 0
    paths = {p.path: p.hits for p in w.top_paths["all"]}
    assert "/old" not in paths
    assert 300 <= paths["/new"] <= 310  # the oldest 10-second slot overlaps the window's start
    assert "192.0.2.9" not in {c.client for c in w.top_clients}


def test_a_window_lists_no_keys_of_a_slot_that_ends_before_its_first_second() -> None:
    # Found by a hunt: at a live clock of xx9.5 s the 1m window counts seconds 540..599, yet
    # its top paths took in the 10-second slot 530..539 (it "overlapped" 539.5): a path gone
    # for over a minute was still listed.
    agg = Aggregator()
    for i in range(530, 540):
        agg.add(rec(T0 + i, "/gone"), HUMAN)
    for i in range(540, 600):
        agg.add(rec(T0 + i, "/here"), HUMAN)
    w = agg.snapshot(now=T0 + 599.5).windows["1m"]
    assert w.requests == 60
    assert {p.path: p.hits for p in w.top_paths["all"]} == {"/here": 60}


def test_a_windows_bots_by_category_add_up_to_its_bots() -> None:
    # Found by a hunt: a window's categories were summed over whole slots, its bot count over
    # seconds, so at a clock inside a slot the categories took in the slot's part before the
    # window (up to 9 s of a 10-second slot, 59 s of a minute) and added up to more bots than
    # the window counted.
    kinds = [("search", "Googlebot"), ("ai", "GPTBot"), ("seo", "AhrefsBot"), ("library", "curl")]
    agg = Aggregator(StatsConfig(slot_top_k=2))  # pruned names must not lose their hits either
    for i in range(2 * 3600):
        category, name = kinds[i % 7 % len(kinds)]
        agg.add(rec(T0 + i + 0.25), Verdict("bot", category, name) if i % 3 else HUMAN)
    for now in (T0 + 2 * 3600 - 0.5, T0 + 7000.5, T0 + 7134.0):
        snap = agg.snapshot(now=now)
        for name, w in snap.windows.items():
            assert sum(w.bots.values()) == w.classes["bot"] > 0, (name, now)
        seen = snap.windows["1m"]
        assert seen.bots["search"] > 0 and seen.bots["library"] > 0


def test_counts_at_a_past_moment_are_the_windows_a_snapshot_then_gave() -> None:
    """`counts_at` (the alerts' replay of history) reads a moment already passed: its counts
    must be those a snapshot taken at that moment showed, whatever came after."""
    agg = Aggregator()
    verdicts = (HUMAN, BOT, PROBE)
    then: dict[str, tuple[int, dict[str, int], int, dict[str, int]]] = {}
    windows = {"1m": 60.0, "5m": 300.0, "1h": 3600.0}
    for i in range(3_000):
        if i == 1_500:
            snap = agg.snapshot()
            then = {
                n: (v.requests, v.status, v.probe_hits, v.bots) for n, v in snap.windows.items()
            }
            moment = snap.now
        agg.add(rec(T0 + i, status=(200, 404, 500)[i % 7 % 3]), verdicts[i % 5 % 3])
    past = agg.counts_at(moment, windows)
    assert past.now == moment
    for name in windows:
        v = past.windows[name]
        assert (v.requests, v.status, v.probe_hits, v.bots) == then[name], name
    assert agg.counts_at(agg.now, windows).windows["1m"].requests == 60


def test_a_history_end_past_the_future_limit_is_no_end() -> None:
    """`expect_until` with a time a line could not count at (a forged 2099 at a log's end) sent
    every line of the history to the totals: the windows stayed empty."""
    hinted, plain = Aggregator(StatsConfig()), Aggregator(StatsConfig())
    hinted.expect_until(hinted.future_limit() + 1.0)
    for agg in (hinted, plain):
        for i in range(120):
            agg.add(rec(T0 + i), HUMAN)
    a, b = hinted.snapshot(), plain.snapshot()
    assert a.windows["1m"].requests == b.windows["1m"].requests == 60
    assert a.to_json() == b.to_json()
